// A maximum for the engine's WebAssembly memory, below the 4 GiB wasm32 can address: what a browser with less memory
// to spare allows, on purpose. The threaded build imports its memory (module.ts makes it with this maximum); the
// single-threaded build declares its own, so its memory section is rewritten here before the module is compiled.
import { CairnError } from './errors.js';

export const WASM_PAGE_BYTES = 65536;
// wasm32: 65536 pages of 64 KiB.
export const WASM32_MAXIMUM_BYTES = 2 ** 32;

const MEMORY_SECTION = 5;

// The whole pages that fit in `bytes`, at least one, at most wasm32's.
export function maximumPages(bytes: number): number {
  if (!(bytes > 0)) throw new CairnError('invalid-argument', `a memory maximum must be positive (got ${bytes})`);
  return Math.max(1, Math.min(WASM32_MAXIMUM_BYTES / WASM_PAGE_BYTES, Math.floor(bytes / WASM_PAGE_BYTES)));
}

// The module `wasm` with the maximum of the memory it defines set to `pages` (kept when it already declares less).
// A module that defines no memory (the threaded build imports its own) is returned unchanged. Refused when the
// memory's initial size is above the maximum: such a module cannot start.
export function withMemoryMaximum(wasm: Uint8Array, pages: number): Uint8Array {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) {
    throw new CairnError('invalid-argument', 'not a WebAssembly module');
  }
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const size = readUleb(wasm, at + 1);
    const body = size.next;
    const end = body + size.value;
    if (end > wasm.length) throw new CairnError('invalid-argument', 'a truncated WebAssembly module');
    if (id === MEMORY_SECTION) {
      const count = readUleb(wasm, body);
      if (count.value !== 1) throw new CairnError('unsupported', `a module with ${count.value} memories`);
      const flags = wasm[count.next];
      if (flags & ~0x03) throw new CairnError('unsupported', `memory limits with flags ${flags} (memory64?)`);
      const initial = readUleb(wasm, count.next + 1);
      let maximum = pages;
      let next = initial.next;
      if (flags & 0x01) {
        const declared = readUleb(wasm, initial.next);
        maximum = Math.min(maximum, declared.value);
        next = declared.next;
      }
      if (initial.value > maximum) {
        throw new CairnError('invalid-argument', `the engine needs at least ${mib(initial.value * WASM_PAGE_BYTES)} of memory, above the maximum of ${mib(maximum * WASM_PAGE_BYTES)}`);
      }
      const section = [...writeUleb(1), flags | 0x01, ...writeUleb(initial.value), ...writeUleb(maximum), ...wasm.subarray(next, end)];
      const out = new Uint8Array(wasm.length - (end - at) + 1 + writeUleb(section.length).length + section.length);
      out.set(wasm.subarray(0, at));
      let o = at;
      out[o++] = MEMORY_SECTION;
      for (const b of writeUleb(section.length)) out[o++] = b;
      out.set(section, o);
      out.set(wasm.subarray(end), o + section.length);
      return out;
    }
    at = end;
  }
  return wasm;
}

export function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 5; ++i) {
    value += (bytes[i] & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new CairnError('invalid-argument', 'a malformed WebAssembly module (bad LEB128 number)');
}

function writeUleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}
