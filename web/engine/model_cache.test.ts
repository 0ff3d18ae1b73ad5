// The model cache against an in-memory Cache Storage and a fake network; hashing by Node's WebCrypto.
import { describe, expect, it } from 'vitest';
import { CairnError } from './errors.js';
import { fetchVerifiedModel, sha256Hex } from './model_cache.js';

class MemoryCache {
  entries = new Map<string, ArrayBuffer>();
  async match(url: string) {
    const bytes = this.entries.get(url);
    return bytes ? new Response(bytes.slice(0)) : undefined;
  }
  async put(url: string, response: Response) {
    this.entries.set(url, await response.arrayBuffer());
  }
  async delete(url: string) {
    return this.entries.delete(url);
  }
}

function setup(served: Uint8Array) {
  const cache = new MemoryCache();
  const caches = { open: async () => cache } as unknown as CacheStorage;
  let fetches = 0;
  const fetch = (async () => {
    fetches++;
    return new Response(served.slice());
  }) as unknown as typeof globalThis.fetch;
  return { cache, options: { caches, fetch }, fetches: () => fetches };
}

describe('fetchVerifiedModel', () => {
  const model = new TextEncoder().encode('pretend this is an ONNX model');

  it('downloads once, verifies, caches, then serves from the cache', async () => {
    const sha256 = await sha256Hex(model.slice().buffer);
    const { cache, options, fetches } = setup(model);
    const entry = { id: 'lung-unet', url: 'https://pacs.example/cairn/models/lung.onnx', sha256 };
    expect(new Uint8Array(await fetchVerifiedModel(entry, options))).toEqual(model);
    expect(cache.entries.size).toBe(1);
    expect(new Uint8Array(await fetchVerifiedModel(entry, options))).toEqual(model);
    expect(fetches()).toBe(1);
  });

  it('drops a damaged cached copy and downloads it again', async () => {
    const sha256 = await sha256Hex(model.slice().buffer);
    const { cache, options, fetches } = setup(model);
    const entry = { id: 'lung-unet', url: 'https://pacs.example/m.onnx', sha256 };
    cache.entries.set(entry.url, new Uint8Array([1, 2, 3]).buffer);
    expect(new Uint8Array(await fetchVerifiedModel(entry, options))).toEqual(model);
    expect(fetches()).toBe(1);
    expect(new Uint8Array(cache.entries.get(entry.url)!)).toEqual(model);
  });

  it('refuses bytes whose SHA-256 differs from the catalog, and does not cache them', async () => {
    const { cache, options } = setup(new TextEncoder().encode('something else'));
    const entry = { id: 'lung-unet', url: 'https://pacs.example/m.onnx', sha256: await sha256Hex(model.slice().buffer) };
    const failure = fetchVerifiedModel(entry, options);
    await expect(failure).rejects.toBeInstanceOf(CairnError);
    await expect(fetchVerifiedModel(entry, options)).rejects.toThrow(
      /model 'lung-unet' from https:\/\/pacs.example\/m.onnx was refused: its SHA-256 is [0-9a-f]{64}, the catalog expects/,
    );
    expect(cache.entries.size).toBe(0);
    await expect(fetchVerifiedModel({ ...entry, sha256: 'abc' }, options)).rejects.toThrow(/no valid SHA-256/);
  });
});
