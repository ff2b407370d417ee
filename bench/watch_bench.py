#!/usr/bin/env python3
"""`secretsmith watch` benchmarks: rotation latency and Secret Manager calls at rest.

Runs the built `secretsmith` (its bundled Secret Manager emulator and `watch`) with Google's
Pub/Sub emulator (google-cloud-cli-pubsub-emulator), and writes the "Watch" section of
bench/RESULTS.md (between the WATCH markers) and bench/watch-results.json.

1. Rotation latency: from `versions add` (the emulator's REST API) to the output file
   replaced, over 50 rotations with Pub/Sub (the Secret Manager event is published right
   after the add, as Secret Manager does) and 25 with polling only (1 s interval: each
   rotation waits up to a second).
2. Secret Manager calls while nothing changes, 100 watched `latest` references: with
   Pub/Sub (polling off) and with polling (metadata only), counted by the emulator; the two
   watchers idle at the same time, each against its own Secret Manager emulator.

Usage: bench/watch_bench.py [--binary PATH] [--rotations 50] [--polling-rotations 25]
       [--idle-seconds 30]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PROJECT = "bench-project"
NUMBER = 123456789012
TOPIC = "projects/bench-ops/topics/secret-events"
SUBSCRIPTION = "projects/bench-ops/subscriptions/watch"
BEGIN, END = "<!-- WATCH BEGIN -->", "<!-- WATCH END -->"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else {}


class SecretManager:
    def __init__(self, binary: Path, workdir: Path, secrets: int, name: str = "sm"):
        seed = workdir / f"{name}-seed.yaml"
        lines = ["projects:", f"  {PROJECT}:", f"    number: {NUMBER}", "    secrets:"]
        for i in range(secrets):
            lines += [f"      s{i}:", "        versions:", f"          - data: value-{i}-1"]
        seed.write_text("\n".join(lines) + "\n")
        port_file = workdir / f"{name}.port"
        self.process = subprocess.Popen(
            [str(binary), "emulator", "--port", "0", "--port-file", str(port_file), "--seed", str(seed)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(800):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.025)
        else:
            raise SystemExit("the Secret Manager emulator did not start")
        self.host = f"127.0.0.1:{port_file.read_text().strip()}"

    def add_version(self, secret: str, value: str) -> int:
        answer = request("POST", f"http://{self.host}/v1/projects/{PROJECT}/secrets/{secret}:addVersion",
                         {"payload": {"data": base64.b64encode(value.encode()).decode()}})
        return int(answer["name"].rsplit("/", 1)[1])

    def methods(self) -> dict:
        return request("GET", f"http://{self.host}/_emulator/stats").get("methods", {})

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)


class PubSub:
    def __init__(self, workdir: Path):
        root = Path(subprocess.run(["gcloud", "info", "--format=value(installation.sdk_root)"], check=True,
                                   capture_output=True, text=True).stdout.strip())
        executable = root / "platform/pubsub-emulator/bin/cloud-pubsub-emulator"
        if not executable.exists():
            raise SystemExit("Google's Pub/Sub emulator is missing: install google-cloud-cli-pubsub-emulator")
        port = free_port()
        self.host = f"127.0.0.1:{port}"
        self.log = (workdir / "pubsub.log").open("w")
        self.process = subprocess.Popen([str(executable), "--host=127.0.0.1", f"--port={port}"],
                                        stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                request("PUT", f"http://{self.host}/v1/{TOPIC}", {})
                break
            except Exception:
                time.sleep(0.2)
        else:
            raise SystemExit("the Pub/Sub emulator did not start")
        request("PUT", f"http://{self.host}/v1/{SUBSCRIPTION}", {"topic": TOPIC, "ackDeadlineSeconds": 10})

    def publish_add(self, secret: str, version: int) -> None:
        name = f"projects/{NUMBER}/secrets/{secret}/versions/{version}"
        data = json.dumps({"name": name, "createTime": "2026-12-01T19:00:00Z", "state": "ENABLED"})
        request("POST", f"http://{self.host}/v1/{TOPIC}:publish", {"messages": [{
            "data": base64.b64encode(data.encode()).decode(),
            "attributes": {"eventType": "SECRET_VERSION_ADD", "dataFormat": "JSON_API_V1",
                           "secretId": f"projects/{NUMBER}/secrets/{secret}", "versionId": name,
                           "timestamp": "2026-12-01T19:00:00Z"}}]})

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)
        self.log.close()


def write_config(path: Path, secrets: int, watch: dict, output_dir: Path) -> None:
    lines = ["version: 1", "defaults:", "  watch:"] + [f"    {k}: {v}" for k, v in watch.items()]
    lines += ["environments:", "  bench:", "    projects:", "      app:", f"        project_id: {PROJECT}",
              "        allow_undeclared: true", "outputs:"]
    for i in range(secrets):
        lines += [f"  - name: s{i}", "    format: dotenv", f"    path: {output_dir}/s{i}.env",
                  f"    values: {{ V: app/s{i} }}"]
    path.write_text("\n".join(lines) + "\n")


class Watch:
    def __init__(self, binary: Path, config: Path, env: dict, workdir: Path, first: Path):
        self.log = (workdir / f"watch-{time.time_ns()}.log").open("w")
        self.process = subprocess.Popen([str(binary), "watch", "--config", str(config), "--env", "bench"],
                                        env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 60
        while not first.exists():
            if time.time() > deadline or self.process.poll() is not None:
                raise SystemExit(f"watch did not render: see {self.log.name}")
            time.sleep(0.01)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def wait_for(path: Path, text: str, timeout: float = 60) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if text in path.read_text():
                return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    raise SystemExit(f"{path} never held {text!r}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def rotations(sm: SecretManager, pubsub: PubSub | None, output: Path, count: int) -> dict:
    latencies = []
    for i in range(count):
        value = f"rotated-{time.time_ns()}"
        started = time.monotonic()
        version = sm.add_version("s0", value)
        if pubsub is not None:
            pubsub.publish_add("s0", version)
        latencies.append(wait_for(output, value) - started)
    return {"count": count, "p50": statistics.median(latencies), "p99": percentile(latencies, 99),
            "min": min(latencies), "max": max(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", type=Path)
    parser.add_argument("--rotations", type=int, default=50)
    parser.add_argument("--polling-rotations", type=int, default=25)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--poll-interval", default="5s")
    args = parser.parse_args()
    binary = args.binary
    if binary is None:
        release = ROOT / ".build/release/secretsmith"
        binary = release if release.exists() else ROOT / ".build/debug/secretsmith"
    workdir = Path(tempfile.mkdtemp(prefix="secretsmith-watch-bench-"))
    results: dict = {"binary": str(binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary)}
    sm = SecretManager(binary, workdir, 100)
    pubsub = PubSub(workdir)
    base_env = {k: v for k, v in os.environ.items() if k not in ("SECRETSMITH_ENV", "SECRETSMITH_CONFIG")}
    env = dict(base_env, SECRET_MANAGER_EMULATOR_HOST=sm.host, PUBSUB_EMULATOR_HOST=pubsub.host)
    try:
        # 1a. Rotation latency with Pub/Sub (default debounce 250 ms), one output.
        out = workdir / "pubsub"
        out.mkdir()
        config = workdir / "pubsub-1.yaml"
        write_config(config, 1, {"subscription": SUBSCRIPTION, "poll_interval": '"off"'}, out)
        watch = Watch(binary, config, env, workdir, out / "s0.env")
        try:
            results["pubsub_rotation"] = rotations(sm, pubsub, out / "s0.env", args.rotations)
        finally:
            watch.stop()
        # 1b. Rotation latency with polling only (1 s interval, no jitter).
        out = workdir / "polling"
        out.mkdir()
        config = workdir / "polling-1.yaml"
        write_config(config, 1, {"poll_interval": "1s", "poll_jitter": "0s"}, out)
        watch = Watch(binary, config, base_env | {"SECRET_MANAGER_EMULATOR_HOST": sm.host}, workdir, out / "s0.env")
        try:
            results["polling_rotation"] = rotations(sm, None, out / "s0.env", args.polling_rotations)
            results["polling_rotation"]["interval"] = "1s"
        finally:
            watch.stop()

        # 2. Calls at rest, 100 references: the two watchers idle at the same time, each
        # against its own Secret Manager emulator (whose counters are then its watcher's alone).
        sm_polling = SecretManager(binary, workdir, 100, "sm-polling")
        idle = []
        try:
            for name, watch_settings, environment, emulator in [
                ("pubsub_idle", {"subscription": SUBSCRIPTION, "poll_interval": '"off"'}, env, sm),
                ("polling_idle", {"poll_interval": args.poll_interval, "poll_jitter": "0s"},
                 base_env | {"SECRET_MANAGER_EMULATOR_HOST": sm_polling.host}, sm_polling),
            ]:
                out = workdir / name
                out.mkdir()
                config = workdir / f"{name}.yaml"
                write_config(config, 100, watch_settings, out)
                idle.append((name, watch_settings, emulator,
                             Watch(binary, config, environment, workdir, out / "s99.env")))
            time.sleep(1)
            before = [emulator.methods() for _, _, emulator, _ in idle]
            time.sleep(args.idle_seconds)
            after = [emulator.methods() for _, _, emulator, _ in idle]
        finally:
            for _, _, _, watch in idle:
                watch.stop()
            sm_polling.stop()
        per_hour = 3600 / args.idle_seconds
        for (name, watch_settings, _, _), start, end in zip(idle, before, after):
            delta = {k: end.get(k, 0) - start.get(k, 0) for k in set(end) | set(start)}
            results[name] = {"seconds": args.idle_seconds, "references": 100,
                             "access": delta.get("access", 0), "get_version": delta.get("getVersion", 0),
                             "access_per_hour": delta.get("access", 0) * per_hour,
                             "get_version_per_hour": delta.get("getVersion", 0) * per_hour,
                             "settings": watch_settings}
    finally:
        pubsub.stop()
        sm.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    (BENCH / "watch-results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    section = report(results)
    path = BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else "# secretsmith benchmark results\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(section)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def report(r: dict) -> str:
    p, q = r["pubsub_rotation"], r["polling_rotation"]
    a, b = r["pubsub_idle"], r["polling_idle"]
    return "\n".join([
        BEGIN,
        "## Watch: rotation latency and calls at rest",
        "",
        f"Written by bench/watch_bench.py (binary `{r['binary']}`), with `secretsmith emulator` and Google's "
        "Pub/Sub emulator on loopback. Latency is from the `addVersion` request to the output file holding the "
        "new value; with Pub/Sub, the Secret Manager event is published right after the add. Default "
        "`debounce` (250 ms) and `splay` (0).",
        "",
        "| change detection | rotations | p50 | p99 | min | max |",
        "|---|---|---|---|---|---|",
        f"| Pub/Sub | {p['count']} | {ms(p['p50'])} | {ms(p['p99'])} | {ms(p['min'])} | {ms(p['max'])} |",
        f"| polling every {q['interval']} | {q['count']} | {ms(q['p50'])} | {ms(q['p99'])} | {ms(q['min'])} | {ms(q['max'])} |",
        "",
        f"Secret Manager calls while nothing changes, {a['references']} watched `latest` references, "
        f"counted by the emulator over {a['seconds']:.0f} s (per hour: × {3600 / a['seconds']:.0f}; the two "
        "watchers at the same time, each against its own Secret Manager emulator):",
        "",
        "| change detection | access calls | get-version (metadata) calls | per hour |",
        "|---|---|---|---|",
        f"| Pub/Sub, polling off | {a['access']} | {a['get_version']} | {a['access_per_hour']:.0f} access, {a['get_version_per_hour']:.0f} metadata |",
        f"| polling every {b['settings']['poll_interval']} | {b['access']} | {b['get_version']} | {b['access_per_hour']:.0f} access, {b['get_version_per_hour']:.0f} metadata |",
        END,
    ])


if __name__ == "__main__":
    main()
