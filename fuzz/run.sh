#!/usr/bin/env bash
# `make fuzz`: builds every libFuzzer target (coverage-instrumented, AddressSanitizer), seeds
# its corpus from the repository's fixtures and examples, runs each target for
# FUZZ_SECONDS seconds, and writes fuzz/RESULTS.md.
#
# Environment: FUZZ_SECONDS (per target: 90, 90s, 15m or 1h; default 60), FUZZ_TARGETS (default: all),
# FUZZ_CONFIGURATION (release or debug, default release), FUZZ_SCRATCH (the build
# directory, default .build/fuzz; `.build` shares a debug build's dependencies but then
# rebuilds secretsmith's modules on every switch), FUZZ_JOBS (parallel workers per
# target, default 1), FUZZ_FLAGS (more libFuzzer flags), FUZZ_NICE (default 10),
# FUZZ_SKIP_BUILD=1 (use the executables already built).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
case $SECONDS_PER_TARGET in # 90, 90s, 15m, 1h
    *h) SECONDS_PER_TARGET=$((${SECONDS_PER_TARGET%h} * 3600)) ;;
    *m) SECONDS_PER_TARGET=$((${SECONDS_PER_TARGET%m} * 60)) ;;
    *s) SECONDS_PER_TARGET=${SECONDS_PER_TARGET%s} ;;
esac
TARGETS=${FUZZ_TARGETS:-configuration template reference access-response oauth-response serve-routing jwt}
CONFIGURATION=${FUZZ_CONFIGURATION:-release}
JOBS=${FUZZ_JOBS:-1}
NICE=${FUZZ_NICE:-10}
SCRATCH=${FUZZ_SCRATCH:-.build/fuzz}
WORK=$SCRATCH/work

# libFuzzer's runtime without its main: the executables call LLVMFuzzerRunDriver from their
# own main (SwiftPM links an executable's main under another name on Linux, so libFuzzer's
# main cannot be used; -sanitize=fuzzer would link it).
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v "$SWIFT")")")")
runtime=$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -n 1)
if [ -z "$runtime" ]; then
    echo "fuzz: libclang_rt.fuzzer_no_main not found under $toolchain/lib/clang; a Swift toolchain for Linux ships it." >&2
    exit 69
fi

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    for target in $TARGETS; do
        echo "fuzz: building fuzz-$target ($CONFIGURATION)"
        SECRETSMITH_FUZZ=1 nice -n "$NICE" "$SWIFT" build -c "$CONFIGURATION" --scratch-path "$SCRATCH" \
            --product "fuzz-$target" -Xlinker "$runtime" -Xlinker -lstdc++
    done
fi
bin=$SCRATCH/$CONFIGURATION

bash fuzz/seed-corpus.sh "$WORK/seeds"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export SWIFT_BACKTRACE=enable=no
results=$WORK/results.tsv
: > "$results"
status=0
for target in $TARGETS; do
    corpus=$WORK/corpus/$target
    findings=fuzz/findings/$target
    mkdir -p "$corpus" "$findings" fuzz/corpus/"$target"
    log=$WORK/$target.log
    echo "fuzz: running fuzz-$target for ${SECONDS_PER_TARGET}s (log: $log)"
    parallel=()
    [ "$JOBS" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")
    set +e
    nice -n "$NICE" "$bin/fuzz-$target" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -detect_leaks=0 -print_final_stats=1 "${parallel[@]}" \
        -dict=fuzz/dict/"$target".dict -artifact_prefix="$findings/" ${FUZZ_FLAGS:-} \
        "$corpus" "$WORK/seeds/$target" fuzz/corpus/"$target" > "$log" 2>&1
    code=$?
    set -e
    if [ "$JOBS" -gt 1 ]; then cat fuzz-*.log >> "$log" 2>/dev/null || true; rm -f fuzz-*.log; fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    units=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$findings" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$runs" "${cov:-?}" "${ft:-?}" "$units" "$crashes" "$code" >> "$results"
    if [ "$code" != 0 ]; then
        status=1
        echo "fuzz: fuzz-$target stopped with status $code; the input is under $findings/ (see $log)" >&2
    fi
done

{
    echo "# Fuzzing results"
    echo
    echo "Written by \`make fuzz\` (fuzz/run.sh) on $(date -u +%Y-%m-%dT%H:%MZ): ${SECONDS_PER_TARGET} s per target,"
    echo "$JOBS worker(s), $CONFIGURATION build with AddressSanitizer and libFuzzer's coverage instrumentation,"
    echo "$(nproc) CPUs shared with other work (\`nice -n $NICE\`); $("$SWIFT" --version 2>/dev/null | head -n 1)."
    echo
    echo "| target | executions | cov (edges) | ft (features) | corpus units | crashes | exit |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r target runs cov ft units crashes code; do
        echo "| $target | $runs | $cov | $ft | $units | $crashes | $code |"
    done < "$results"
    echo
    echo "\`cov\` and \`ft\` are libFuzzer's last \`cov:\` and \`ft:\` figures (edges and features covered,"
    echo "the library's code included). A crash or property violation leaves its input under"
    echo "\`fuzz/findings/TARGET/\`; once fixed, it moves to \`fuzz/corpus/TARGET/\`, which \`make test\` replays."
    if [ -f fuzz/RESULTS.notes.md ]; then
        echo
        cat fuzz/RESULTS.notes.md
    fi
} > fuzz/RESULTS.md
echo "fuzz: wrote fuzz/RESULTS.md"
exit $status
