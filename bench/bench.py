#!/usr/bin/env python3
"""`make bench`: secretsmith against Google's official Python client, on one emulator.

Every figure comes from this run on this machine: hyperfine times whole processes
(median and spread over several runs), `secretsmith-bench` measures the library's hot
paths in-process. The results go to bench/RESULTS.md and the README's Performance table.

Scenarios:
 1. cold render of N distinct secrets (N = 10, 200, 1000) with the emulator adding
    L = 20 ms per request: secretsmith, the Python client sequential and threaded (as many
    threads as secretsmith's default `concurrency`, read from `secretsmith explain`), and
    the physical limit ceil(N / concurrency) x L + process start;
 2. process start: `secretsmith version`, a 10-secret render at L = 0, and importing the
    Python client alone;
 3. the template engine: about 50 MB with 100,000 placeholders over 100 secrets;
 4. the library hot path: cache hits per second from 1 and 8 tasks, 1,000 concurrent
    cold requests for one version;
 5. the emulator's own request rate at L = 0;
 6. speed where users pay for it: process start of the dynamic release binary
    and of the static `dist/secretsmith` (wall and peak RSS), CPU (user + sys) of renders
    at L = 0 and the client CPU per access, the template engine's CPU throughput, and the
    real `gcloud secrets versions access` once per secret at L = 20 ms (N = 10 and 50
    only: gcloud starts a Python interpreter per call, about a second each); the chart
    bench/render-time.png and the README's "Speed" table (before -> after).

Benchmarks are not tests: nothing here passes or fails on time.
"""
from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_PYTHON = BENCH / ".venv" / "bin" / "python"
# secretsmith's default `concurrency:` (calls in flight per environment), as the built binary
# reports it (`secretsmith explain`); also the Python client's thread count and the divisor of
# the physical limit. Set in main().
CONCURRENCY = 0
LATENCY_MS = 20
SIZES = [10, 50, 200, 1000]
# `gcloud secrets versions access` once per secret: one process per secret, ~1 s each.
GCLOUD_SIZES = [10, 50]
# Renders at L = 0 timed for their CPU (user + sys): the client CPU per access is the
# slope between the smallest and the largest.
CPU_SIZES = [10, 200, 1000]
DIST_BINARY = ROOT / "dist" / "secretsmith"
# The speed figures before the work on start-up, TLS + HTTP/2 and the hot path (release
# binary, same machine; the render of 200 secrets at the default concurrency of then, 16), for
# the README's before -> after table.
BEFORE = {
    "version_wall": 0.021, "version_rss_mib": 23.0,
    "render10_wall": 0.041, "render10_cpu": 0.042,
    "cpu_per_access": 0.0005,
    "cold200_c16": 0.343,
    "cache_hits_1": 35_000, "open_breaker_us": 95.0,
    "template_mb_s": 87.0, "template_rss_ratio": 3.9,
}
PROJECT = "bench-project"
SENTINEL = "SENTINEL-7c1f"


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def bin_path() -> Path:
    flags = os.environ.get("SWIFT_BUILD_FLAGS", "").split()
    return Path(run(["swift", "build", "-c", "release", *flags, "--show-bin-path"], cwd=ROOT).stdout.strip())


class Emulator:
    """`secretsmith emulator` as a separate process on a free loopback port; with `tls`,
    `--tls --cert-out` (HTTPS and HTTP/2, its certificate in `certificate`)."""

    def __init__(self, binary: Path, seed: Path, workdir: Path, latency_ms: int, tls: bool = False):
        port_file = workdir / f"emulator{'-tls' if tls else ''}-{latency_ms}.port"
        # A stale port file from an earlier emulator at the same latency would be read as this one's.
        port_file.unlink(missing_ok=True)
        arguments = [str(binary), "emulator", "--port", "0", "--port-file", str(port_file), "--seed", str(seed)]
        self.certificate = workdir / "emulator-tls.pem" if tls else None
        if tls:
            arguments += ["--tls", "--cert-out", str(self.certificate)]
        if latency_ms:
            arguments += ["--fault", f"latency:{latency_ms}"]
        self.process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.025)
        else:
            self.stop()
            raise SystemExit("the emulator did not start")
        self.host = f"127.0.0.1:{port_file.read_text().strip()}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)


