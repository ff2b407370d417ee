#!/usr/bin/env python3
"""`make bench`: secretsmith against Google's official Python client, on one emulator.

Every figure comes from this run on this machine: hyperfine times whole processes
(median and spread over several runs), `secretsmith-bench` measures the library's hot
paths in-process. The results go to bench/RESULTS.md and the README's Performance table.

Scenarios (issue #7):
 1. cold render of N distinct secrets (N = 10, 200, 1000) with the emulator adding
    L = 20 ms per request: secretsmith, the Python client sequential and threaded (same
    concurrency as secretsmith's default, 16), and the physical limit
    ceil(N / 16) x L + process start;
 2. process start: `secretsmith version`, a 10-secret render at L = 0, and importing the
    Python client alone;
 3. the template engine: about 50 MB with 100,000 placeholders over 100 secrets;
 4. the library hot path: cache hits per second from 1 and 8 tasks, 1,000 concurrent
    cold requests for one version;
 5. the emulator's own request rate at L = 0.

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
CONCURRENCY = 16
LATENCY_MS = 20
SIZES = [10, 200, 1000]
PROJECT = "bench-project"
SENTINEL = "SENTINEL-7c1f"


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def bin_path() -> Path:
    flags = os.environ.get("SWIFT_BUILD_FLAGS", "").split()
    return Path(run(["swift", "build", "-c", "release", *flags, "--show-bin-path"], cwd=ROOT).stdout.strip())


class Emulator:
    """`secretsmith emulator` as a separate process on a free loopback port."""

    def __init__(self, binary: Path, seed: Path, workdir: Path, latency_ms: int):
        port_file = workdir / f"emulator-{latency_ms}.port"
        arguments = [str(binary), "emulator", "--port", "0", "--port-file", str(port_file), "--seed", str(seed)]
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


def peak_rss_kib(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one run of `command`."""
    probe = ("import resource, subprocess, sys, time\n"
             "start = time.perf_counter()\n"
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
             "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    output = run([sys.executable, "-c", probe, *command], env=env).stdout.split()
    return float(output[0]), int(output[1])


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


def main() -> None:
    started = time.time()
    binaries = bin_path()
    secretsmith = binaries / "secretsmith"
    bench_binary = binaries / "secretsmith-bench"
    workdir = Path(tempfile.mkdtemp(prefix="secretsmith-bench-"))
    env = dict(os.environ)
    env.pop("SECRET_MANAGER_EMULATOR_HOST", None)
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
            figures.update(hyperfine({"python-sequential": python + " --mode sequential"},
                                     5 if count < 1000 else 3, env_slow, workdir))
            limit = math.ceil(count / CONCURRENCY) * LATENCY_MS / 1000 + start_figure["median"]
            results["cold"][count] = {**figures, "limit": limit}
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
        peak = 0
        for _ in range(3):
            output_big.unlink(missing_ok=True)  # a changed file each run: the write is measured too
            seconds, rss = peak_rss_kib(command, env_fast)
            timings.append(seconds)
            peak = max(peak, rss)
        size = output_big.stat().st_size
        median = statistics.median(timings)
        results["template"] = {"template_bytes": template.stat().st_size, "output_bytes": size,
                               "placeholders": 100_000, "seconds_median": median, "seconds_min": min(timings),
                               "seconds_max": max(timings), "mb_per_second": size / 1e6 / median,
                               "peak_rss_bytes": peak * 1024, "rss_per_output_byte": peak * 1024 / size}
    finally:
        fast.stop()

    results["library"]["cache_hits_1"] = library(bench_binary, "cache-hits", "--tasks", "1", "--seconds", "2")
    results["library"]["cache_hits_8"] = library(bench_binary, "cache-hits", "--tasks", "8", "--seconds", "2")
    results["library"]["cache_hits_1_resolved"] = library(bench_binary, "cache-hits", "--tasks", "1", "--seconds", "2",
                                                          "--resolved", "1")
    results["library"]["cold_1000"] = library(bench_binary, "cold-single-flight", "--requests", "1000",
                                              "--latency-ms", str(LATENCY_MS))
    results["library"]["open_breaker"] = library(bench_binary, "open-breaker", "--accesses", "1000")
    results["library"]["emulator_rate"] = library(bench_binary, "emulator-rate", "--seconds", "3",
                                                  "--connections", "32")
    results["elapsed_seconds"] = time.time() - started
    (BENCH / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    report = render_report(results)
    (BENCH / "RESULTS.md").write_text(report)
    update_readme(results)
    print(report)
    shutil.rmtree(workdir, ignore_errors=True)


def render_report(results: dict) -> str:
    m = results["machine"]
    lines = ["# secretsmith benchmark results", "",
             "Written by `make bench` (bench/bench.py); every figure below comes from that run. "
             "Times are medians with the range (min–max) and run count; whole processes are timed with hyperfine.",
             "", "## Machine", "",
             f"- CPU: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}",
             f"- {m['swift']}", f"- {m['python']}, google-cloud-secret-manager {m['google-cloud-secret-manager']}",
             f"- {m['hyperfine']}; secretsmith built with `swift build -c release`",
             "", f"## 1. Cold render, N distinct secrets, emulator latency L = {LATENCY_MS} ms", "",
             f"Physical limit = ceil(N / {CONCURRENCY}) × L + process start (`secretsmith version`).", "",
             "| N | secretsmith | Python threaded (16) | Python sequential | limit | secretsmith / limit "
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
    lib = results["library"]
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
              "", f"Whole benchmark: {results['elapsed_seconds'] / 60:.1f} minutes.", ""]
    return "\n".join(lines)


def update_readme(results: dict) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    c200 = results["cold"][200]
    ours = c200["secretsmith"]["median"]
    table = ["<!-- bench:begin (written by make bench) -->",
             f"On {results['machine']['cores']} cores, emulator latency {LATENCY_MS} ms per request, "
             "200 distinct secrets, cold process:", "",
             "| | median |", "|---|---|",
             f"| secretsmith render | {fmt(ours)} |",
             f"| physical limit (ceil(200/16) × 20 ms + start) | {fmt(c200['limit'])} |",
             f"| Python client, 16 threads | {fmt(c200['python-threaded']['median'])} "
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
