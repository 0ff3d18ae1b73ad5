#!/bin/sh
# Cairn against ONNX Runtime native, side by side: the same ONNX file, input shape and thread count, alternating
# `cairn bench --json` and bench/ort_bench.mjs (onnxruntime-node) for several rounds so that both see the same
# machine load, then a table of the medians over all runs and their ratio (below 1: Cairn is faster).
#
# Usage: bench/compare_ort.sh MODEL.onnx --shape 1x1x512x512 [--threads "1 2"] [--rounds 3] [--runs 3]
# Needs build/release (cmake --preset release && cmake --build --preset release) and node_modules
# (ONNXRUNTIME_NODE_INSTALL=skip npm ci).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN:-$root/build/release/tools/cli/cairn}
model=""; shape=""; threads="1 2"; rounds=3; runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -*) echo "compare_ort.sh: unknown option $1" >&2; exit 2 ;;
    *) model=$1; shift ;;
  esac
done
[ -n "$model" ] && [ -n "$shape" ] || { echo "usage: bench/compare_ort.sh MODEL.onnx --shape S [--threads \"1 2\"] [--rounds R] [--runs N]" >&2; exit 2; }
[ -x "$cairn" ] || { echo "compare_ort.sh: no $cairn (build the release preset)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in $threads; do
  r=0
  while [ "$r" -lt "$rounds" ]; do
    printf 'cairn %s ' "$t" >>"$log"
    "$cairn" bench "$model" --shape "$shape" --threads "$t" --runs "$runs" --warmup 1 --json >>"$log"
    printf 'ort %s ' "$t" >>"$log"
    node "$root/bench/ort_bench.mjs" "$model" --shape "$shape" --threads "$t" --runs "$runs" --warmup 1 >>"$log"
    r=$((r + 1))
  done
done
python3 - "$log" "$model" "$shape" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    engine, threads, payload = line.split(' ', 2)
    d = json.loads(payload)
    rows.setdefault((int(threads), engine), {'times': [], 'rss': 0})
    rows[(int(threads), engine)]['times'] += d['times_ms']
    rows[(int(threads), engine)]['rss'] = max(rows[(int(threads), engine)]['rss'], d['peak_rss_mb'])
print(f"model {sys.argv[2]}, input {sys.argv[3]}; medians over all runs, alternating rounds")
print("| threads | cairn (ms) | ONNX Runtime (ms) | cairn / ORT | cairn peak RSS (MB) | ORT peak RSS (MB) |")
print("|---:|---:|---:|---:|---:|---:|")
for t in sorted({k[0] for k in rows}):
    c, o = rows[(t, 'cairn')], rows[(t, 'ort')]
    mc, mo = statistics.median(c['times']), statistics.median(o['times'])
    print(f"| {t} | {mc:.1f} | {mo:.1f} | {mc / mo:.2f} | {c['rss']:.0f} | {o['rss']:.0f} |")
PY
