// npm run bench:browser -- MODEL.onnx --shape 1x1x512x512 [--threads N] [--runs R] [--flavor simd|relaxed] [--json]
//   Times Cairn in headless Chromium like `cairn bench`: one warm-up run, then R timed runs, on a page served with
//   COOP/COEP (cross-origin isolated, so threads work).
// npm run bench:compare-web -- MODEL.onnx --shape 1x1x512x512 [--threads N] [--runs R] [--flavor ...] [--json]
//   The same with ONNX Runtime Web (WebAssembly backend, from node_modules, same thread count) on the same page,
//   model and input, runs alternating between the two; prints a table and the ratio of their medians.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { WasmFlavor } from '../engine/features.js';
import { median } from './bench_input.js';
import type { BenchPage } from './bench_page.js';
import { launchChromium } from './chromium.js';
import { repoRoot } from './paths.js';
import { startStaticServer } from './static_server.js';

function fail(message: string): never {
  process.stderr.write(`bench:browser: error: ${message}\n`);
  process.exit(2);
}

interface Timing {
  median_ms: number;
  min_ms: number;
  gflops: number;
}

function summarize(times: number[], flops: number): Timing {
  const m = median(times);
  return { median_ms: +m.toFixed(3), min_ms: +Math.min(...times).toFixed(3), gflops: +(flops / (m * 1e6)).toFixed(3) };
}

async function main(args: string[]): Promise<void> {
  let model: string | undefined;
  let shape: number[] | undefined;
  let threads = 1;
  let runs = 5;
  let json = false;
  let compare = false;
  let flavor: WasmFlavor | undefined;
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    const value = () => args[++i] ?? fail(`${a} needs a value`);
    if (a === '--shape') shape = value().split(/[x,]/).map(Number);
    else if (a === '--threads') threads = Number(value());
    else if (a === '--runs') runs = Number(value());
    else if (a === '--flavor') flavor = value() as WasmFlavor;
    else if (a === '--json') json = true;
    else if (a === '--compare') compare = true;
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else model = a;
  }
  if (model === undefined || shape === undefined || shape.some((d) => !(d > 0)) || !(threads >= 1) || !(runs >= 1)) {
    fail('usage: MODEL.onnx --shape 1x1x512x512 [--threads N] [--runs R] [--flavor simd|relaxed] [--json]');
  }
  const modelPath = resolve(model);
  readFileSync(modelPath, { flag: 'r' }).length || fail(`${model} is empty`);
  const server = await startStaticServer({
    mounts: {
      '/build/': join(repoRoot, 'build'),
      '/dist/': join(repoRoot, 'web/dist'),
      '/ort/': join(repoRoot, 'web/node_modules/onnxruntime-web/dist'),
      '/model/': dirname(modelPath),
    },
    pages: { '/': '<!doctype html><title>Cairn benchmark</title><script type="module" src="/dist/bench-page.mjs"></script>' },
  });
  const browser = await launchChromium((line) => process.stderr.write(`${line}\n`));
  try {
    const page = browser.page;
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => 'benchPage' in globalThis);
    const call = <K extends keyof BenchPage>(name: K, ...a: Parameters<BenchPage[K]>) =>
      page.evaluate(
        ([n, x]) => (globalThis as unknown as { benchPage: Record<string, (...y: unknown[]) => unknown> }).benchPage[n](...x),
        [name, a] as const,
      ) as Promise<Awaited<ReturnType<BenchPage[K]>>>;
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    if (!isolated) fail('the page is not cross-origin isolated');
    const info = await call('setup', { model: `/model/${basename(modelPath)}`, shape, threads, flavor, ort: compare });
    if (info.threads !== threads) fail(`Cairn got ${info.threads} threads, not ${threads}`);
    const host = `chromium ${browser.version}`;
    const cairnTimes: number[] = [];
    const ortTimes: number[] = [];
    await call('runCairn'); // warm-up
    if (compare) await call('runOrt');
    for (let r = 0; r < runs; ++r) {
      // Alternate which engine goes first, so that neither always runs on a warmer machine.
      if (compare && r % 2 === 1) ortTimes.push(await call('runOrt'));
      cairnTimes.push(await call('runCairn'));
      if (compare && r % 2 === 0) ortTimes.push(await call('runOrt'));
    }
    const cairn = {
      model,
      shape: shape.join('x'),
      engine: `cairn-wasm-${info.flavor}`,
      host,
      threads: info.threads,
      runs,
      ...summarize(cairnTimes, info.flops),
      wasm_memory_mb: await call('memoryMb'),
    };
    if (!compare) {
      if (json) process.stdout.write(JSON.stringify(cairn) + '\n');
      else {
        process.stdout.write(`${cairn.engine} on ${host}, ${cairn.threads} thread(s), ${model} at ${cairn.shape}\n`);
        process.stdout.write(`median ${cairn.median_ms} ms, min ${cairn.min_ms} ms, ${cairn.gflops} GFLOP/s, ` +
          `WebAssembly memory ${cairn.wasm_memory_mb} MB\n`);
      }
      return;
    }
    const ort = { engine: `onnxruntime-web ${info.ortVersion} (wasm)`, threads, runs, ...summarize(ortTimes, info.flops) };
    const maxDifference = await call('maxDifference');
    const ratio = +(ort.median_ms / cairn.median_ms).toFixed(2);
    if (json) {
      process.stdout.write(JSON.stringify({ model, shape: cairn.shape, host, cairn, ort, ort_over_cairn: ratio, max_abs_difference: maxDifference }) + '\n');
      return;
    }
    process.stdout.write(`${model} at ${cairn.shape} on ${host}, ${threads} thread(s), ${runs} runs each (alternating)\n\n`);
    process.stdout.write('| engine | threads | median ms | min ms | GFLOP/s |\n|---|---|---|---|---|\n');
    for (const e of [cairn, ort]) {
      process.stdout.write(`| ${e.engine} | ${e.threads} | ${e.median_ms.toFixed(1)} | ${e.min_ms.toFixed(1)} | ${e.gflops.toFixed(2)} |\n`);
    }
    process.stdout.write(`\nONNX Runtime Web / Cairn (median): ${ratio}x; largest output difference ${maxDifference.toExponential(2)}; ` +
      `Cairn's WebAssembly memory ${cairn.wasm_memory_mb} MB\n`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
