#!/usr/bin/env bash
# `make fuzz`: builds every libFuzzer target (coverage-instrumented), seeds its corpus from the
# repository's fixtures and examples, runs each target for FUZZ_SECONDS seconds (or FUZZ_RUNS
# executions, whichever comes first), replays the corpus it grew under AddressSanitizer and
# LeakSanitizer, and writes fuzz/RESULTS.md: one row per target, kept in fuzz/RESULTS.tsv, so
# that targets run by separate invocations (FUZZ_TARGETS) keep their last run's row.
#
# Environment: FUZZ_SECONDS (per target: 90, 90s, 15m or 1h; default 60), FUZZ_RUNS (stop a
# target after this many executions; default: no limit), FUZZ_TARGETS (default: all),
# FUZZ_CONFIGURATION: debug (the default) fuzzes a debug build with AddressSanitizer; release
# fuzzes an optimised build without it (Swift 6.3.1 crashes compiling Secretsmith with
# AddressSanitizer and `-O`; Swift's own bounds and overflow checks stay on, and are several
# times faster per execution) and replays the grown corpus through the debug AddressSanitizer
# build, which it builds too. FUZZ_SCRATCH (the build directory, default .build: it shares the
# normal builds' dependencies, and secretsmith's own modules are rebuilt on every switch between
# a fuzz and a normal build), FUZZ_JOBS (parallel workers per target, default 1), FUZZ_FLAGS
# (more libFuzzer flags), FUZZ_NICE (default 19: the fuzzers take idle CPU only),
# FUZZ_SKIP_BUILD=1 (use the executables already built), FUZZ_REPORT_ONLY=1 (only write
# fuzz/RESULTS.md from fuzz/RESULTS.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
case $SECONDS_PER_TARGET in # 90, 90s, 15m, 1h
    *h) SECONDS_PER_TARGET=$((${SECONDS_PER_TARGET%h} * 3600)) ;;
    *m) SECONDS_PER_TARGET=$((${SECONDS_PER_TARGET%m} * 60)) ;;
    *s) SECONDS_PER_TARGET=${SECONDS_PER_TARGET%s} ;;
esac
RUNS=${FUZZ_RUNS:--1}
TARGETS=${FUZZ_TARGETS:-configuration template reference access-response oauth-response serve-routing jwt}
CONFIGURATION=${FUZZ_CONFIGURATION:-debug}
case $CONFIGURATION in
    debug) SANITIZER=address ;;
    release) SANITIZER=none ;;
    *) echo "fuzz: FUZZ_CONFIGURATION must be debug or release, not $CONFIGURATION" >&2; exit 64 ;;
esac
JOBS=${FUZZ_JOBS:-1}
NICE=${FUZZ_NICE:-19}
SCRATCH=${FUZZ_SCRATCH:-.build}
WORK=$SCRATCH/work

# libFuzzer's runtime without its main: the executables call LLVMFuzzerRunDriver from their
# own main (SwiftPM links an executable's main under another name on Linux, so libFuzzer's
# main cannot be used; linking with -sanitize=fuzzer would bring it).
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v "$SWIFT")")")")
runtime=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -n 1)
if [ -z "$runtime" ]; then
    echo "fuzz: libclang_rt.fuzzer_no_main not found under $toolchain/lib/clang; a Swift toolchain for Linux ships it." >&2
    exit 69
fi

build() { # build CONFIGURATION SANITIZER: every target's executable
    for target in $TARGETS; do
        echo "fuzz: building fuzz-$target ($1, sanitizer: $2)"
        SECRETSMITH_FUZZ=1 SECRETSMITH_FUZZ_SANITIZER=$2 nice -n "$NICE" "$SWIFT" build -c "$1" \
            --scratch-path "$SCRATCH" --product "fuzz-$target" -Xlinker "$runtime" -Xlinker -lstdc++
    done
}
[ "${FUZZ_REPORT_ONLY:-0}" = 1 ] && TARGETS=
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ] && [ -n "$TARGETS" ]; then
    build "$CONFIGURATION" "$SANITIZER"
    # The replay runs under AddressSanitizer, which only debug builds have.
    [ "$CONFIGURATION" = debug ] || build debug address
fi
bin=$SCRATCH/$CONFIGURATION
replay_bin=$SCRATCH/debug
mode=$CONFIGURATION
[ "$SANITIZER" = address ] && mode="$mode, ASan" || mode="$mode, no ASan; replay debug ASan"

[ -z "$TARGETS" ] || bash fuzz/seed-corpus.sh "$WORK/seeds"

