#!/usr/bin/env bash
# Builds the fuzz preset (clang-19, -fsanitize=fuzzer,address,undefined) and runs every fuzz target (or those named)
# for SECONDS each, JOBS at a time, then prints per target: executions, coverage (libFuzzer's cov and ft), corpus
# size and findings. `scripts/fuzz.sh 600` is the 10-minute run of docs/security.md.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (targets: onnx_loader npy model_metadata part10 ct_series seg_input)
#   FUZZ_JOBS=2 scripts/fuzz.sh 600            (two targets at a time; the default is 1)
# The corpora grow in build/fuzz/fuzz/corpus/<target> and are reused by the next run; findings are written to
# build/fuzz/fuzz/artifacts/<target>/ (copy them to fuzz/regressions/<target>/ once fixed), logs to
# build/fuzz/fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(onnx_loader npy model_metadata part10 ct_series seg_input); fi
jobs=${FUZZ_JOBS:-1}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
out=build/fuzz/fuzz
mkdir -p "$out/logs"

run_one() {
  local target=$1 rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    fuzz/run_fuzzer.sh "$out/${target}_fuzz" "$seconds" "$out/corpus/$target" "fuzz/corpus/$target" \
    "fuzz/regressions/$target" >"$out/logs/$target.log" 2>&1 || rc=$?
  echo "$rc" >"$out/logs/$target.rc"
}

running=0
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s (log: $out/logs/$target.log)"
  rm -f "$out/logs/$target.rc"
  run_one "$target" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
failed=()
for target in "${targets[@]}"; do
  [ "$(cat "$out/logs/$target.rc" 2>/dev/null)" = 0 ] || failed+=("$target")
done

printf '\n%-15s %12s %10s %8s %8s %12s %s\n' target executions exec/s cov ft corpus findings
for target in "${targets[@]}"; do
  log=$out/logs/$target.log
  execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo '?')
  rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo '?')
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | sed 's/corp: //' || echo '?')
  findings=$(find "$out/artifacts/$target" -type f 2>/dev/null | wc -l)
  printf '%-15s %12s %10s %8s %8s %12s %s\n' "$target" "$execs" "$rate" "$cov" "$ft" "$corpus" "$findings"
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}: see $out/logs/ and $out/artifacts/" >&2
  exit 1
fi