def hyperfine(commands: dict[str, str], runs: int, env: dict[str, str], workdir: Path, warmup: int = 1) -> dict:
    """Times each shell command; returns name -> {median, min, max, stddev} in seconds."""
    export = workdir / "hyperfine.json"
    arguments = ["hyperfine", "--style", "none", "--export-json", str(export), "--runs", str(runs),
                 "--warmup", str(warmup), "-N"]
    names = list(commands)
    for name in names:
        arguments += ["--command-name", name, commands[name]]
    subprocess.run(arguments, check=True, env=env, cwd=workdir, stdout=subprocess.DEVNULL)
    results = json.loads(export.read_text())["results"]
    figures = {}
    for name, result in zip(names, results):
        times = result["times"]
        figures[name] = {
            "median": statistics.median(times),
            "min": min(times),
            "max": max(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "runs": len(times),
        }
    return figures


def write_seed(path: Path, count: int) -> None:
    lines = ["projects:", f"  {PROJECT}:", "    number: 999000000001", "    secrets:"]
    for index in range(1, count + 1):
        lines += [f"      s{index}:", "        versions:", f'          - data: "value-{index}-{SENTINEL}-abcdefghij"']
    path.write_text("\n".join(lines) + "\n")


def write_config(path: Path, count: int, output: Path, template: Path | None = None) -> None:
    lines = ["version: 1", "environments:", "  bench:", "    projects:", "      app:",
             f"        project_id: {PROJECT}", "        allow_undeclared: true", "outputs:"]
    if template is None:
        lines += ["  - name: env", "    format: dotenv", f"    path: {output}", "    values:"]
        lines += [f"      S{index}: app/s{index}" for index in range(1, count + 1)]
    else:
        lines += ["  - name: big", "    format: template", f"    template: {template}", f"    path: {output}"]
    path.write_text("\n".join(lines) + "\n")


def write_big_template(path: Path, placeholders: int, secrets: int, target_bytes: int) -> None:
    """About `target_bytes` of text with `placeholders` actions over `secrets` secrets."""
    secret_bytes = len(f"value-100-{SENTINEL}-abcdefghij")
    filler = max(0, target_bytes // placeholders - secret_bytes - 1)
    line_text = "x" * filler
    with path.open("w") as handle:
        for index in range(placeholders):
            handle.write(f'{line_text}<< secret "app/s{index % secrets + 1}" >>\n')


def peak_rss_kib(command: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """Wall seconds, peak resident memory (KiB) and CPU seconds (user + sys) of one run of
    `command`."""
    probe = ("import os, subprocess, sys, time\n"
             "start = time.perf_counter()\n"
             "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "_, status, usage = os.wait4(child.pid, 0)\n"
             "if status != 0: sys.exit(f'{sys.argv[1:]} exited with {status}')\n"
             "print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n")
    output = run([sys.executable, "-c", probe, *command], env=env).stdout.split()
    return float(output[0]), int(output[1]), float(output[2])


def library(bench_binary: Path, *arguments: str) -> dict:
    return json.loads(run([str(bench_binary), *arguments]).stdout.strip().splitlines()[-1])


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def spread(figure: dict) -> str:
    return f"{fmt(figure['median'])} ({fmt(figure['min'])}–{fmt(figure['max'])}, n={figure['runs']})"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    swift = run(["swift", "--version"]).stdout.splitlines()[0] if shutil.which("swift") else "unknown"
    client = run([str(VENV_PYTHON), "-c",
                  "import importlib.metadata as m; print(m.version('google-cloud-secret-manager'))"]).stdout.strip()
    hyperfine_version = run(["hyperfine", "--version"]).stdout.strip()
    python = run([str(VENV_PYTHON), "--version"]).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1), "kernel": platform.release(),
            "swift": swift, "python": python, "google-cloud-secret-manager": client, "hyperfine": hyperfine_version}


def default_concurrency(secretsmith: Path, workdir: Path, env: dict[str, str]) -> int:
    """The `concurrency` row of `secretsmith explain` for a configuration that leaves it unset."""
    config = workdir / "explain.yaml"
    write_config(config, 1, workdir / "explain.env")
    text = run([str(secretsmith), "explain", "--config", str(config), "--env", "bench", "app/s1"],
               env=dict(env, SECRET_MANAGER_EMULATOR_HOST="127.0.0.1:9")).stdout
    match = re.search(r"^concurrency\s+(\d+)\s+default\s*$", text, re.M)
    if match is None:
        raise SystemExit("bench: `secretsmith explain` printed no default concurrency")
    return int(match.group(1))


def main() -> None:
    global CONCURRENCY
    started = time.time()
    load_before = os.getloadavg()
    binaries = bin_path()
    secretsmith = binaries / "secretsmith"
    bench_binary = binaries / "secretsmith-bench"
    workdir = Path(tempfile.mkdtemp(prefix="secretsmith-bench-"))
    env = dict(os.environ)
    env.pop("SECRET_MANAGER_EMULATOR_HOST", None)
    CONCURRENCY = default_concurrency(secretsmith, workdir, env)
    seed = workdir / "seed.yaml"
    write_seed(seed, max(SIZES))
    results: dict = {"machine": machine(), "cold": {}, "start": {}, "template": {}, "library": {}}

    # 1. Cold renders at L = 20 ms.
    slow = Emulator(secretsmith, seed, workdir, LATENCY_MS)
    try:
        env_slow = dict(env, SECRET_MANAGER_EMULATOR_HOST=slow.host)
        start_figure = hyperfine({"version": f"{secretsmith} version"}, 20, env_slow, workdir, warmup=3)["version"]
        for count in SIZES:
            config = workdir / f"render-{count}.yaml"
            write_config(config, count, workdir / f"out-{count}.env")
            python = (f"{VENV_PYTHON} {BENCH / 'python_client.py'} --endpoint {slow.host} --project {PROJECT} "
                      f"--count {count} --workers {CONCURRENCY} --out {workdir / f'python-{count}.env'}")
            runs = 10 if count < 1000 else 5
            figures = hyperfine({
                "secretsmith": f"{secretsmith} render --config {config} --env bench",
                "python-threaded": python + " --mode threaded",
            }, runs, env_slow, workdir)
            # One request at a time: 1 to 25 s a run, so fewer runs (its spread is small) and no
            # warm-up run (the threaded runs just before loaded the same modules).
            figures.update(hyperfine({"python-sequential": python + " --mode sequential"},
                                     3 if count < 1000 else 1, env_slow, workdir, warmup=0))
            limit = math.ceil(count / CONCURRENCY) * LATENCY_MS / 1000 + start_figure["median"]
            results["cold"][count] = {**figures, "limit": limit}
        results["gcloud"] = gcloud_rows(slow.host, workdir, env)
    finally:
        slow.stop()

    # 2, 3 and 5 at L = 0.
    fast = Emulator(secretsmith, seed, workdir, 0)
    try:
        env_fast = dict(env, SECRET_MANAGER_EMULATOR_HOST=fast.host)
        config10 = workdir / "render-10-fast.yaml"
        write_config(config10, 10, workdir / "out-10-fast.env")
        results["start"] = hyperfine({
            "secretsmith version": f"{secretsmith} version",
            "secretsmith render, 10 secrets, L = 0": f"{secretsmith} render --config {config10} --env bench",
            "python3 -c 'import google.cloud.secretmanager'": f"{VENV_PYTHON} -c 'import google.cloud.secretmanager'",
        }, 20, env_fast, workdir, warmup=3)

        template = workdir / "big.tmpl"
        write_big_template(template, 100_000, 100, 50 * 2**20)
        config_big = workdir / "render-big.yaml"
        output_big = workdir / "big.out"
        write_config(config_big, 0, output_big, template)
        command = [str(secretsmith), "render", "--config", str(config_big), "--env", "bench"]
        timings = []
        cpu = []
        peak = 0
        for _ in range(3):
            output_big.unlink(missing_ok=True)  # a changed file each run: the write is measured too
            seconds, _, cpu_seconds = peak_rss_kib(command, env_fast)
            timings.append(seconds)
            cpu.append(cpu_seconds)
            output_big.unlink(missing_ok=True)
            peak = max(peak, round(own_peak_rss_mib(command, env_fast, 1) * 1024))
        size = output_big.stat().st_size
        median = statistics.median(timings)
        # The same render with a one-line-per-secret template over the same 100 secrets:
        # process start, configuration, fetching the 100 values (100 HTTP/1.1 connections at
        # L = 0) and the atomic write of a small file. The whole-process figure above includes
        # all of that; the difference is what the template engine itself costs.
        small = workdir / "small.tmpl"
        small.write_text("".join(f'<< secret "app/s{index}" >>\n' for index in range(1, 101)))
        config_small = workdir / "render-small.yaml"
        output_small = workdir / "small.out"
        write_config(config_small, 0, output_small, small)
        small_command = [str(secretsmith), "render", "--config", str(config_small), "--env", "bench"]
        reference = []
        for _ in range(5):
            output_small.unlink(missing_ok=True)
            reference.append(peak_rss_kib(small_command, env_fast)[0])
        reference_peak = round(own_peak_rss_mib(small_command, env_fast, 1) * 1024)
        reference_median = statistics.median(reference)
        results["template"] = {"template_bytes": template.stat().st_size, "output_bytes": size,
                               "placeholders": 100_000, "seconds_median": median, "seconds_min": min(timings),
                               "seconds_max": max(timings), "mb_per_second": size / 1e6 / median,
                               "peak_rss_bytes": peak * 1024, "rss_per_output_byte": peak * 1024 / size,
                               "cpu_median": statistics.median(cpu),
                               "reference_seconds_median": reference_median,
                               "reference_peak_rss_bytes": reference_peak * 1024,
                               "engine_mb_per_second": size / 1e6 / max(median - reference_median, 1e-3)}
    finally:
        fast.stop()

    # secretsmith-bench (the library's hot paths); `make bench` builds it. Without it (a
    # build that stopped short) the library figures are left out and marked so.
    if bench_binary.exists():
        results["library"]["cache_hits_1"] = library(bench_binary, "cache-hits", "--tasks", "1", "--seconds", "2")
        results["library"]["cache_hits_8"] = library(bench_binary, "cache-hits", "--tasks", "8", "--seconds", "2")
        results["library"]["cache_hits_1_resolved"] = library(bench_binary, "cache-hits", "--tasks", "1", "--seconds", "2",
                                                              "--resolved", "1")
        results["library"]["cold_1000"] = library(bench_binary, "cold-single-flight", "--requests", "1000",
                                                  "--latency-ms", str(LATENCY_MS))
        results["library"]["open_breaker"] = library(bench_binary, "open-breaker", "--accesses", "1000")
        results["library"]["emulator_rate"] = library(bench_binary, "emulator-rate", "--seconds", "3",
                                                      "--connections", "32")
    else:
        print(f"bench: {bench_binary} is missing; the library figures are left out", file=sys.stderr)
    results["speed"] = speed_figures(secretsmith, seed, workdir, env, results)
    results["latency_ms"] = LATENCY_MS
    results["concurrency"] = CONCURRENCY
    results["tls"] = tls_http2(secretsmith, seed, workdir, env)
    results["elapsed_seconds"] = time.time() - started
    # Load average (1, 5, 15 minutes) when the run started and ended: figures from a busy
    # machine are slower than from a quiet one.
    results["load_average"] = {"start": list(load_before), "end": list(os.getloadavg())}
    if os.environ.get("BENCH_BUILD_SECONDS"):
        results["build_seconds"] = float(os.environ["BENCH_BUILD_SECONDS"])
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    chart = draw_chart()
    report = render_report(results) + speed_report(results, chart)
    (BENCH / "RESULTS.md").write_text(report + kept_sections(BENCH / "RESULTS.md"))
    update_readme(results)
    update_readme_speed(results)
    print(report)
    shutil.rmtree(workdir, ignore_errors=True)


# The sections other scripts write into RESULTS.md between their markers (watch_bench.py,
# serve_bench.py): kept when this script rewrites the file, until those scripts replace them.
KEPT_SECTIONS = [("<!-- WATCH BEGIN -->", "<!-- WATCH END -->"),
                 ("<!-- serve-bench:start -->", "<!-- serve-bench:end -->")]


def kept_sections(path: Path) -> str:
    """The marked sections of the existing `path`, each after a blank line; "" when none."""
    text = path.read_text() if path.exists() else ""
    kept = ""
    for begin, end in KEPT_SECTIONS:
        if begin in text and end in text[text.index(begin):]:
            start = text.index(begin)
            kept += "\n" + text[start:text.index(end, start) + len(end)] + "\n"
    return kept


def gcloud_rows(host: str, workdir: Path, env: dict[str, str]) -> dict:
    """`gcloud secrets versions access latest` once per secret, N = GCLOUD_SIZES, against the
    emulator at `host`: a throw-away CLOUDSDK_CONFIG with the Secret Manager endpoint
    overridden and credentials disabled. Empty when gcloud is not installed."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        print("bench: gcloud is not installed; its rows are left out", file=sys.stderr)
        return {}
    config = workdir / "gcloud-config"
    config.mkdir(exist_ok=True)
    env_gcloud = dict(env, CLOUDSDK_CONFIG=str(config), CLOUDSDK_CORE_DISABLE_PROMPTS="1")
    for key, value in [("api_endpoint_overrides/secretmanager", f"http://{host}/"),
                       ("auth/disable_credentials", "true"), ("core/project", PROJECT),
                       ("core/disable_usage_reporting", "true"),
                       ("component_manager/disable_update_check", "true")]:
        run([gcloud, "config", "set", key, value], env=env_gcloud)
    figures = {}
    for count in GCLOUD_SIZES:
        script = workdir / f"gcloud-{count}.sh"
        out = workdir / f"gcloud-{count}.env"
        lines = ["#!/bin/sh", "set -e", f": > {out}"]
        lines += [f"printf 'S{index}=%s\\n' \"$(gcloud secrets versions access latest --secret s{index} "
                  f"--project {PROJECT})\" >> {out}" for index in range(1, count + 1)]
        script.write_text("\n".join(lines) + "\n")
        script.chmod(0o755)
        figures[count] = hyperfine({"gcloud": str(script)}, 1, env_gcloud, workdir, warmup=0)["gcloud"]
        if SENTINEL not in out.read_text():
            raise SystemExit("gcloud did not read the emulator's values")
    return figures


# GNU time (Debian package `time`) reports a child's peak RSS (`%M`, KiB) on its own: the
# kernel's `ru_maxrss` of a process started from Python also counts the pages of the Python
# process it was forked from (about 14 MB), a floor above secretsmith's own start-up.
GNU_TIME = "/usr/bin/time"


def own_peak_rss_mib(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median peak RSS (MiB) of `runs` runs of `command`, each started by GNU time."""
    peaks = []
    with tempfile.NamedTemporaryFile("r") as report:
        for _ in range(runs):
            subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name, *command], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            report.seek(0)
            peaks.append(int(report.read().split()[-1]) / 1024)
    return statistics.median(peaks)


