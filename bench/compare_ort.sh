#!/bin/sh
# Cairn against ONNX Runtime native, side by side: the same ONNX file, input shape and thread count, alternating
# `cairn bench --json` and bench/ort_bench.mjs (onnxruntime-node) for several rounds so that both see the same
# machine load, then one table of the medians over all runs and their ratio (below 1: Cairn is faster).
#
# Usage: bench/compare_ort.sh MODEL.onnx --shape 1x1x512x512 [--threads "1 2"] [--rounds 3] [--runs 3]
#        bench/compare_ort.sh --zoo [--threads "1 2"] [--rounds 3] [--runs 3]
#        bench/compare_ort.sh MODEL.onnx:SHAPE MODEL.onnx:SHAPE ... [options]
# --zoo runs the whole-model zoo of tests/models (build/zoo): the paper's U-Net at 512x512 and the four other
# architectures at the shapes of their test inputs.
# --warmup-ms MS (default 300): each side keeps running untimed runs for MS milliseconds before it times any. A
# process that has just started runs its first 40-60 ms slower here (measured: resnet_small 1.0 ms per run for
# its first 40-55 runs, then 0.57-0.75), which one warm-up run of a sub-millisecond model does not cover, while
# node's start-up has already warmed the machine for ONNX Runtime.
# Needs build/release (cmake --preset release && cmake --build --preset release) and node_modules
# (ONNXRUNTIME_NODE_INSTALL=skip npm ci).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN:-$root/build/release/tools/cli/cairn}
zoo=${CAIRN_ZOO:-$root/build/zoo}
models=""; shape=""; threads="1 2"; rounds=3; runs=3; warmup_ms=300
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warmup-ms) warmup_ms=$2; shift 2 ;;
    --zoo) models="$models $zoo/unet_paper.onnx:1x1x512x512 $zoo/unet_bn_bilinear.onnx:1x1x75x93"
           models="$models $zoo/resnet_small.onnx:2x3x67x61 $zoo/mobilenet_small.onnx:1x3x57x71"
           models="$models $zoo/unet3d_small.onnx:1x1x12x20x28"; shift ;;
    -*) echo "compare_ort.sh: unknown option $1" >&2; exit 2 ;;
    *) models="$models $1"; shift ;;
  esac
done
usage='usage: bench/compare_ort.sh (MODEL.onnx --shape S | MODEL.onnx:S ... | --zoo) [--threads "1 2"] [--rounds R] [--runs N] [--warmup-ms MS]'
[ -n "$models" ] || { echo "$usage" >&2; exit 2; }
[ -x "$cairn" ] || { echo "compare_ort.sh: no $cairn (build the release preset)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for entry in $models; do
  case "$entry" in
    *.onnx:*) model=${entry%:*}; s=${entry##*:} ;;
    *) model=$entry; s=$shape ;;
  esac
  [ -n "$s" ] || { echo "$usage" >&2; exit 2; }
  [ -f "$model" ] || { echo "compare_ort.sh: no $model (run tests/models/run.sh)" >&2; exit 1; }
  for t in $threads; do
    r=0
    while [ "$r" -lt "$rounds" ]; do
      printf '%s %s cairn %s ' "$model" "$s" "$t" >>"$log"
      "$cairn" bench "$model" --shape "$s" --threads "$t" --runs "$runs" --warmup 1 --warmup-ms "$warmup_ms" --json >>"$log"
      printf '%s %s ort %s ' "$model" "$s" "$t" >>"$log"
      node "$root/bench/ort_bench.mjs" "$model" --shape "$s" --threads "$t" --runs "$runs" --warmup 1 --warmup-ms "$warmup_ms" >>"$log"
      r=$((r + 1))
    done
  done
done
python3 - "$log" <<'PY'
import json, os, statistics, sys
rows, order = {}, []
for line in open(sys.argv[1]):
    model, shape, engine, threads, payload = line.split(' ', 4)
    d = json.loads(payload)
    key = (model, shape, int(threads))
    if key not in order:
        order.append(key)
    row = rows.setdefault((key, engine), {'times': [], 'rss': 0})
    row['times'] += d['times_ms']
    row['rss'] = max(row['rss'], d['peak_rss_mb'])
print("medians over all runs, alternating rounds")
print("| model | input | threads | cairn (ms) | ONNX Runtime (ms) | cairn / ORT | cairn peak RSS (MB) | ORT peak RSS (MB) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for key in order:
    c, o = rows[(key, 'cairn')], rows[(key, 'ort')]
    mc, mo = statistics.median(c['times']), statistics.median(o['times'])
    name = os.path.basename(key[0])[:-len('.onnx')]
    ms = lambda t: f"{t:.1f}" if t >= 10 else f"{t:.3g}"  # three significant digits below 10 ms
    print(f"| {name} | {key[1]} | {key[2]} | {ms(mc)} | {ms(mo)} | {mc / mo:.2f} | {c['rss']:.0f} | {o['rss']:.0f} |")
PY
