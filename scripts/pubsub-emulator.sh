#!/bin/bash
# Starts and stops Google's Pub/Sub emulator in the background, for demos and scripts.
#
#   scripts/pubsub-emulator.sh start PORT DIR   # listens on 127.0.0.1:PORT; DIR gets pid and log
#   scripts/pubsub-emulator.sh stop DIR         # stops it (the whole process group) and waits
#
# `start` runs the emulator's own launcher (platform/pubsub-emulator/bin/cloud-pubsub-emulator
# under the Google Cloud SDK: $CLOUDSDK_ROOT, the SDK of the gcloud on PATH, or the standard
# install places), not `gcloud beta emulators pubsub start`, whose Python wrapper leaves its
# Java child running when it is killed. The emulator runs in a process group of its own
# (setsid), so `stop` can signal everything it started. `start` waits until the emulator
# answers (at most PUBSUB_EMULATOR_START_TIMEOUT seconds, default 90: a JVM on a loaded
# machine is slow), then prints `PUBSUB_EMULATOR_HOST=127.0.0.1:PORT`. Topics and
# subscriptions live in memory only: create them after each start (PUT /v1/projects/P/topics/T).
#
# Needs: bash, the Debian package google-cloud-cli-pubsub-emulator (Google's apt repository),
# a Java runtime, curl, setsid. Exit status: 0 done; 1 failed (the log is printed); 2 usage.
set -eu

usage() {
    echo "usage: $0 start PORT DIR | stop DIR" >&2
    exit 2
}

locate() {
    roots=""
    if [ -n "${CLOUDSDK_ROOT:-}" ]; then roots="$CLOUDSDK_ROOT"; fi
    if gcloud=$(command -v gcloud 2>/dev/null); then
        resolved=$(readlink -f "$gcloud")
        roots="$roots $(dirname "$(dirname "$resolved")")"
    fi
    roots="$roots /usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk /opt/google-cloud-sdk"
    for root in $roots; do
        if [ -x "$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]; then
            echo "$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
            return 0
        fi
    done
    echo "$0: Google's Pub/Sub emulator is not installed (Debian package google-cloud-cli-pubsub-emulator from Google's apt repository; looked under:$roots)" >&2
    return 1
}

# Whether the process group led by $1 still has a member.
group_alive() {
    kill -0 "-$1" 2>/dev/null
}

stop() {
    dir=$1
    pidfile="$dir/pubsub-emulator.pid"
    [ -f "$pidfile" ] || { echo "$0: no $pidfile: nothing to stop" >&2; return 0; }
    pid=$(cat "$pidfile")
    case "$pid" in '' | *[!0-9]*) echo "$0: $pidfile does not hold a pid" >&2; return 1 ;; esac
    if group_alive "$pid"; then
        kill -TERM "-$pid" 2>/dev/null || true
        waited=0
        while group_alive "$pid" && [ "$waited" -lt 100 ]; do   # 10 s
            sleep 0.1
            waited=$((waited + 1))
        done
        if group_alive "$pid"; then
            kill -KILL "-$pid" 2>/dev/null || true
            waited=0
            while group_alive "$pid" && [ "$waited" -lt 50 ]; do
                sleep 0.1
                waited=$((waited + 1))
            done
        fi
    fi
    rm -f "$pidfile"
    if group_alive "$pid"; then
        echo "$0: the Pub/Sub emulator (process group $pid) did not stop" >&2
        return 1
    fi
}

start() {
    port=$1
    dir=$2
    case "$port" in '' | *[!0-9]*) usage ;; esac
    [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || usage
    launcher=$(locate)
    command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ] || {
        echo "$0: the Pub/Sub emulator needs a Java runtime (JAVA_HOME or java on PATH; Debian: default-jre-headless)" >&2
        return 1
    }
    mkdir -p "$dir"
    pidfile="$dir/pubsub-emulator.pid"
    log="$dir/pubsub-emulator.log"
    if [ -f "$pidfile" ] && group_alive "$(cat "$pidfile")"; then
        echo "$0: a Pub/Sub emulator already runs from $dir (pid $(cat "$pidfile")); stop it first" >&2
        return 1
    fi
    # setsid: a new session and process group whose id is the launcher's pid (the launcher
    # execs java, so the pid stays the JVM's). Descriptors above 2 inherited from the caller
    # are closed first: a pipe the caller reads to its end (a command substitution, a test
    # runner) would otherwise stay open as long as the emulator runs.
    (
        for path in /proc/self/fd/* /dev/fd/*; do
            fd=${path##*/}
            case "$fd" in '' | *[!0-9]* | 0 | 1 | 2) continue ;; esac
            eval "exec $fd>&-" 2>/dev/null || true
        done
        exec setsid "$launcher" --host=127.0.0.1 --port="$port" </dev/null >"$log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$pidfile"
    timeout=${PUBSUB_EMULATOR_START_TIMEOUT:-90}
    deadline=$(($(date +%s) + timeout))
    while :; do
        if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null; then
            echo "PUBSUB_EMULATOR_HOST=127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$0: the Pub/Sub emulator exited during startup; its log ($log):" >&2
            tail -n 40 "$log" >&2 || true
            stop "$dir" || true
            return 1
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "$0: the Pub/Sub emulator did not answer on 127.0.0.1:$port within ${timeout}s; its log ($log):" >&2
            tail -n 40 "$log" >&2 || true
            stop "$dir" || true
            return 1
        fi
        sleep 0.2
    done
}

[ $# -ge 1 ] || usage
case "$1" in
start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" ;;
*) usage ;;
esac