def cpu_and_rss(command: list[str], env: dict[str, str], runs: int) -> dict:
    """Median wall seconds, CPU seconds (user + sys) of `runs` runs of `command` (after one
    warm-up run), from the kernel's accounting of each child, and its own peak RSS (MiB,
    ``own_peak_rss_mib``)."""
    probe = ("import json, os, statistics, subprocess, sys, time\n"
             "runs = int(sys.argv[1]); walls, cpus, rss = [], [], []\n"
             "for index in range(runs + 1):\n"
             "    start = time.perf_counter()\n"
             "    child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
             "    _, status, usage = os.wait4(child.pid, 0)\n"
             "    wall = time.perf_counter() - start\n"
             "    if status != 0: sys.exit(f'{sys.argv[2:]} exited with {status}')\n"
             "    if index == 0: continue\n"
             "    walls.append(wall); cpus.append(usage.ru_utime + usage.ru_stime); rss.append(usage.ru_maxrss / 1024)\n"
             "print(json.dumps({'wall': statistics.median(walls), 'wall_min': min(walls), 'wall_max': max(walls),\n"
             "                  'cpu': statistics.median(cpus), 'cpu_min': min(cpus), 'cpu_max': max(cpus),\n"
             "                  'rss_mib': statistics.median(rss), 'runs': runs}))\n")
    figures = json.loads(run([sys.executable, "-c", probe, str(runs), *command], env=env).stdout)
    figures["rss_mib"] = own_peak_rss_mib(command, env, min(runs, 10))
    return figures


