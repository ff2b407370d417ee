#!/usr/bin/env bash
# `make demo`: start the bundled Secret Manager emulator on a free loopback port, render
# the examples for every environment into out/, show what was written (paths, modes and
# sizes, never values), and stop the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)/secretsmith
state=.demo
mkdir -p "$state"
rm -f "$state/port"

"$bin" emulator --host 127.0.0.1 --port 0 --port-file "$state/port" \
    --seed examples/emulator-seed.yaml >"$state/emulator.log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    [[ -s "$state/port" ]] && break
    kill -0 "$emulator" 2>/dev/null || { cat "$state/emulator.log" >&2; exit 1; }
    sleep 0.05
done
[[ -s "$state/port" ]] || { echo "the emulator did not start" >&2; exit 1; }
port=$(cat "$state/port")
export SECRET_MANAGER_EMULATOR_HOST="127.0.0.1:$port"
echo "emulator listening on $SECRET_MANAGER_EMULATOR_HOST"

start=$(date +%s%N)
for env in dev staging prod; do
    echo
    echo "== secretsmith render --env $env"
    DEMO_SERVER_NAME="app.$env.acme.example" "$bin" render --config examples/secretsmith.yaml --env "$env"
done
end=$(date +%s%N)

echo
echo "== what was written (mode, size in bytes, path)"
find out -type f | sort | xargs stat -c '%a %8s  %n'
echo
calls=$(python3 - "$SECRET_MANAGER_EMULATOR_HOST" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/_emulator/stats"))
print(stats.get("methods", {}).get("access", 0))
PY
)
echo "rendered 3 environments in $(( (end - start) / 1000000 )) ms with $calls Secret Manager access calls"

echo
echo "== render dev again: unchanged files are left alone (their mtime stays)"
DEMO_SERVER_NAME="app.dev.acme.example" "$bin" render --config examples/secretsmith.yaml --env dev
