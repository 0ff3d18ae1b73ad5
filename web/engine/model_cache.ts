// Models kept in the browser's Cache Storage and checked against the catalog's SHA-256 (WebCrypto) before use.
// A cached copy that no longer matches is dropped and fetched again; bytes from the network that do not match are
// refused and never cached.
import { CairnError } from './errors.js';

export interface CatalogEntry {
  id: string;
  url: string;
  sha256: string; // hex, as in models/catalog.json
}

export interface ModelCacheOptions {
  cacheName?: string;
  caches?: CacheStorage; // default: globalThis.caches (absent outside secure contexts and in Node)
  fetch?: typeof fetch;
  subtle?: SubtleCrypto;
}

export async function sha256Hex(bytes: ArrayBuffer, subtle: SubtleCrypto = crypto.subtle): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function fetchVerifiedModel(entry: CatalogEntry, options: ModelCacheOptions = {}): Promise<ArrayBuffer> {
  const expected = entry.sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new CairnError('integrity', `the catalog entry of model '${entry.id}' has no valid SHA-256 (64 hex digits)`);
  }
  const subtle = options.subtle ?? crypto.subtle;
  const storage = options.caches ?? (globalThis as { caches?: CacheStorage }).caches;
  const cache = storage ? await storage.open(options.cacheName ?? 'cairn-models-v1') : null;

  const cached = await cache?.match(entry.url);
  if (cached) {
    const bytes = await cached.arrayBuffer();
    if ((await sha256Hex(bytes, subtle)) === expected) return bytes;
    await cache!.delete(entry.url); // stale or corrupt: fetch it again
  }

  const response = await (options.fetch ?? fetch)(entry.url);
  if (!response.ok) {
    throw new CairnError('io-error', `cannot download model '${entry.id}' from ${entry.url}: HTTP ${response.status}`);
  }
  const bytes = await response.arrayBuffer();
  const actual = await sha256Hex(bytes, subtle);
  if (actual !== expected) {
    throw new CairnError(
      'integrity',
      `model '${entry.id}' from ${entry.url} was refused: its SHA-256 is ${actual}, the catalog expects ${expected} ` +
        '(a different or damaged file; it was not cached)',
    );
  }
  await cache?.put(entry.url, new Response(bytes.slice(0), { headers: { 'Content-Type': 'application/octet-stream' } }));
  return bytes;
}
