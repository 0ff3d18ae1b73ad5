#!/usr/bin/env bash
# Installs what Cairn needs on Debian 12, only what is missing: the toolchain and test libraries from Debian,
# the Python packages used to export test models (Debian's python3-torch and python3-onnx; PyPI is not used),
# Debian's Chromium for the browser tests (driven by playwright-core, which downloads no browser), Debian's Orthanc
# with its DICOMweb plugin and plugin SDK (the demo's PACS and the plugin's build and tests), pydicom and SciPy (the
# Python references of the DICOM and segmentation tests), DCMTK and
# dicom3tools (independent readers and the dciodvfy validator that the DICOM tests check Cairn's files with),
# nginx, openssl, wrk, PostgreSQL and orthanc-postgresql (the deploy/ checks: nginx template, load, scale-out),
# the AArch64 cross-compiler and qemu-user (the NEON kernel's tests), and the npm packages of the repository
# (ONNX Runtime for Node, the outside oracle).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-onnx python3-torch
  chromium
  orthanc orthanc-dicomweb orthanc-dev curl xz-utils
  python3-pydicom python3-scipy dcmtk dicom3tools
  clang-19 libclang-rt-19-dev  # the fuzz preset: libFuzzer and the sanitizers' runtimes (fuzz/, docs/security.md)
  # The WebAssembly presets (cmake/wasm32-wasi.cmake): clang-19 only recommends llvm-19 (llvm-ar-19, llvm-ranlib-19)
  # and lld-19 (wasm-ld), and apt-get runs here without recommends, so each is named. wasi-libc and libc++/libc++abi
  # for wasm32 are the module's C and C++ libraries, libclang-rt-19-dev-wasm32 its compiler builtins, wabt the
  # wasm-validate run after each link, binaryen the wasm-opt that clang runs on the SIMD128 build's link.
  llvm-19 lld-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32 wabt binaryen
  nginx openssl wrk postgresql orthanc-postgresql
  g++-aarch64-linux-gnu qemu-user  # the AArch64 build and its NEON kernel tests under emulation (test-aarch64.sh)
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from Debian (nodejs + npm) or from another build that bundles npm: look for the commands.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm ci only when node_modules is missing or older than the lock file. onnxruntime-node's install script would
# try to download CUDA binaries from a host this network cannot reach; its CPU binaries are in the package.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi

# The web package (engine loader, worker, tests of the WebAssembly builds): TypeScript, esbuild, Vitest.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund)
fi
