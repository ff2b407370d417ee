#!/usr/bin/env bash
# `make bench`: installs what the benchmark needs when missing (hyperfine, wrk and GNU time
# from Debian, the Python client from PyPI into bench/.venv), builds secretsmith in release mode, and runs
# bench/bench.py, which writes bench/RESULTS.md and the README's Performance table.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
if ! command -v hyperfine >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1 || [[ ! -x /usr/bin/time ]]; then
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends hyperfine wrk time
fi
if [[ ! -x bench/.venv/bin/python ]] || ! cmp -s bench/requirements.txt bench/.venv/.requirements; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
    cp bench/requirements.txt bench/.venv/.requirements
fi

# SWIFT_BUILD_FLAGS (e.g. "--scratch-path .build-release") is passed to every swift build.
read -r -a flags <<<"${SWIFT_BUILD_FLAGS:-}"
# dist/secretsmith (Swift runtime and Foundation linked statically: what the container image
# and the releases ship) is the binary measured. secretsmith-bench is built with the same
# flags and PKG_CONFIG_PATH as `make dist`, so it reuses every compiled module: a plain
# `swift build -c release` compiles every module again (SwiftPM passes
# --static-swift-stdlib to the compiler too), which doubled the build time.
build_started=$(date +%s)
bash scripts/dist.sh
PKG_CONFIG_PATH="$PWD/.build/dist-link/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
    swift build -c release --static-swift-stdlib "${flags[@]}" --product secretsmith-bench
# The builds' wall time, which bench.py notes in RESULTS.md (from a clean .build it is the
# cold release build; the benchmarks themselves take a few minutes more). A value already in
# the environment (a cold build timed separately) is kept.
export BENCH_BUILD_SECONDS=${BENCH_BUILD_SECONDS:-$(($(date +%s) - build_started))}

# BENCH_LOCK=FILE runs each benchmark script under `flock FILE` (not the builds), so that
# measurements sharing the machine take turns.
measure=()
[[ -n "${BENCH_LOCK:-}" ]] && measure=(flock "$BENCH_LOCK")
# BENCH_ONLY=serve runs only the service benchmark (wrk against `secretsmith serve`).
if [[ "${BENCH_ONLY:-}" != serve ]]; then
    "${measure[@]}" python3 bench/bench.py
    # `secretsmith watch`: rotation latency and Secret Manager calls at rest (needs Google's
    # Pub/Sub emulator, google-cloud-cli-pubsub-emulator); adds its section to bench/RESULTS.md.
    "${measure[@]}" python3 bench/watch_bench.py --binary "$(swift build -c release "${flags[@]}" --show-bin-path)/secretsmith"
fi
"${measure[@]}" python3 bench/serve_bench.py
