// The Chromium tests' page (bundled to dist/browser-page.mjs, served by tools/static_server.ts): what the Node side
// (browser.test.ts) calls through page.evaluate, on the engine as a page uses it. Files come from the test server:
// /build/ is the repository's build folder (the .wasm builds, build/zoo, the conformance cases).
import { createEngine, type CairnEngine, type Tensor } from '../../engine/engine.js';
import { chooseFlavor, detectWasmFeatures, type WasmFlavor } from '../../engine/features.js';
import { formatNpy, parseNpy } from '../../tools/npy.js';
import { inScope, runCase, supportedOperators, type Outcome, type Tolerance } from '../conformance_core.js';

const modules = new Map<string, Promise<WebAssembly.Module>>();

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function compiled(flavor: WasmFlavor, threaded = false): Promise<WebAssembly.Module> {
  const url = `/build/wasm-${flavor}/cairn-${flavor}${threaded ? '-mt' : ''}.wasm`;
  if (!modules.has(url)) modules.set(url, WebAssembly.compileStreaming(fetch(url)));
  return modules.get(url)!;
}

async function engineFor(flavor: WasmFlavor, threads = 1): Promise<CairnEngine> {
  const threadedWasm = threads > 1 ? { [flavor]: await compiled(flavor, true) } : {};
  return createEngine({ wasm: { [flavor]: await compiled(flavor) }, threadedWasm, flavor, threads, log: () => {} });
}

function base64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export interface PageFacts {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  simd: boolean;
  relaxedSimd: boolean;
  chosen: WasmFlavor | null; // what createEngine picks when both builds are offered
  userAgent: string;
}

async function facts(): Promise<PageFacts> {
  const features = detectWasmFeatures();
  const engine = await createEngine({
    wasm: { simd: await compiled('simd'), relaxed: await compiled('relaxed') },
    log: () => {},
  });
  const chosen = engine.flavor;
  engine.dispose();
  if (chosen !== chooseFlavor(features, ['simd', 'relaxed'])) throw new Error('createEngine disagrees with chooseFlavor');
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    simd: features.simd,
    relaxedSimd: features.relaxedSimd,
    chosen,
    userAgent: navigator.userAgent,
  };
}

interface CaseListing {
  name: string;
  sets: string[];
  files: string[];
}

// Every case of the listing under /build/<base>/, as conformance.test.ts runs them in Node.
async function conformance(
  flavor: WasmFlavor,
  base: string,
  cases: CaseListing[],
  tolerance: Tolerance,
): Promise<{ name: string; outcome: Outcome; detail: string }[]> {
  let engine = await engineFor(flavor);
  const supported = supportedOperators(engine);
  const results: { name: string; outcome: Outcome; detail: string }[] = [];
  for (const { name, sets, files } of cases) {
    const url = (file: string) => `/build/${base}/${name}/${file}`;
    const model = await fetchBytes(url('model.onnx'));
    if (!inScope(model, supported)) {
      results.push({ name, outcome: 'OUT-OF-SCOPE', detail: '' });
      continue;
    }
    const contents = new Map<string, Uint8Array>([['model.onnx', model]]);
    await Promise.all(files.filter((f) => f !== 'model.onnx').map(async (f) => contents.set(f, await fetchBytes(url(f)))));
    try {
      results.push({ name, ...runCase(engine, (path) => contents.get(path) ?? null, sets, tolerance) });
    } catch (error) {
      results.push({ name, outcome: 'FAIL', detail: `crashed: ${error instanceof Error ? error.message : String(error)}` });
      engine = await engineFor(flavor);
    }
  }
  engine.dispose();
  return results;
}

interface ZooCase {
  name: string;
  model: string;
  inputs: { name: string; file: string }[];
  outputs: { name: string }[];
}

// Runs the zoo's cases (manifest entries) on this many threads and returns each output as a base64 .npy file, named
// as compare.py expects Cairn's outputs: cairn_<case>.npy, or cairn_<case>.<k>.npy for several outputs.
async function zoo(flavor: WasmFlavor, cases: ZooCase[], threads = 1): Promise<{ threads: number; files: Record<string, string> }> {
  const engine = await engineFor(flavor, threads);
  const engineThreads = engine.threads;
  const files: Record<string, string> = {};
  for (const c of cases) {
    const model = engine.loadModel(await fetchBytes(`/build/zoo/${c.model}`));
    const inputs: Record<string, Tensor> = {};
    for (const input of c.inputs) inputs[input.name] = parseNpy(await fetchBytes(`/build/zoo/${input.file}`), input.file);
    const outputs = await model.run(inputs);
    c.outputs.forEach((output, k) => {
      const file = c.outputs.length === 1 ? `cairn_${c.name}.npy` : `cairn_${c.name}.${k}.npy`;
      files[file] = base64(formatNpy(outputs[output.name]));
    });
    model.dispose();
  }
  engine.dispose();
  return { threads: engineThreads, files };
}

const api = { facts, conformance, zoo };
export type CairnPage = typeof api;
(globalThis as unknown as { cairnPage: CairnPage }).cairnPage = api;
