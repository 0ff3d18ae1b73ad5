// A static HTTP server for the Chromium tests and benchmarks: folders mounted under URL prefixes, generated pages,
// and the headers that make a page cross-origin isolated (COOP same-origin, COEP require-corp), without which a page
// has no SharedArrayBuffer, hence no threads. Listens on 127.0.0.1 only.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface StaticServerOptions {
  mounts: Record<string, string>; // URL prefix ("/build/") -> folder
  pages?: Record<string, string>; // URL path -> HTML
}

export interface StaticServer {
  origin: string; // http://127.0.0.1:PORT
  close(): Promise<void>;
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const server = createServer((request, response) => {
    const headers = { ...ISOLATION_HEADERS, 'Cache-Control': 'no-store' };
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (path === '/favicon.ico') {
      response.writeHead(204, headers);
      response.end();
      return;
    }
    const page = options.pages?.[path];
    if (page !== undefined) {
      response.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'] });
      response.end(page);
      return;
    }
    for (const [prefix, dir] of Object.entries(options.mounts)) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(normalize(dir) + sep)) break;
      let size: number;
      try {
        const stat = statSync(file);
        if (!stat.isFile()) break;
        size = stat.size;
      } catch {
        break;
      }
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(size) });
      createReadStream(file).pipe(response);
      return;
    }
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
    response.end(`not found: ${path}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
