// Which build of the engine this WebAssembly implementation can run, asked with WebAssembly.validate on two tiny
// modules (wat2wasm output): one returning i8x16.splat, one also using i8x16.relaxed_swizzle.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11,
]);
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 0, 253, 15, 65, 0, 253, 15,
  253, 128, 2, 11,
]);

export type WasmFlavor = 'simd' | 'relaxed';

export interface WasmFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  sharedMemory: boolean; // SharedArrayBuffer usable: a cross-origin isolated page, a worker of one, or Node
}

export function detectWasmFeatures(): WasmFeatures {
  const hasWasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return {
    simd: hasWasm && WebAssembly.validate(SIMD_PROBE),
    relaxedSimd: hasWasm && WebAssembly.validate(RELAXED_SIMD_PROBE),
    sharedMemory: typeof SharedArrayBuffer === 'function' && isolated !== false,
  };
}

// The fastest build available among those offered; null when none can run here.
export function chooseFlavor(features: WasmFeatures, offered: readonly WasmFlavor[]): WasmFlavor | null {
  if (features.relaxedSimd && offered.includes('relaxed')) return 'relaxed';
  if (features.simd && offered.includes('simd')) return 'simd';
  return null;
}
