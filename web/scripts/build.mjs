// Bundles the TypeScript with esbuild into dist/: the engine API and the inference worker for browsers, the Node tools.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, platform: 'browser', entryPoints: { cairn: 'engine/index.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({ ...common, platform: 'browser', entryPoints: { 'cairn-worker': 'engine/worker.ts' }, outExtension: { '.js': '.mjs' }, outdir: 'dist' }),
  build({
    ...common,
    platform: 'node',
    entryPoints: { cairn_wasm_cli: 'tools/cairn_wasm_cli.ts', bench_wasm: 'tools/bench_wasm.ts', 'node-worker': 'tools/node_worker.ts' },
    outExtension: { '.js': '.mjs' },
    outdir: 'dist',
  }),
]);
