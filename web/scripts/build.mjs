// Bundles the TypeScript with esbuild into dist/: the engine API, the inference worker and the pool worker for
// browsers, the Chromium tests' page, the Node tools.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, platform: 'browser', entryPoints: { cairn: 'engine/index.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({ ...common, platform: 'browser', entryPoints: { 'browser-page': 'test/browser/page.ts', 'bench-page': 'tools/bench_page.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({ ...common, platform: 'browser', entryPoints: { 'cairn-pool-worker': 'engine/pool_worker.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({ ...common, platform: 'browser', entryPoints: { 'cairn-worker': 'engine/worker.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({
    ...common,
    platform: 'node',
    packages: 'external', // playwright-core and other dependencies load from node_modules
    entryPoints: { cairn_wasm_cli: 'tools/cairn_wasm_cli.ts', bench_wasm: 'tools/bench_wasm.ts', bench_browser: 'tools/bench_browser.ts', 'node-worker': 'tools/node_worker.ts', 'node-pool-worker': 'tools/node_pool_worker.ts' },
    outExtension: { '.js': '.mjs' },
    outdir: 'dist',
  }),
]);
