// ONNX Runtime native (onnxruntime-node, CPU) timed like `cairn bench --json`: the same model, input shape and
// thread count, uniform [0, 1) input, warm-up runs then timed runs; prints one JSON object.
// Usage: node bench/ort_bench.mjs MODEL.onnx --shape 1x1x512x512 --threads N [--runs R] [--warmup W] [--warmup-ms MS]
// (at least W warm-up runs, and more until MS milliseconds have passed, as `cairn bench --warmup-ms`)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const args = { runs: 5, warmup: 1, warmupMs: 0, threads: 1, shape: null, model: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--shape') args.shape = argv[++i].split(/[x,]/).map(Number);
    else if (a === '--threads') args.threads = Number(argv[++i]);
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--warmup') args.warmup = Number(argv[++i]);
    else if (a === '--warmup-ms') args.warmupMs = Number(argv[++i]);
    else if (args.model === null) args.model = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (args.model === null || args.shape === null) throw new Error('usage: ort_bench.mjs MODEL.onnx --shape S --threads N');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const session = await ort.InferenceSession.create(args.model, {
  intraOpNumThreads: args.threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
// A fixed-seed uniform [0, 1) input (values do not change the work of these models).
let seed = 42;
const count = args.shape.reduce((a, b) => a * b, 1);
const data = new Float32Array(count);
for (let i = 0; i < count; i++) {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  data[i] = seed / 4294967296;
}
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, args.shape) };
let warmup = 0;
const warmupStart = process.hrtime.bigint();
while (warmup < args.warmup || Number(process.hrtime.bigint() - warmupStart) / 1e6 < args.warmupMs) {
  await session.run(feeds);
  warmup++;
}
const times = [];
for (let i = 0; i < args.runs; i++) {
  const start = process.hrtime.bigint();
  await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(JSON.stringify({ runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), threads: args.threads, warmup,
  median_ms: median, min_ms: sorted[0], times_ms: times,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
