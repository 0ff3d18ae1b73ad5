#!/usr/bin/env bash
# The demo until the viewer and the trained lung model land: the paper's U-Net architecture (7,759,521 parameters,
# random weights exported from PyTorch) run by the cairn CLI on a 512x512 input, then checked against ONNX Runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
cairn="$build/tools/cli/cairn"
zoo=build/zoo
python=${CAIRN_PYTHON:-/usr/bin/python3}

if [[ ! -f "$zoo/manifest.json" ]]; then
  echo "demo: exporting the sample models from PyTorch into $zoo"
  mkdir -p "$zoo"
  "$python" tests/models/export_zoo.py "$zoo" >/dev/null
fi
model="$zoo/unet_paper.onnx"
input="$zoo/unet_paper_512.input.npy"
out=build/demo-output.npy

echo
echo "== cairn info: what the model is"
"$cairn" info "$model" --shape 1x1x512x512
echo
echo "== cairn run: one 512x512 input through the engine"
"$cairn" run "$model" "$input" "$out"
echo
echo "== cairn bench: latency, throughput and peak memory (3 runs)"
"$cairn" bench "$model" --shape 1x1x512x512 --runs 3
echo
"$python" - "$out" <<'PY'
import sys
import numpy as np
y = np.load(sys.argv[1])
print(f"demo: wrote {sys.argv[1]}: shape {y.shape}, values in [{y.min():.4f}, {y.max():.4f}], "
      f"{(y > 0.5).mean() * 100:.1f}% of pixels above 0.5")
PY
echo "demo: the model has the paper's architecture with untrained weights; the trained lung model and the"
echo "      browser viewer are the next milestones (see the issues). 'make test' checks this model against ONNX Runtime."