# Leaks are looked for by the replay tests' loops, not per input (LeakSanitizer at every
# input's end costs more than the input); a smaller quarantine keeps the resident size of
# the long runs down (use-after-free is still caught for the last 64 MB freed).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:quarantine_size_mb=64}
export SWIFT_BACKTRACE=enable=no
# The longest input each target reads in full (the grammar's largest useful input: a
# configuration or template file, a request, a token); longer inputs only cost time.
max_len() {
    case $1 in
        configuration | template) echo 16384 ;;
        serve-routing) echo 2048 ;;
        *) echo 4096 ;;
    esac
}
results=fuzz/RESULTS.tsv
touch "$results"
status=0
for target in $TARGETS; do
    corpus=$WORK/corpus/$target
    findings=fuzz/findings/$target
    mkdir -p "$corpus" "$findings" fuzz/corpus/"$target"
    log=$WORK/$target.log
    echo "fuzz: running fuzz-$target for ${SECONDS_PER_TARGET}s (log: $log)"
    parallel=()
    [ "$JOBS" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")
    started=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    nice -n "$NICE" "$bin/fuzz-$target" \
        -max_total_time="$SECONDS_PER_TARGET" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
        -detect_leaks=0 -print_final_stats=1 "${parallel[@]}" \
        -dict=fuzz/dict/"$target".dict -artifact_prefix="$findings/" ${FUZZ_FLAGS:-} \
        "$corpus" "$WORK/seeds/$target" fuzz/corpus/"$target" > "$log" 2>&1
    code=$?
    set -e
    elapsed=$(($(date +%s) - started))
    if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >> "$log" 2>/dev/null || true; rm -f fuzz-*.log; fi
    # The corpus once more, each input once, through the AddressSanitizer build (memory errors
    # that an optimised run without it would not notice), with LeakSanitizer at the end (memory
    # that no longer has an owner after the inputs ran; libFuzzer's per-input check would take
    # each growing cache for a leak).
    leak_log=$WORK/$target.leaks.log
    set +e
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=1} \
        ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=0/detect_leaks=1}" nice -n "$NICE" "$replay_bin/fuzz-$target" -runs=0 \
        -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" -detect_leaks=0 \
        -artifact_prefix="$WORK/$target.leaks-" "$corpus" "$WORK/seeds/$target" fuzz/corpus/"$target" > "$leak_log" 2>&1
    leak_code=$?
    set -e
    leaked=$(grep -Eo 'SUMMARY: AddressSanitizer: [0-9]+ byte\(s\) leaked in [0-9]+ allocation' "$leak_log" | grep -Eo '[0-9]+ byte' | grep -Eo '[0-9]+' || true)
    leaked=${leaked:-0}
    if [ "$leak_code" != 0 ] && [ "$code" = 0 ]; then code=$leak_code; fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    rss=$(grep -Eo 'stat::peak_rss_mb: *[0-9]+' "$log" | awk '{print $2}' | sort -n | tail -n 1)
    units=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$findings" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    rate=$((runs / (elapsed > 0 ? elapsed : 1)))
    row=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$target" "$runs" "$elapsed" "$rate" "${cov:-?}" \
        "${ft:-?}" "$units" "${rss:-?}" "$crashes" "$leaked" "$code" "$(date -u +%Y-%m-%dT%H:%MZ)" "$mode")
    { grep -v "^$target	" "$results" || true; echo "$row"; } > "$results.new"
    mv "$results.new" "$results"
    if [ "$code" != 0 ]; then
        status=1
        echo "fuzz: fuzz-$target stopped with status $code; the input is under $findings/ (see $log, $leak_log)" >&2
    fi
done

{
    echo "# Fuzzing results"
    echo
    echo "Written by \`make fuzz\` (fuzz/run.sh) from fuzz/RESULTS.tsv: each target's last run, one"
    echo "libFuzzer worker per target unless the row says otherwise, libFuzzer's coverage"
    echo "instrumentation on secretsmith's own modules (the dependencies are built as the row's build"
    echo "mode says, without it), AddressSanitizer as the row's build says, \`nice -n $NICE\` on $(nproc)"
    echo "CPUs shared with other work; $("$SWIFT" --version 2>/dev/null | head -n 1). A release row's"
    echo "grown corpus was replayed through the debug AddressSanitizer build (\`leaked\`, \`exit\`)."
    echo
    echo "| target | executions | time (s) | exec/s | cov (edges) | ft (features) | corpus units | peak RSS (MB) | crashes | leaked (bytes) | exit | finished (UTC) | build |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    for target in configuration template reference access-response oauth-response serve-routing jwt; do
        grep "^$target	" "$results" | while IFS=$'\t' read -r name runs elapsed rate cov ft units rss crashes leaked code finished mode; do
            echo "| $name | $runs | $elapsed | $rate | $cov | $ft | $units | $rss | $crashes | $leaked | $code | $finished | $mode |"
        done
    done
    echo
    echo "\`cov\` and \`ft\` are libFuzzer's last \`cov:\` and \`ft:\` figures (edges and features covered,"
    echo "the library's code included); \`leaked\` is what LeakSanitizer found unreachable after the"
    echo "corpus ran once more, each input once; \`exit\` is the fuzzer's status (0: the time or the executions ran out"
    echo "without a finding or leak). A crash or property violation leaves its input under \`fuzz/findings/TARGET/\`;"
    echo "once fixed, it moves to \`fuzz/corpus/TARGET/\`, which \`make test\` replays."
    if [ -f fuzz/RESULTS.notes.md ]; then
        echo
        cat fuzz/RESULTS.notes.md
    fi
} > fuzz/RESULTS.md
echo "fuzz: wrote fuzz/RESULTS.md"
exit $status