def speed_figures(secretsmith: Path, seed: Path, workdir: Path, env: dict[str, str], results: dict) -> dict:
    """The start-up and CPU figures at L = 0: process start of both binaries, render CPU and the
    client CPU per access, and the template engine's CPU throughput (from section 3's run)."""
    speed: dict = {"binaries": {}, "renders": {}}
    # The release build links the Swift runtime dynamically only when built without
    # --static-swift-stdlib (`make bench` builds the static one: dist/secretsmith is it, stripped).
    binaries = {}
    if "libswiftCore" in run(["ldd", str(secretsmith)]).stdout:
        binaries["release (dynamic)"] = secretsmith
    if DIST_BINARY.exists():
        binaries["dist (static, in the container and the releases)"] = DIST_BINARY
    if not binaries:
        binaries["release"] = secretsmith
    for name, binary in binaries.items():
        speed["binaries"][name] = cpu_and_rss([str(binary), "version"], env, 30)
    fast = Emulator(secretsmith, seed, workdir, 0)
    try:
        env_fast = dict(env, SECRET_MANAGER_EMULATOR_HOST=fast.host)
        for count in CPU_SIZES:
            config = workdir / f"render-cpu-{count}.yaml"
            write_config(config, count, workdir / f"out-cpu-{count}.env")
            for name, binary in binaries.items():
                figure = cpu_and_rss([str(binary), "render", "--config", str(config), "--env", "bench"], env_fast,
                                     15 if count < 1000 else 7)
                speed["renders"].setdefault(name, {})[count] = figure
    finally:
        fast.stop()
    for name, renders in speed["renders"].items():
        low, high = min(CPU_SIZES), max(CPU_SIZES)
        renders["cpu_per_access"] = (renders[high]["cpu"] - renders[low]["cpu"]) / (high - low)
    template = results["template"]
    speed["template_cpu_mb_per_second"] = template["output_bytes"] / 1e6 / template["cpu_median"]
    return speed


