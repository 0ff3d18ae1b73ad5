// The WebAssembly builds the tests run: each one present and runnable in this Node.
import { existsSync, readFileSync } from 'node:fs';
import { createEngine, type CairnEngine } from '../engine/engine.js';
import { detectWasmFeatures, type WasmFlavor } from '../engine/features.js';
import { wasmPath } from '../tools/paths.js';

export const FLAVORS: WasmFlavor[] = ['simd', 'relaxed'];

// Both builds must exist; the relaxed one needs node --experimental-wasm-relaxed-simd (vitest.config.ts passes it).
export function checkBuilds(): void {
  checkBuildFiles();
  if (!detectWasmFeatures().relaxedSimd) throw new Error('this Node does not run relaxed SIMD (--experimental-wasm-relaxed-simd)');
}

export async function engineFor(flavor: WasmFlavor): Promise<CairnEngine> {
  return createEngine({ wasm: { [flavor]: readFileSync(wasmPath(flavor)) }, flavor, log: () => {} });
}

export function checkBuildFiles(): void {
  for (const flavor of FLAVORS) {
    if (!existsSync(wasmPath(flavor))) throw new Error(`${wasmPath(flavor)} is missing: cmake --build --preset wasm-${flavor}`);
  }
}
