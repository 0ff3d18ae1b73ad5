#!/usr/bin/env bash
# Every test suite: the sanitizer build (unit, CLI, conformance, whole models at small sizes) first, then the
# release build (everything, including the 512x512 U-Net against ONNX Runtime), then the two WebAssembly builds
# (SIMD128, relaxed SIMD) with the same conformance cases and whole models in Node (web/, Vitest), then in
# headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== sanitizer build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
echo "== release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

echo "== tests under AddressSanitizer + UBSan"
CAIRN_ZOO_QUICK=1 ctest --preset asan -j "$jobs" --timeout 1500
echo "== tests of the release build"
ctest --preset release -j "$jobs" --timeout 1500

echo "== WebAssembly builds (SIMD128 and relaxed SIMD) and their tests in Node"
for preset in wasm-simd wasm-relaxed; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
done
(cd web && npm test)
echo "== the WebAssembly builds in headless Chromium (Debian's chromium, playwright-core)"
(cd web && npm run test:browser)