def draw_chart() -> str | None:
    """bench/render-time.png from bench/results.json (matplotlib, in the bench's venv)."""
    chart = BENCH / "render-time.png"
    try:
        run([str(VENV_PYTHON), str(BENCH / "chart.py"), str(BENCH / "results.json"), str(chart)])
    except subprocess.CalledProcessError as error:
        print(f"bench: the chart was not drawn: {error.stderr}", file=sys.stderr)
        return None
    return chart.name


def speed_report(results: dict, chart: str | None) -> str:
    speed = results["speed"]
    lines = ["", "## 7. Start-up, CPU per render and the template engine", "",
             "Whole processes at emulator latency L = 0 unless said otherwise; CPU is user + sys of the "
             "process as the kernel accounts it (what a CPU limit counts); peak RSS as GNU time reports it "
             "(the kernel's figure for a child of Python also counts the Python process it was forked from); "
             "medians.", "",
             "| binary | `version` wall | `version` CPU | `version` peak RSS | render 10 wall | render 10 CPU "
             "| render 200 CPU | render 1000 CPU | client CPU per access |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, figure in speed["binaries"].items():
        renders = speed["renders"][name]
        lines.append(
            f"| {name} | {figure['wall'] * 1000:.1f} ms | {figure['cpu'] * 1000:.1f} ms | {figure['rss_mib']:.1f} MiB "
            f"| {renders[10]['wall'] * 1000:.1f} ms | {renders[10]['cpu'] * 1000:.1f} ms "
            f"| {renders[200]['cpu'] * 1000:.1f} ms | {renders[1000]['cpu'] * 1000:.1f} ms "
            f"| {renders['cpu_per_access'] * 1e6:.0f} µs |")
    lines += ["", "Client CPU per access = (CPU of the 1000-secret render − CPU of the 10-secret render) / 990. "
              "`dist/secretsmith` (`make dist`: Swift runtime and Foundation linked statically) is the binary "
              "the container image and the releases ship.", ""]
    t = results["template"]
    lines += [f"Template engine (section 3's run): {speed['template_cpu_mb_per_second']:.0f} MB/s of output per "
              f"CPU second ({t['cpu_median'] * 1000:.0f} ms CPU for {t['output_bytes'] / 2**20:.1f} MiB), "
              f"{t['mb_per_second']:.0f} MB/s of wall time including the `fsync` of the output"
              + (f" ({t['engine_mb_per_second']:.0f} MB/s net of the same render with a one-line template)"
                 if "engine_mb_per_second" in t else "")
              + f"; peak RSS {t['rss_per_output_byte']:.2f} × the output.", ""]
    gcloud = results.get("gcloud", {})
    if gcloud:
        lines += [f"`gcloud secrets versions access latest --secret S` once per secret (the way Makefiles fetch "
                  f"secrets), same emulator, L = {LATENCY_MS} ms, N = {', '.join(str(n) for n in gcloud)} only "
                  "(each call starts gcloud's Python, about a second):", "",
                  "| N | gcloud, once per secret | secretsmith | gcloud / secretsmith |", "|---|---|---|---|"]
        for count, figure in gcloud.items():
            ours = results["cold"][count]["secretsmith"]["median"]
            lines.append(f"| {count} | {spread(figure)} | {fmt(ours)} | {figure['median'] / ours:.0f} |")
        lines.append("")
    if chart:
        lines += [f"![Render time against the number of secrets]({chart})", "",
                  f"[{chart}]({chart}): cold render time against the number of secrets, log-log, for secretsmith, "
                  "the Python client (threaded and sequential) and gcloud.", ""]
    return "\n".join(lines)


def update_readme_speed(results: dict) -> None:
    """The README's speed table (targets, before -> after), between the speed markers."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    speed = results["speed"]
    shipped = next((name for name in speed["binaries"] if name.startswith("dist")), next(iter(speed["binaries"])))
    start = speed["binaries"][shipped]
    render10 = speed["renders"][shipped][10]
    per_access = speed["renders"][shipped]["cpu_per_access"]
    template = results["template"]
    lib = results["library"]
    cold200 = results["cold"][200]
    ours200 = cold200["secretsmith"]["median"]
    tls = results.get("tls", {})
    rss_mb = start["rss_mib"] * 2**20 / 1e6
    threaded, sequential = (cold200[key]["median"] / ours200 for key in ("python-threaded", "python-sequential"))
    # (figure, target, before, after, whether the target is met; None: no target)
    rows = [
        ("`secretsmith version`, wall / peak RSS", "≤ 10 ms, ≤ 15 MB",
         f"{BEFORE['version_wall'] * 1000:.0f} ms, {BEFORE['version_rss_mib']:.0f} MB",
         f"{start['wall'] * 1000:.1f} ms, {rss_mb:.1f} MB", start["wall"] <= 0.010 and rss_mb <= 15),
        ("render 10 secrets, L = 0: wall / CPU", "≤ 15 ms, ≤ 10 ms CPU",
         f"{BEFORE['render10_wall'] * 1000:.0f} ms, {BEFORE['render10_cpu'] * 1000:.0f} ms",
         f"{render10['wall'] * 1000:.1f} ms, {render10['cpu'] * 1000:.1f} ms",
         render10["wall"] <= 0.015 and render10["cpu"] <= 0.010),
        ("client CPU per access", "≤ 100 µs", f"≈ {BEFORE['cpu_per_access'] * 1e6:.0f} µs",
         f"{per_access * 1e6:.0f} µs", per_access <= 100e-6),
        (f"render 200 secrets, L = {LATENCY_MS} ms, default settings, plain HTTP/1.1", "",
         f"{BEFORE['cold200_c16'] * 1000:.0f} ms (concurrency 16)", f"{fmt(ours200)} (concurrency {CONCURRENCY})",
         None),
    ]
    if tls:
        rows.append((f"render 200 secrets, L = {LATENCY_MS} ms, default settings, TLS + HTTP/2", "≤ 75 ms",
                     "not measured", f"{fmt(tls['h2']['median'])}, {tls['h2']['connections']} connection(s)",
                     tls["h2"]["median"] <= 0.075))
    if lib:
        rows += [
            ("library: cache hits, one task", "≥ 1,000,000/s", f"{BEFORE['cache_hits_1']:,}/s",
             f"{lib['cache_hits_1']['per_second']:,.0f}/s", lib["cache_hits_1"]["per_second"] >= 1_000_000),
            ("library: open breaker refusal", "≤ 2 µs", f"{BEFORE['open_breaker_us']:.0f} µs",
             f"{lib['open_breaker']['microseconds_per_call']:.1f} µs", lib["open_breaker"]["microseconds_per_call"] <= 2),
        ]
    else:
        rows += [("library: cache hits, one task / open breaker refusal", "≥ 1,000,000/s, ≤ 2 µs",
                  f"{BEFORE['cache_hits_1']:,}/s, {BEFORE['open_breaker_us']:.0f} µs",
                  "not measured in this run (no secretsmith-bench)", None)]
    rows += [
        ("template engine, 50 MB, 100k placeholders: throughput / peak RSS", "≥ 400 MB/s, ≤ 1.5 × output",
         f"{BEFORE['template_mb_s']:.0f} MB/s, {BEFORE['template_rss_ratio']:.1f} ×",
         # The engine: the whole render less the same render with a one-line template (start-up,
         # the 100 fetches and a small write), so the figure is the template's own cost.
         f"{template['engine_mb_per_second']:.0f} MB/s engine (whole process {template['mb_per_second']:.0f} MB/s "
         f"wall, {results['speed']['template_cpu_mb_per_second']:.0f} MB/s per CPU second), "
         f"{template['rss_per_output_byte']:.2f} ×",
         template["engine_mb_per_second"] >= 400 and template["rss_per_output_byte"] <= 1.5),
        (f"Python client, 200 secrets, {CONCURRENCY} threads / sequential", "≥ 5 × secretsmith", "",
         f"{threaded:.1f} × / {sequential:.1f} ×", threaded >= 5),
    ]
    for count, figure in results.get("gcloud", {}).items():
        ours = results["cold"][count]["secretsmith"]["median"]
        rows.append((f"`gcloud secrets versions access`, once per secret, {count} secrets", "", "",
                     f"{fmt(figure['median'])} ({figure['median'] / ours:.0f} × secretsmith)", None))
    verdict = {True: "met", False: "missed", None: ""}
    table = ["<!-- speed:begin (written by make bench) -->",
             f"Speed, {shipped} binary, {results['machine']['cores']} cores, load average {load_text(results)} "
             "(before: the release binary before that work, same machine):", "",
             "| figure | target | before | after | met? |", "|---|---|---|---|---|"]
    table += [f"| {name} | {target} | {before} | {after} | {verdict[met]} |" for name, target, before, after, met in rows]
    table += ["", "Per binary, the chart and the spreads: [bench/RESULTS.md](bench/RESULTS.md#7-start-up-cpu-per-render-and-the-template-engine).",
              "<!-- speed:end -->"]
    replacement = "\n".join(table)
    pattern = re.compile(r"<!-- speed:begin.*?<!-- speed:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: replacement, text)
    else:
        text = re.sub(r"(<!-- bench:end -->)", lambda m: m.group(1) + "\n\n" + replacement, text, count=1)
    readme.write_text(text)


# Over TLS with HTTP/2: the same 200 secrets at L = 20 ms, once over plain HTTP/1.1
# (SECRET_MANAGER_EMULATOR_HOST, one connection per request in flight) and once over HTTPS to
# `emulator --tls` (HTTP/2 by ALPN), both with secretsmith's default settings; the emulator
# counts the TCP connections each render opens.
TLS_COUNT = 200


def emulator_admin(url: str, path: str, method: str = "GET", cafile: Path | None = None) -> dict:
    import ssl
    import urllib.request
    context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    request = urllib.request.Request(url + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.loads(response.read())


def connections_per_render(command: list[str], env: dict[str, str], url: str, cafile: Path | None) -> dict:
    """Runs `command` once between a stats reset and a stats read: connections and HTTP versions."""
    emulator_admin(url, "/_emulator/reset", "POST", cafile)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    stats = emulator_admin(url, "/_emulator/stats", cafile=cafile)
    # The stats read itself is one more connection.
    return {"connections": stats["connections"] - 1, "http_versions": stats["httpVersions"],
            "access_requests": stats["methods"].get("access", 0)}


def tls_http2(secretsmith: Path, seed: Path, workdir: Path, env: dict[str, str]) -> dict:
    """200 secrets at L = 20 ms with default settings: plain HTTP/1.1 against TLS + HTTP/2."""
    results: dict = {"count": TLS_COUNT, "latency_ms": LATENCY_MS}
    output = workdir / "out-tls.env"
    plain = Emulator(secretsmith, seed, workdir, LATENCY_MS)
    try:
        config = workdir / "render-http1.yaml"
        write_config(config, TLS_COUNT, output)
        env_plain = dict(env, SECRET_MANAGER_EMULATOR_HOST=plain.host)
        command = [str(secretsmith), "render", "--config", str(config), "--env", "bench"]
        results["http1"] = hyperfine({"http1": " ".join(command)}, 10, env_plain, workdir)["http1"]
        results["http1"].update(connections_per_render(command, env_plain, f"http://{plain.host}", None))
    finally:
        plain.stop()
    secure = Emulator(secretsmith, seed, workdir, LATENCY_MS, tls=True)
    try:
        config = workdir / "render-tls.yaml"
        write_config(config, TLS_COUNT, output)
        text = config.read_text().replace("environments:", "defaults:\n"
                                          f"  endpoint: {secure.url}\n"
                                          "  credentials: { type: access_token_env, env: BENCH_TOKEN }\n"
                                          f"  tls: {{ ca_file: {secure.certificate} }}\n"
                                          "environments:", 1)
        config.write_text(text)
        env_tls = dict(env, BENCH_TOKEN="bench-token")
        command = [str(secretsmith), "render", "--config", str(config), "--env", "bench"]
        results["h2"] = hyperfine({"h2": " ".join(command)}, 10, env_tls, workdir)["h2"]
        results["h2"].update(connections_per_render(command, env_tls, secure.url, secure.certificate))
    finally:
        secure.stop()
    return results


def tls_http2_report(results: dict) -> list[str]:
    """The "over TLS with HTTP/2" section of RESULTS.md."""
    tls = results.get("tls")
    if not tls:
        return []
    lines = ["", f"## 6. Over TLS with HTTP/2: {tls['count']} secrets, L = {tls['latency_ms']} ms, default settings",
             "", "The same render over plain HTTP/1.1 (`SECRET_MANAGER_EMULATOR_HOST`) and over HTTPS to "
             "`secretsmith emulator --tls` (HTTP/2 by ALPN, `tls: { ca_file: ... }`); connections counted by the "
             "emulator during one render.", "",
             "| transport | render | connections | requests by HTTP version |", "|---|---|---|---|"]
    for key, name in (("http1", "plain HTTP/1.1"), ("h2", "TLS + HTTP/2")):
        figure = tls[key]
        versions = ", ".join(f"HTTP/{version}: {count}" for version, count in sorted(figure["http_versions"].items()))
        lines.append(f"| {name} | {spread(figure)} | {figure['connections']} | {versions} |")
    return lines


def load_text(results: dict) -> str:
    """`a/b/c at the start, d/e/f at the end` of the run."""
    load = results.get("load_average")
    if not load:
        return "not recorded"
    start, end = ("/".join(f"{value:.1f}" for value in load[key]) for key in ("start", "end"))
    return f"{start} at the start, {end} at the end"


def render_report(results: dict) -> str:
    m = results["machine"]
    lines = ["# secretsmith benchmark results", "",
             "Written by `make bench` (bench/bench.py); every figure below comes from that run. "
             "Times are medians with the range (min–max) and run count; whole processes are timed with hyperfine.",
             "", "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}",
             f"- {m['swift']}", f"- {m['python']}, google-cloud-secret-manager {m['google-cloud-secret-manager']}",
             f"- {m['hyperfine']}; secretsmith built by `make dist` (`swift build -c release --static-swift-stdlib`, "
             "linked with lld, packed relative relocations, no exported symbols)",
             f"- load average (1/5/15 min) {load_text(results)}",
             "", f"## 1. Cold render, N distinct secrets, emulator latency L = {LATENCY_MS} ms", "",
             f"secretsmith with its default settings (`concurrency: {CONCURRENCY}`, as `secretsmith explain` reports "
             f"the default); the Python client threaded with as many threads ({CONCURRENCY}). "
             f"Physical limit = ceil(N / {CONCURRENCY}) × L + process start (`secretsmith version`).", "",
             f"| N | secretsmith | Python threaded ({CONCURRENCY}) | Python sequential | limit | secretsmith / limit "
             "| Python threaded / secretsmith | Python sequential / secretsmith |",
             "|---|---|---|---|---|---|---|---|"]
    for count, figures in results["cold"].items():
        ours = figures["secretsmith"]["median"]
        lines.append(
            f"| {count} | {spread(figures['secretsmith'])} | {spread(figures['python-threaded'])} "
            f"| {spread(figures['python-sequential'])} | {fmt(figures['limit'])} | {ours / figures['limit']:.2f} "
            f"| {figures['python-threaded']['median'] / ours:.2f} | {figures['python-sequential']['median'] / ours:.2f} |")
    lines += ["", "## 2. Process start (L = 0)", "", "| command | time |", "|---|---|"]
    for name, figure in results["start"].items():
        lines.append(f"| `{name}` | {spread(figure)} |")
    t = results["template"]
    lines += ["", "## 3. Template engine", "",
              f"A {t['template_bytes'] / 2**20:.1f} MiB template with {t['placeholders']:,} placeholders over 100 "
              f"secrets, rendered and written ({t['output_bytes'] / 2**20:.1f} MiB out), whole process at L = 0:", "",
              f"- wall time {fmt(t['seconds_median'])} ({fmt(t['seconds_min'])}–{fmt(t['seconds_max'])}, n=3): "
              f"{t['mb_per_second']:.0f} MB/s of output",
              f"- peak resident memory {t['peak_rss_bytes'] / 2**20:.0f} MiB = {t['rss_per_output_byte']:.2f} × "
              "the output size"]
    if "reference_seconds_median" in t:
        lines += [f"- the same render with a one-line template per secret (start, configuration, fetching the 100 "
                  f"values, a small atomic write): {fmt(t['reference_seconds_median'])}, peak "
                  f"{t['reference_peak_rss_bytes'] / 2**20:.0f} MiB; the difference, the template engine itself: "
                  f"{t['engine_mb_per_second']:.0f} MB/s of output"]
    lib = results["library"]
    if not lib:
        lines += ["", "## 4. Library hot path (in-process, `secretsmith-bench`)", "",
                  "Not measured in this run: `secretsmith-bench` was not built.",
                  "", f"Whole benchmark (bench/bench.py): {results['elapsed_seconds'] / 60:.1f} minutes"
                  + (f"; the release builds before it (`make bench` from a clean `.build`): "
                     f"{results['build_seconds'] / 60:.1f} minutes" if results.get("build_seconds") else "") + ".", ""]
        return "\n".join(lines + tls_http2_report(results) + [""])
    lines += ["", "## 4. Library hot path (in-process, `secretsmith-bench`)", "",
              f"- cache hits, 1 task: {lib['cache_hits_1']['per_second']:,.0f} accesses/s",
              f"- cache hits, 8 tasks: {lib['cache_hits_8']['per_second']:,.0f} accesses/s",
              f"- cache hits, 1 task, a `ResolvedSecretReference` kept by the caller: "
              f"{lib['cache_hits_1_resolved']['per_second']:,.0f} accesses/s",
              f"- 1,000 concurrent cold requests for one version at L = {LATENCY_MS} ms: "
              f"{lib['cold_1000']['upstream_calls']} upstream call(s), {fmt(lib['cold_1000']['seconds'])}",
              f"- an open circuit breaker refuses {lib['open_breaker']['refused']:,} accesses in "
              f"{fmt(lib['open_breaker']['seconds'])}: {lib['open_breaker']['microseconds_per_call']:.1f} µs per call, "
              f"{lib['open_breaker']['upstream_calls_while_open']} upstream calls",
              "", "## 5. Emulator headroom", "",
              f"- the emulator answers {lib['emulator_rate']['per_second']:,.0f} access requests/s at L = 0 "
              f"(32 connections, client in the same process), far above what the renders above ask of it.",
              "", f"Whole benchmark (bench/bench.py): {results['elapsed_seconds'] / 60:.1f} minutes"
              + (f"; the release builds before it (`make bench` from a clean `.build`): "
                 f"{results['build_seconds'] / 60:.1f} minutes" if results.get("build_seconds") else "") + ".", ""]
    return "\n".join(lines + tls_http2_report(results) + [""])


def update_readme(results: dict) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    c200 = results["cold"][200]
    ours = c200["secretsmith"]["median"]
    table = ["<!-- bench:begin (written by make bench) -->",
             f"On {results['machine']['cores']} cores (load average {load_text(results)}), emulator latency "
             f"{LATENCY_MS} ms per request, 200 distinct secrets, cold process, default settings "
             f"(`concurrency: {CONCURRENCY}`):", "",
             "| | median |", "|---|---|",
             f"| secretsmith render | {fmt(ours)} |",
             f"| physical limit (ceil(200/{CONCURRENCY}) × 20 ms + start) | {fmt(c200['limit'])} |",
             f"| Python client, {CONCURRENCY} threads | {fmt(c200['python-threaded']['median'])} "
             f"({c200['python-threaded']['median'] / ours:.1f}× secretsmith) |",
             f"| Python client, sequential | {fmt(c200['python-sequential']['median'])} "
             f"({c200['python-sequential']['median'] / ours:.1f}× secretsmith) |",
             f"| `secretsmith version` | {fmt(results['start']['secretsmith version']['median'])} |",
             f"| template engine, 50 MB / 100k placeholders | {results['template']['mb_per_second']:.0f} MB/s |",
             "", "Details, spreads and the other sizes: [bench/RESULTS.md](bench/RESULTS.md).",
             "<!-- bench:end -->"]
    replacement = "\n".join(table)
    pattern = re.compile(r"<!-- bench:begin.*?<!-- bench:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: replacement, text)
    else:
        text = text.rstrip() + "\n\n## Performance\n\n" + replacement + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    main()
