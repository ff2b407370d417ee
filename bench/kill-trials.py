#!/usr/bin/env python3
"""Kill trials: is `secretsmith render` all or nothing when it is killed at a random moment?

Builds nothing: pass the secretsmith binary. Starts that binary's emulator on a free
loopback port with latency on every access, writes a configuration of OUTPUTS outputs
(split over two directories) whose every secret has two versions, A and B, and two
configuration files that read version A or version B of each. Then, TRIALS times for
SIGTERM and TRIALS times for SIGKILL:

1. start a render that switches every destination to the other version,
2. after a random delay (uniform over 0 to 1.1 x the median of the last complete runs,
   so the spread follows the machine's load), send the signal,
3. check every destination: wholly the old version or wholly the new one (a file that is
   neither is "torn"), and the set of them all old or all new (else "mixed": a failure
   after SIGTERM; after SIGKILL plain files cannot promise it, `--atomic-dir` can); check the
   exit status (SIGTERM: 143, or death by SIGTERM before the handler is installed, or 0 if
   the render had finished and every file is new; SIGKILL: killed, or 0 likewise);
4. run a complete render to the new version (it must exit 0) and count temporary files
   (`.NAME.secretsmith-*.tmp`, and with `--atomic-dir` timestamped directories that
   `..data` does not point to) left in the output directories after it.

`--atomic-dir` puts the outputs in one directory with `atomic_dir: true`; a binary without
that option fails its first render.

Usage:
    bench/kill-trials.py .build/debug/secretsmith [--trials 300] [--outputs 20]
        [--latency-ms 3] [--jitter-ms 3] [--seed 1] [--atomic-dir] [--json results.json]

Exit status 0 when no trial found a torn file, a mixed outcome after SIGTERM (or after
SIGKILL with --atomic-dir), a wrong exit status, or a temporary file left after the next
complete run; 1 otherwise.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def value(index, version):
    # Distinct, fairly long values so a torn file cannot look like either version.
    return f"s{index:02d}-{version}-" + (version * 200)


def folder(index, atomic):
    return "c" if atomic else ("a" if index % 2 == 0 else "b")


def setup(directory, outputs, atomic):
    seed = ["projects:", "  acme-kill:", "    number: 400000000001", "    secrets:"]
    for index in range(outputs):
        seed += [f"      s{index:02d}:", "        versions:"]
        seed += [f'          - data: "{value(index, "A")}"', f'          - data: "{value(index, "B")}"']
    write(os.path.join(directory, "seed.yaml"), "\n".join(seed) + "\n")
    for version, number in (("A", 1), ("B", 2)):
        lines = [
            "version: 1",
            "environments:",
            "  dev:",
            "    projects:",
            "      kill:",
            "        project_id: acme-kill",
            "        allow_undeclared: true",
            "outputs:",
        ]
        extra = ", atomic_dir: true" if atomic else ""
        for index in range(outputs):
            lines.append(
                f"  - {{ name: o{index:02d}, format: dotenv, path: out/{folder(index, atomic)}/o{index:02d}.env, "
                f"values: {{ V: kill/s{index:02d}@{number} }}{extra} }}"
            )
        write(os.path.join(directory, f"config-{version}.yaml"), "\n".join(lines) + "\n")
    return [os.path.join(directory, "out", folder(i, atomic), f"o{i:02d}.env") for i in range(outputs)]


def contents(paths):
    result = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                result.append(handle.read())
        except FileNotFoundError:
            result.append(None)
    return result


def classify(paths, expected, old, new):
    """Returns (old count, new count, torn count); `expected` maps a version to contents."""
    counts = [0, 0, 0]
    for index, text in enumerate(contents(paths)):
        if text == expected[old][index]:
            counts[0] += 1
        elif text == expected[new][index]:
            counts[1] += 1
        else:
            counts[2] += 1
    return counts


def temporary_files(directory):
    """Temporary files, and timestamped directories `..data` does not point to."""
    found = []
    for root, directories, names in os.walk(os.path.join(directory, "out")):
        found += [os.path.join(root, n) for n in names if ".secretsmith-" in n and n.endswith(".tmp")]
        current = os.readlink(os.path.join(root, "..data")) if os.path.islink(os.path.join(root, "..data")) else None
        found += [os.path.join(root, d) for d in directories if d.startswith("..2") and d != current]
        directories[:] = [d for d in directories if not d.startswith("..")]
    return found


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.unlink(path)


def start_emulator(binary, directory, latency, jitter):
    port_file = os.path.join(directory, "emulator.port")
    log = open(os.path.join(directory, "emulator.log"), "w")
    process = subprocess.Popen(
        [binary, "emulator", "--host", "127.0.0.1", "--port", "0", "--port-file", port_file,
         "--seed", os.path.join(directory, "seed.yaml"),
         "--fault", f"latency:{latency}+{jitter},method=access"],
        stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return process, int(open(port_file).read().strip())
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    sys.exit("the emulator did not start; see " + log.name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=300, help="trials per signal (default 300)")
    parser.add_argument("--outputs", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=3)
    parser.add_argument("--jitter-ms", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="random seed for the kill moments")
    parser.add_argument("--json", help="also write the counts to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--atomic-dir", action="store_true", help="one directory of outputs with atomic_dir: true")
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    randomness = random.Random(arguments.seed)

    directory = tempfile.mkdtemp(prefix="secretsmith-kill-trials-")
    paths = setup(directory, arguments.outputs, arguments.atomic_dir)
    emulator, port = start_emulator(binary, directory, arguments.latency_ms, arguments.jitter_ms)
    environment = dict(os.environ, SECRET_MANAGER_EMULATOR_HOST=f"127.0.0.1:{port}")
    for name in ("SECRETSMITH_ENV", "SECRETSMITH_CONFIG"):
        environment.pop(name, None)

    def render(version):
        return [binary, "render", "--config", os.path.join(directory, f"config-{version}.yaml"), "--env", "dev"]

    recent = []

    def complete(version):
        started = time.monotonic()
        result = subprocess.run(render(version), cwd=directory, env=environment, capture_output=True)
        if result.returncode == 0:
            recent.append(time.monotonic() - started)
            del recent[:-9]
        return result.returncode

    def span():
        return sorted(recent)[len(recent) // 2] * 1.1

    try:
        # Measure a complete run (the kill moments are spread over it).
        expected = {}
        state = "A"
        for _ in range(6):
            state = "B" if state == "A" else "A"
            code = complete(state)
            if code != 0:
                sys.exit(f"a complete render failed with {code}")
            expected[state] = contents(paths)
        for version in ("A", "B"):
            for index, text in enumerate(expected[version]):
                if text is None or value(index, version).encode() not in text:
                    sys.exit(f"output {index} does not hold version {version}")
        first_span = span()

        results = {}
        for name, number in (("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL)):
            counts = dict(trials=0, interrupted=0, mixed=0, torn=0, wrong_exit=0, temporary_after_kill=0,
                          trials_with_temporary_after_kill=0, temporary_after_next_run=0, next_run_failed=0)
            exits = {}
            for _ in range(arguments.trials):
                old, new = state, ("B" if state == "A" else "A")
                process = subprocess.Popen(render(new), cwd=directory, env=environment,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(randomness.uniform(0, span()))
                try:
                    process.send_signal(number)
                except ProcessLookupError:
                    pass
                code = process.wait()
                exits[code] = exits.get(code, 0) + 1
                counts["trials"] += 1
                n_old, n_new, n_torn = classify(paths, expected, old, new)
                if code != 0:
                    counts["interrupted"] += 1
                if n_torn:
                    counts["torn"] += 1
                if n_old and n_new:
                    counts["mixed"] += 1
                if number == signal.SIGTERM:
                    good = code in (128 + number, -number) or (code == 0 and n_new == len(paths))
                else:
                    good = code == -number or (code == 0 and n_new == len(paths))
                if not good:
                    counts["wrong_exit"] += 1
                left = temporary_files(directory)
                counts["temporary_after_kill"] += len(left)
                counts["trials_with_temporary_after_kill"] += 1 if left else 0
                if complete(new) != 0:
                    counts["next_run_failed"] += 1
                state = new
                counts["temporary_after_next_run"] += len(temporary_files(directory))
                # Every trial starts from a clean slate, whatever the next run left.
                for path in temporary_files(directory):
                    remove(path)
            counts["exit_statuses"] = {str(k): v for k, v in sorted(exits.items())}
            results[name] = counts
        summary = dict(binary=binary, outputs=arguments.outputs, latency_ms=arguments.latency_ms,
                       jitter_ms=arguments.jitter_ms, atomic_dir=arguments.atomic_dir, complete_run_seconds=round(first_span / 1.1, 4),
                       last_complete_run_seconds=round(span() / 1.1, 4), results=results)
        print(json.dumps(summary, indent=2))
        if arguments.json:
            with open(arguments.json, "w") as handle:
                json.dump(summary, handle, indent=2)
        bad = any(r["torn"] or r["wrong_exit"] or r["temporary_after_next_run"] or r["next_run_failed"]
                  for r in results.values())
        bad = bad or results["SIGTERM"]["mixed"] or (arguments.atomic_dir and results["SIGKILL"]["mixed"])
        return 1 if bad else 0
    finally:
        emulator.terminate()
        emulator.wait()
        if not arguments.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
