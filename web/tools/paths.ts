// Where the Node tools find the repository's WebAssembly builds: build/wasm-<flavor>/cairn-<flavor>.wasm.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WasmFlavor } from '../engine/features.js';

// The repository root: the tools run from web/dist/ or web/tools/.
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// threaded: cairn-<flavor>-mt.wasm, the build over a shared memory. CAIRN_WASM_BUILD_DIR names another folder
// holding wasm-<flavor>/ (a build of one's own: cmake --preset wasm-simd -B DIR/wasm-simd); it applies to the Node
// tools and tests only; the Chromium tests serve build/ and the viewer bundles build/wasm-*.
export function wasmPath(flavor: WasmFlavor, threaded = false): string {
  const dir = process.env.CAIRN_WASM_BUILD_DIR ?? join(repoRoot, 'build');
  return join(dir, `wasm-${flavor}`, `cairn-${flavor}${threaded ? '-mt' : ''}.wasm`);
}

export function requireWasm(flavor: WasmFlavor, threaded = false): string {
  const path = wasmPath(flavor, threaded);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build it with cmake --preset wasm-${flavor} && cmake --build --preset wasm-${flavor}`);
  }
  return path;
}

export function flavorFromEnvironment(): WasmFlavor {
  const flavor = process.env.CAIRN_WASM_FLAVOR ?? 'simd';
  if (flavor !== 'simd' && flavor !== 'relaxed') throw new Error(`CAIRN_WASM_FLAVOR must be simd or relaxed, not '${flavor}'`);
  return flavor;
}
