#!/usr/bin/env bash
# `make demo`: start the bundled Secret Manager emulator on a free loopback port, render
# the examples for every environment into out/, show what was written (paths, modes and
# sizes, never values), and stop the emulator. Then a second run: a generated
# service-account key against the emulator with authentication on.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(swift build --show-bin-path)/secretsmith
state=.demo
mkdir -p "$state"
rm -f "$state/port"

"$bin" emulator --host 127.0.0.1 --port 0 --port-file "$state/port" \
    --seed examples/emulator-seed.yaml >"$state/emulator.log" 2>&1 &
emulator=$!
auth_emulator=
trap 'kill $emulator $auth_emulator 2>/dev/null || true; wait $emulator $auth_emulator 2>/dev/null || true' EXIT

# wait_for_port PID PORTFILE LOG: wait until an emulator wrote its port file.
wait_for_port() {
    for _ in $(seq 1 100); do
        [[ -s "$2" ]] && return 0
        kill -0 "$1" 2>/dev/null || { cat "$3" >&2; exit 1; }
        sleep 0.05
    done
    echo "the emulator did not start" >&2
    exit 1
}

wait_for_port "$emulator" "$state/port" "$state/emulator.log"
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

echo
echo "== second run: a service-account key against the emulator with authentication on"
account=demo-renderer@acme-billing-dev.iam.gserviceaccount.com
rm -f "$state/auth-port"
"$bin" emulator --generate-service-account "$account" --key-file "$state/demo-sa.json" \
    --public-key-file "$state/demo-sa.pub.pem" --token-uri "http://127.0.0.1:PORT/token" \
    --project-id acme-billing-dev >/dev/null
{
    cat examples/emulator-seed.yaml
    printf 'service_accounts:\n  %s: { public_key_file: demo-sa.pub.pem }\n' "$account"
} >"$state/auth-seed.yaml"
"$bin" emulator --auth --host 127.0.0.1 --port 0 --port-file "$state/auth-port" \
    --seed "$state/auth-seed.yaml" >"$state/auth-emulator.log" 2>&1 &
auth_emulator=$!
wait_for_port "$auth_emulator" "$state/auth-port" "$state/auth-emulator.log"
auth_port=$(cat "$state/auth-port")
# The key file's token_uri is the emulator's OAuth endpoint, as a real key's is Google's.
sed -i "s#http://127.0.0.1:PORT/token#http://127.0.0.1:$auth_port/token#" "$state/demo-sa.json"
echo "emulator with --auth on 127.0.0.1:$auth_port; key file $state/demo-sa.json (mode $(stat -c %a "$state/demo-sa.json")) for $account"

echo "-- without credentials (SECRET_MANAGER_EMULATOR_HOST sends no token) the emulator refuses:"
set +e
SECRET_MANAGER_EMULATOR_HOST="127.0.0.1:$auth_port" DEMO_ENDPOINT="http://127.0.0.1:$auth_port" \
    DEMO_KEY_FILE="$PWD/$state/demo-sa.json" "$bin" get --config examples/secretsmith-auth.yaml \
    --env dev billing/db-password >/dev/null 2>"$state/refused.txt"
status=$?
set -e
echo "   exit $status: $(head -c 150 "$state/refused.txt")..."

echo "-- with the key file (a self-signed JWT as the Bearer token, verified against the seeded key; no /token call):"
env -u SECRET_MANAGER_EMULATOR_HOST DEMO_ENDPOINT="http://127.0.0.1:$auth_port" DEMO_KEY_FILE="$PWD/$state/demo-sa.json" \
    "$bin" render --config examples/secretsmith-auth.yaml --env dev
stat -c '%a %8s  %n' out/auth/app.env
python3 - "127.0.0.1:$auth_port" <<'PY'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/_emulator/stats"))
print(f"token exchanges: {stats.get('tokens', {})}; self-signed JWTs accepted: {stats.get('selfSignedJWTs', 0)}; "
      f"access calls: {stats.get('methods', {}).get('access', 0)}; "
      f"answers by status: {stats.get('statusCodes', {})}")
PY
