// The viewer (web/viewer) built into web/dist/viewer, served by the Orthanc plugin at /cairn/: hashed asset names
// (long caching), no inline code or data: URLs (the plugin's CSP), module workers. The engine's pool workers are
// started by the inference worker from ./cairn-pool-worker.mjs next to its own script: that file is bundled here
// with esbuild under a fixed name (revalidated by ETag).
import { build as esbuild } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function poolWorker(): Plugin {
  return {
    name: 'cairn-pool-worker',
    apply: 'build',
    async generateBundle() {
      const result = await esbuild({
        entryPoints: [here('engine/pool_worker.ts')],
        bundle: true,
        format: 'esm',
        target: 'es2022',
        minify: true,
        write: false,
        logLevel: 'warning',
      });
      this.emitFile({ type: 'asset', fileName: 'assets/cairn-pool-worker.mjs', source: result.outputFiles[0].text });
    },
  };
}

// Built names are NAME.HASH.EXT with a hexadecimal hash: the Orthanc plugin (and deploy/'s nginx templates) cache
// such files for a year and revalidate everything else. Rollup's default base64url hashes may hold '-' and '_' and
// were not always recognised as hashes.
const hashedNames = {
  hashCharacters: 'hex' as const,
  entryFileNames: 'assets/[name].[hash].js',
  chunkFileNames: 'assets/[name].[hash].js',
  assetFileNames: 'assets/[name].[hash][extname]',
};

export default defineConfig({
  root: here('viewer'),
  base: '/cairn/',
  publicDir: false,
  build: {
    outDir: here('dist/viewer'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    reportCompressedSize: false,
    rollupOptions: { output: hashedNames },
  },
  worker: { format: 'es', plugins: () => [poolWorker()], rollupOptions: { output: hashedNames } },
});
