#!/usr/bin/env bash
# The engine's unit tests on 64-bit ARM (the NEON GEMM micro-kernel and the scalar paths compiled for AArch64),
# cross-compiled with Debian's g++-aarch64-linux-gnu and run under qemu-user. `make test` runs it (scripts/test.sh;
# scripts/install-deps.sh installs both packages). Usage:
#   scripts/test-aarch64.sh [BUILD_DIR]      (default build/aarch64; JOBS=N for the build's parallelism)
# Extra arguments after BUILD_DIR go to the test binary, e.g. --gtest_filter='GemmMicrokernels.*'.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/aarch64}
shift || true
jobs=${JOBS:-$(nproc)}

missing() {
  echo "test-aarch64: $1 is missing (apt-get install $2)" >&2
  exit 2
}
command -v aarch64-linux-gnu-g++ >/dev/null || missing aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
command -v qemu-aarch64 >/dev/null || missing qemu-aarch64 qemu-user
[ -f /usr/src/googletest/CMakeLists.txt ] || missing /usr/src/googletest googletest

toolchain=$PWD/cmake/aarch64-linux-gnu.cmake
gtest_prefix=$PWD/$build/googletest
# googletest from Debian's sources, for the target (installed into the build directory).
if [ ! -f "$gtest_prefix/lib/cmake/GTest/GTestConfig.cmake" ]; then
  echo "== googletest for aarch64"
  cmake -S /usr/src/googletest -B "$build/googletest-build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$gtest_prefix" -DBUILD_GMOCK=OFF >/dev/null
  cmake --build "$build/googletest-build" -j "$jobs"
  cmake --install "$build/googletest-build" >/dev/null
fi

echo "== libcairn and its unit tests for aarch64"
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE='-O3 -DNDEBUG' -DCAIRN_BUILD_BENCH=OFF -DCAIRN_WERROR=ON \
  -DCMAKE_FIND_ROOT_PATH="$gtest_prefix" >/dev/null
cmake --build "$build" -j "$jobs" --target cairn_unit_tests

echo "== unit tests under qemu-aarch64"
# The whole unit binary, as ctest's unit label runs it natively: every operator, the loader, the passes, and the
# kernel suites (GEMM micro-kernels with the NEON one, Winograd, direct and depthwise convolutions, thread counts),
# about 15 s of emulation. Left out as natively: the paper's U-Net at 512 x 512 against the reference kernels
# (FastKernels, which needs build/zoo and would take hours of emulation for its 96 GFLOP reference path).
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--gtest_filter=-FastKernels.PaperUnetMaskAgreesWithReference)
qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/tests/cairn_unit_tests" "${args[@]}"
