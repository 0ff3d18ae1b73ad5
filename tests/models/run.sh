#!/bin/bash
# Whole models against ONNX Runtime: exports the zoo into BUILD_DIR/zoo and computes ONNX Runtime's outputs, each
# only when missing or out of date (stamp files), then compares the `cairn` command's outputs with them.
#
# Usage: tests/models/run.sh BUILD_DIR [CAIRN_BINARY]     (default binary: BUILD_DIR/tools/cli/cairn)
# Environment: CAIRN_ZOO_QUICK=1 skips the 512x512 U-Net; CAIRN_PYTHON (default /usr/bin/python3, which has
# Debian's torch, onnx and numpy).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${1:?usage: run.sh BUILD_DIR [CAIRN_BINARY]}"
cairn="${2:-$build/tools/cli/cairn}"
python="${CAIRN_PYTHON:-/usr/bin/python3}"
zoo="$build/zoo"

if [[ ! -d "$repo/node_modules/onnxruntime-node" ]]; then
  echo "run.sh: $repo/node_modules/onnxruntime-node is missing: the ONNX Runtime references need it." >&2
  echo "run.sh: install it with: (cd $repo && ONNXRUNTIME_NODE_INSTALL=skip npm ci)" >&2
  exit 1
fi

# The export is redone when the exporter or PyTorch changes.
export_stamp="$( (sha256sum "$here/export_zoo.py" | cut -d' ' -f1; "$python" -c 'import torch, onnx; print(torch.__version__, onnx.__version__)') | tr '\n' ' ')"
if [[ ! -f "$zoo/manifest.json" || "$(cat "$zoo/.export_stamp" 2>/dev/null)" != "$export_stamp" ]]; then
  echo "run.sh: exporting the zoo into $zoo"
  rm -rf "$zoo"
  mkdir -p "$zoo"
  "$python" "$here/export_zoo.py" "$zoo"
  echo "$export_stamp" > "$zoo/.export_stamp"
fi

# The references are redone when the zoo, the reference script or ONNX Runtime changes.
ort_version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/node_modules/onnxruntime-node/package.json" | head -1)"
ort_stamp="$( (cat "$zoo/.export_stamp"; sha256sum "$here/ort_reference.mjs" | cut -d' ' -f1; echo "$ort_version") | tr '\n' ' ')"
if [[ "$(cat "$zoo/.ort_stamp" 2>/dev/null)" != "$ort_stamp" ]]; then
  echo "run.sh: computing ONNX Runtime $ort_version references"
  rm -f "$zoo"/expected_*.npy "$zoo/.ort_stamp"
  node "$here/ort_reference.mjs" "$zoo"
  echo "$ort_stamp" > "$zoo/.ort_stamp"
fi

if [[ ! -x "$cairn" ]]; then
  echo "run.sh: $cairn is missing: build the \`cairn\` target first" >&2
  exit 1
fi
quick=()
if [[ -n "${CAIRN_ZOO_QUICK:-}" && "${CAIRN_ZOO_QUICK}" != 0 ]]; then
  quick=(--quick)
fi
exec "$python" "$here/compare.py" "$zoo" "$cairn" "${quick[@]}"
