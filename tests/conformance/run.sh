#!/bin/bash
# Generates ONNX's backend node test cases into DATA_DIR when missing, then runs them through the engine.
# Usage: tests/conformance/run.sh DATA_DIR CAIRN_CONFORMANCE_BINARY [runner options...]
# Environment: CAIRN_PYTHON (default /usr/bin/python3, which has Debian's onnx and numpy).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:?usage: run.sh DATA_DIR CAIRN_CONFORMANCE_BINARY [options]}"
runner="${2:?usage: run.sh DATA_DIR CAIRN_CONFORMANCE_BINARY [options]}"
shift 2
"${CAIRN_PYTHON:-/usr/bin/python3}" "$here/generate.py" "$data"
exec "$runner" "$data" --expected "$here/expected_failures.txt" "$@"
