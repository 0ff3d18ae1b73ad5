// The benchmark page (bundled to dist/bench-page.mjs, driven by tools/bench_browser.ts): Cairn, and optionally
// ONNX Runtime Web's WebAssembly backend (served from node_modules under /ort/), on the same model and input, each
// on the same number of threads. Runs happen on the page's thread; threads are each engine's own workers.
import { createEngine, type CairnEngine, type CairnModel, type Tensor } from '../engine/engine.js';
import type { WasmFlavor } from '../engine/features.js';
import { benchInput } from './bench_input.js';

interface OrtTensor {
  data: Float32Array;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  env: { wasm: { wasmPaths: string; numThreads: number; proxy: boolean }; versions?: { web?: string } };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(bytes: Uint8Array, options: object): Promise<OrtSession> };
}

export interface BenchSetup {
  model: string; // URL
  shape: number[];
  threads: number;
  flavor?: WasmFlavor; // default: feature detection
  ort: boolean;
}

let cairn: { engine: CairnEngine; model: CairnModel; inputs: Record<string, Tensor> } | null = null;
let ort: { session: OrtSession; feeds: Record<string, unknown>; version: string } | null = null;

async function setup(options: BenchSetup): Promise<{ flavor: string; threads: number; flops: number; ortVersion: string | null }> {
  const bytes = new Uint8Array(await (await fetch(options.model)).arrayBuffer());
  const flavors: WasmFlavor[] = options.flavor ? [options.flavor] : ['simd', 'relaxed'];
  const wasm = Object.fromEntries(flavors.map((f) => [f, `/build/wasm-${f}/cairn-${f}.wasm`]));
  const threadedWasm = Object.fromEntries(flavors.map((f) => [f, `/build/wasm-${f}/cairn-${f}-mt.wasm`]));
  const engine = await createEngine({ wasm, threadedWasm, flavor: options.flavor, threads: options.threads, log: () => {} });
  const model = engine.loadModel(bytes);
  if (model.inputs.length !== 1) throw new Error(`the model has ${model.inputs.length} inputs; the benchmark feeds one`);
  const data = benchInput(options.shape);
  const inputs = { [model.inputs[0].name]: { shape: options.shape, data } };
  const { flops } = model.prepare({ [model.inputs[0].name]: options.shape });
  cairn = { engine, model, inputs };
  let ortVersion: string | null = null;
  if (options.ort) {
    const url = '/ort/ort.wasm.min.mjs';
    const ortModule = (await import(/* @vite-ignore */ url)) as Ort & { default?: Ort };
    const o: Ort = ortModule.InferenceSession ? ortModule : ortModule.default!;
    o.env.wasm.wasmPaths = '/ort/';
    o.env.wasm.numThreads = options.threads;
    o.env.wasm.proxy = false;
    const session = await o.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    ortVersion = o.env.versions?.web ?? 'unknown';
    ort = { session, feeds: { [session.inputNames[0]]: new o.Tensor('float32', data, options.shape) }, version: ortVersion };
  }
  return { flavor: engine.flavor, threads: engine.threads, flops, ortVersion };
}

// One run of each; milliseconds.
function runCairn(): number {
  const start = performance.now();
  cairn!.model.runSync(cairn!.inputs);
  return performance.now() - start;
}

async function runOrt(): Promise<number> {
  const start = performance.now();
  await ort!.session.run(ort!.feeds);
  return performance.now() - start;
}

// The largest difference between the two engines' first outputs (a check that they computed the same thing).
async function maxDifference(): Promise<number> {
  const a = Object.values(cairn!.model.runSync(cairn!.inputs))[0].data;
  const b = (await ort!.session.run(ort!.feeds))[ort!.session.outputNames[0]].data;
  let worst = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length && i < b.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function memoryMb(): number {
  return +(cairn!.engine.memoryBytes / 2 ** 20).toFixed(1);
}

const api = { setup, runCairn, runOrt, maxDifference, memoryMb };
export type BenchPage = typeof api;
(globalThis as unknown as { benchPage: BenchPage }).benchPage = api;
