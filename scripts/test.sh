#!/usr/bin/env bash
# Every test suite: the sanitizer build (unit, CLI, conformance, whole models at small sizes) first, then the
# release build (everything, including the 512x512 U-Net against ONNX Runtime), and as the release build's last
# ctest suites the two WebAssembly builds (SIMD128, relaxed SIMD) with the same conformance cases and whole models
# in Node (web/, Vitest) and in headless Chromium; between them the kernel tests of both WebAssembly builds, the
# AArch64 build's unit tests under qemu-aarch64 and the fuzz targets. Ends with ctest's summary line and the time.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Each stage's heading says when it started (minutes:seconds since this script began, after install-deps), so a
# log shows where the time goes.
stage() { printf '== [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$1"; }

stage "sanitizer build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
stage "release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

stage "WebAssembly builds (SIMD128 and relaxed SIMD, each single-threaded and threaded)"
for preset in wasm-simd wasm-relaxed; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  # The kernel tests of this build (every micro-kernel and transform against the reference) in Node's WASI.
  ctest --test-dir "build/$preset" -L wasm --output-on-failure --timeout 1500
done
stage "AArch64 build (NEON), its unit tests under qemu-aarch64"
# Cross-compiled with g++-aarch64-linux-gnu: the unit suites, with the NEON GEMM micro-kernel among the kernels.
scripts/test-aarch64.sh build/aarch64
# The viewer (web/dist/viewer, with both builds' .wasm files), which the plugin and deploy/ suites serve.
stage "the viewer"
(cd web && npm run build:viewer)
# The web suites (web_node, web_chromium, web_viewer_e2e: Vitest in Node, Vitest in headless Chromium, the viewer
# end to end against a real Orthanc) are the release preset's last ctest suites (CAIRN_WEB_TESTS=ON, label web).

stage "tests under AddressSanitizer + UBSan"
CAIRN_ZOO_QUICK=1 ctest --preset asan -j "$jobs" --timeout 1500
stage "fuzz targets: seeds and regressions, then a short libFuzzer run each (clang-19, fuzzer+ASan+UBSan; fuzz/)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs" --timeout 600
stage "tests of the release build, then the WebAssembly builds in Node and headless Chromium"
ctest --preset release -j "$jobs" --timeout 1500
stage "done"
