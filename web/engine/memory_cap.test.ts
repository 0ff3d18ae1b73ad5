// The cap on the engine's WebAssembly memory (memory_cap.ts) on the real single-threaded build: the rewritten module
// validates, its memory cannot grow past the cap, and an allocation past it is an 'out-of-memory' with its figures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wasmPath } from '../tools/paths.js';
import { CairnError } from './errors.js';
import { maximumPages, WASM_PAGE_BYTES, withMemoryMaximum } from './memory_cap.js';
import { CairnModule } from './module.js';

const MiB = 2 ** 20;
const wasm = () => new Uint8Array(readFileSync(wasmPath('simd')));

describe('the WebAssembly memory cap', () => {
  it('rewrites the memory section of the single-threaded build, and nothing else', async () => {
    const original = wasm();
    const capped = withMemoryMaximum(original, 48);
    expect(WebAssembly.validate(capped as BufferSource)).toBe(true);
    // Only the memory section's limits change: one flag and a maximum of one or two LEB128 bytes.
    expect(capped.length - original.length).toBeGreaterThanOrEqual(1);
    expect(capped.length - original.length).toBeLessThanOrEqual(3);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(capped as BufferSource)).map((e) => e.name);
    expect(exports).toEqual(WebAssembly.Module.exports(new WebAssembly.Module(original as BufferSource)).map((e) => e.name));
    // Capping again keeps the lower maximum.
    expect(withMemoryMaximum(capped, 4096)).toEqual(capped);
  });

  it('stops the memory at the cap: grow throws past it, malloc returns an out-of-memory error with the figures', async () => {
    const module = await CairnModule.instantiate(wasm(), 'simd', () => {}, undefined, 4 * MiB);
    expect(module.maximumBytes).toBe(4 * MiB);
    const pages = module.memoryBytes / WASM_PAGE_BYTES;
    expect(() => module.memory.grow(64 - pages + 1)).toThrow(RangeError);
    const pointer = module.malloc(MiB); // fits
    expect(pointer).toBeGreaterThan(0);
    module.free(pointer);
    let failure: unknown = null;
    try {
      module.malloc(8 * MiB);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(CairnError);
    expect(failure).toMatchObject({ code: 'out-of-memory', message: /cannot grow by 8 MiB \(WebAssembly memory \d+ MiB, maximum 4 MiB\)/ });
    const memory = (failure as CairnError).memory!;
    expect(memory.maximumBytes).toBe(4 * MiB);
    expect(memory.neededBytes).toBe(memory.usedBytes + 8 * MiB);
  });

  it('refuses a cap below the module\'s initial memory, and non-modules', () => {
    expect(() => withMemoryMaximum(wasm(), 2)).toThrow(/needs at least 1 MiB of memory, above the maximum of 0 MiB/);
    expect(() => withMemoryMaximum(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 10)).toThrow(/not a WebAssembly module/);
    expect(() => withMemoryMaximum(wasm().subarray(0, 200), 10)).toThrow(/truncated/);
  });

  it('counts whole pages, at least one, at most wasm32\'s', () => {
    expect(maximumPages(160 * MiB)).toBe(2560);
    expect(maximumPages(100_000)).toBe(1);
    expect(maximumPages(2 ** 40)).toBe(65536);
    expect(() => maximumPages(0)).toThrow(/positive/);
  });
});
