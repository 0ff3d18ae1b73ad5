// npm run bench:wasm -- MODEL.onnx --shape 1x1x512x512 [--threads N] [--runs R] [--flavor simd|relaxed] [--json]
// Times the WebAssembly engine in Node like `cairn bench`: one warm-up run, then R timed runs. --threads N > 1 uses the
// threaded build (cairn-<flavor>-mt.wasm) with N - 1 worker_threads.
import { readFileSync } from 'node:fs';
import { createEngine } from '../engine/engine.js';
import { chooseFlavor, detectWasmFeatures, type WasmFlavor } from '../engine/features.js';
import { benchInput, median as medianOf } from './bench_input.js';
import { nodePoolWorker } from './node_pool.js';
import { requireWasm } from './paths.js';

function fail(message: string): never {
  process.stderr.write(`bench:wasm: error: ${message}\n`);
  process.exit(2);
}

async function main(args: string[]): Promise<void> {
  let model: string | undefined;
  let shape: number[] | undefined;
  let threads = 1;
  let runs = 5;
  let json = false;
  let flavor: WasmFlavor | undefined;
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    const value = () => args[++i] ?? fail(`${a} needs a value`);
    if (a === '--shape') shape = value().split(/[x,]/).map(Number);
    else if (a === '--threads') threads = Number(value());
    else if (a === '--runs') runs = Number(value());
    else if (a === '--flavor') flavor = value() as WasmFlavor;
    else if (a === '--json') json = true;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else model = a;
  }
  if (model === undefined || shape === undefined || shape.some((d) => !(d > 0))) {
    fail('usage: bench:wasm MODEL.onnx --shape 1x1x512x512 [--threads N] [--runs R] [--flavor simd|relaxed] [--json]');
  }
  flavor ??= chooseFlavor(detectWasmFeatures(), ['simd', 'relaxed']) ?? fail('this Node has no WebAssembly SIMD');
  const engine = await createEngine({
    wasm: { [flavor]: readFileSync(requireWasm(flavor)) },
    threadedWasm: threads > 1 ? { [flavor]: readFileSync(requireWasm(flavor, true)) } : {},
    flavor,
    threads,
    spawnPoolWorker: nodePoolWorker,
  });
  if (engine.threads !== threads) fail(`the engine got ${engine.threads} threads, not ${threads}`);
  const m = engine.loadModel(readFileSync(model));
  if (m.inputs.length !== 1) fail(`the model has ${m.inputs.length} inputs; bench:wasm feeds one`);
  const data = benchInput(shape);
  const inputs = { [m.inputs[0].name]: { shape, data } };
  const { flops } = m.prepare({ [m.inputs[0].name]: shape });
  m.runSync(inputs); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; ++r) {
    const start = performance.now();
    m.runSync(inputs);
    times.push(performance.now() - start);
  }
  const median = medianOf(times);
  const result = {
    model,
    shape: shape.join('x'),
    engine: `cairn-wasm-${engine.flavor}`,
    host: `node ${process.version}`,
    threads: engine.threads,
    runs,
    median_ms: +median.toFixed(3),
    min_ms: +Math.min(...times).toFixed(3),
    gflops: +(flops / (median * 1e6)).toFixed(3),
    wasm_memory_mb: +(engine.memoryBytes / 2 ** 20).toFixed(1),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`${result.engine} on ${result.host}, ${result.threads} thread(s), ${model} at ${result.shape}\n`);
    process.stdout.write(`median ${result.median_ms} ms, min ${result.min_ms} ms, ${result.gflops} GFLOP/s, ` +
      `WebAssembly memory ${result.wasm_memory_mb} MB\n`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
