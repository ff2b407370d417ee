#!/usr/bin/env python3
"""`secretsmith serve` under load: wrk (64 connections, cache hits) against the release
binary in front of the bundled emulator, and the upstream calls 10,000 requests over 10
secrets make. Writes the "serve" section of bench/RESULTS.md (between its markers).

Run by bench/run.sh (`make bench`); alone: `python3 bench/serve_bench.py` after
`swift build -c release --product secretsmith`.
"""
import concurrent.futures
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BINARY = Path(os.environ.get("SECRETSMITH_BIN") or ROOT / ".build" / "release" / "secretsmith")
TOKEN = "bench-token-0123456789abcdef"
SECRETS = [f"secret-{i}" for i in range(10)]
CONNECTIONS = 64
THREADS = 2
DURATION = int(os.environ.get("SERVE_BENCH_SECONDS", "10"))
START_MARK = "<!-- serve-bench:start -->"
END_MARK = "<!-- serve-bench:end -->"


def wait_for_port(path: Path, process: subprocess.Popen) -> int:
    deadline = time.time() + 30
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().strip())
        if process.poll() is not None:
            raise SystemExit(f"{process.args[1]} exited with {process.returncode}")
        time.sleep(0.02)
    raise SystemExit("timed out waiting for a port file")


def emulator_accesses(emulator_port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{emulator_port}/_emulator/stats") as response:
        return json.load(response).get("methods", {}).get("access", 0)


class Serve:
    """`secretsmith serve` over a fresh cache."""

    def __init__(self, directory: Path, emulator_port: int, log: Path):
        port_file = directory / f"serve-{time.time_ns()}.port"
        environment = dict(os.environ, SECRET_MANAGER_EMULATOR_HOST=f"127.0.0.1:{emulator_port}")
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--config", str(directory / "secretsmith.yaml"), "--listen", "127.0.0.1:0",
             "--port-file", str(port_file)],
            stdout=subprocess.DEVNULL, stderr=self.log, env=environment)
        self.port = wait_for_port(port_file, self.process)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=60)
        self.log.close()
        return status


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def wrk(port: int, paths: list[str], directory: Path) -> dict:
    script = directory / "paths.lua"
    script.write_text(
        "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "local i = 0\n"
        f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format(\"GET\", paths[(i % #paths) + 1])\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format(\"JSON {\\\"requests\\\": %d, \\\"non2xx\\\": %d, \\\"errors\\\": %d, \\\"p50\\\": %d, \\\"p99\\\": %d, \\\"seconds\\\": %f}\\n\",\n"
        "    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,\n"
        "    latency:percentile(50), latency:percentile(99), summary.duration / 1e6))\n"
        "end\n")
    output = subprocess.run(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{DURATION}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True).stdout
    line = next(l for l in output.splitlines() if l.startswith("JSON "))
    result = json.loads(line[5:])
    result["rps"] = result["requests"] / result["seconds"]
    # The 1-minute load average at the end of the run: other work on the machine shows here.
    result["load"] = os.getloadavg()[0]
    return result


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as name:
        directory = Path(name)
        seed = "projects:\n  bench-project:\n    number: 123456789012\n    secrets:\n" + "".join(
            f"      {secret}:\n        versions:\n          - data: \"value-{secret}\"\n" for secret in SECRETS)
        (directory / "seed.yaml").write_text(seed)
        hashed = subprocess.run(
            [str(BINARY), "hash-token", "bench"], input=TOKEN + "\n", capture_output=True, text=True, check=True)
        (directory / "tokens").write_text(hashed.stdout)
        (directory / "secretsmith.yaml").write_text(
            "version: 1\n"
            "defaults:\n  cache: { ttl: 5m }\n  concurrency: 16\n"
            "environments:\n  dev:\n    projects:\n      app:\n        project_id: bench-project\n        secrets:\n"
            + "".join(f"          {secret}: {{}}\n" for secret in SECRETS)
            + "serve:\n  authentication:\n    static_tokens_file: tokens\n"
            "  policy:\n    - principals: [\"token:bench\"]\n      allow: [\"dev/*/*\"]\n")
        emulator_port_file = directory / "emulator.port"
        emulator = subprocess.Popen(
            [str(BINARY), "emulator", "--port", "0", "--port-file", str(emulator_port_file), "--seed",
             str(directory / "seed.yaml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            emulator_port = wait_for_port(emulator_port_file, emulator)
            references = [f"/v1/references/dev/app/{secret}" for secret in SECRETS]
            google = [f"/v1/projects/bench-project/secrets/{secret}/versions/latest:access" for secret in SECRETS]

            # 1. Throughput and latency of cache hits (the cache warmed first).
            results = {}
            for label, paths in (("reference", references), ("google", google)):
                serve = Serve(directory, emulator_port, directory / f"serve-{label}.log")
                try:
                    for path in paths:
                        assert get(serve.port, path) == 200, path
                    results[label] = wrk(serve.port, paths, directory)
                finally:
                    serve.stop()
                results[label]["audit_lines"] = sum(1 for _ in open(directory / f"serve-{label}.log", "rb"))

            # 2. Upstream calls for 10,000 requests over 10 secrets, 64 at a time, cold cache.
            before = emulator_accesses(emulator_port)
            serve = Serve(directory, emulator_port, directory / "serve-count.log")
            try:
                paths = [references[i % len(references)] for i in range(10_000)]
                with concurrent.futures.ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
                    statuses = list(pool.map(lambda path: get(serve.port, path), paths))
            finally:
                serve.stop()
            upstream = emulator_accesses(emulator_port) - before
        finally:
            emulator.terminate()
            emulator.wait()

    cpu = re.sub(r"\s+", " ", next(
        (l.split(":", 1)[1] for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")).strip()
    cores = os.cpu_count()
    lines = [
        START_MARK,
        "## Serve: `secretsmith serve` under load",
        "",
        f"Written by `make bench` (bench/serve_bench.py). {cpu}, {cores} cores; wrk, {THREADS} threads, "
        f"{CONNECTIONS} connections, {DURATION} s, on the same machine as the service and the emulator; "
        "cache hits over 10 secrets (the cache warmed first); one static bearer token allowed by the policy; "
        "the audit log (one line per request) written to a file. Target: ≥ 30,000 requests/s with p99 ≤ 5 ms.",
        "",
        "| route | requests/s | p50 | p99 | non-2xx | socket errors | load average (1 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, title in (("reference", "`GET /v1/references/dev/app/S`"), ("google", "`GET /v1/projects/P/secrets/S/versions/latest:access`")):
        r = results[label]
        lines.append(
            f"| {title} | {r['rps']:,.0f} | {r['p50'] / 1000:.2f} ms | {r['p99'] / 1000:.2f} ms | {r['non2xx']} | {r['errors']} | {r['load']:.2f} |")
    ok = sum(1 for status in statuses if status == 200)
    lines += [
        "",
        f"10,000 requests over 10 secrets (64 concurrent, cold cache, TTL 5 min): {ok} answered 200, "
        f"**{upstream} upstream access calls** (at most 10 expected: one per secret per TTL, concurrent misses joined by single flight).",
        END_MARK,
    ]
    section = "\n".join(lines) + "\n"
    results_file = BENCH / "RESULTS.md"
    text = results_file.read_text() if results_file.exists() else "# secretsmith benchmark results\n"
    if START_MARK in text:
        text = text[: text.index(START_MARK)] + section + text[text.index(END_MARK) + len(END_MARK) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results_file.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
