// Both WebAssembly builds in headless Chromium (Debian's, driven by playwright-core), on a page served with COOP and
// COEP: the page is cross-origin isolated, feature detection picks the relaxed build, and each build, forced, passes
// the same ONNX conformance cases (conformance_core.ts, judged on the Node side exactly as in Node) and the same
// whole-model zoo (outputs written back and judged by tests/models/compare.py through bin/cairn-replay).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Chromium } from '../../tools/chromium.js';
import { repoRoot } from '../../tools/paths.js';
import { startStaticServer, type StaticServer } from '../../tools/static_server.js';
import { summarize } from '../conformance_core.js';
import { conformanceDir, conformanceTolerance, expectedFailures, listCases } from '../conformance_data.js';
import { checkBuildFiles, FLAVORS } from '../wasm_builds.js';
import { privateZoo, runCompare, zooCases } from '../zoo_data.js';
import type { CairnPage } from './page.js';

let server: StaticServer;
let browser: Chromium;
const page = () => browser.page;

beforeAll(async () => {
  checkBuildFiles();
  server = await startStaticServer({
    mounts: { '/build/': join(repoRoot, 'build'), '/dist/': join(repoRoot, 'web/dist') },
    pages: { '/': '<!doctype html><title>Cairn tests</title><script type="module" src="/dist/browser-page.mjs"></script>' },
  });
  browser = await launchChromium((line) => console.log(line));
  await page().goto(`${server.origin}/`);
  await page().waitForFunction(() => 'cairnPage' in globalThis);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function call<K extends keyof CairnPage>(name: K, ...args: Parameters<CairnPage[K]>): Promise<Awaited<ReturnType<CairnPage[K]>>> {
  return page().evaluate(
    ([n, a]) => (globalThis as unknown as { cairnPage: Record<string, (...x: unknown[]) => unknown> }).cairnPage[n](...a),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<CairnPage[K]>>>;
}

describe('WebAssembly builds in headless Chromium', () => {
  it('is cross-origin isolated and picks the relaxed build by feature detection', async () => {
    const facts = await call('facts');
    console.log(`Chromium: ${facts.userAgent}`);
    expect(facts.crossOriginIsolated).toBe(true);
    expect(facts.sharedArrayBuffer).toBe(true);
    expect(facts.simd).toBe(true);
    expect(facts.relaxedSimd).toBe(true);
    expect(facts.chosen).toBe('relaxed');
  });

  const root = conformanceDir();
  const cases = listCases(root);
  const base = relative(join(repoRoot, 'build'), root);
  for (const flavor of FLAVORS) {
    it(`${flavor}: every in-scope conformance case passes or is an expected failure`, async () => {
      expect(base.startsWith('..')).toBe(false); // the server reaches the cases through /build/
      const tolerance = conformanceTolerance();
      const results = await call('conformance', flavor, base, cases, tolerance);
      expect(results).toHaveLength(cases.length);
      const { counts, unexpected, nowPassing } = summarize(results, expectedFailures());
      console.log(`conformance in Chromium (${flavor}): ${JSON.stringify(counts)}, rtol ${tolerance.rtol}, atol ${tolerance.atol}`);
      expect(unexpected).toEqual([]);
      expect(nowPassing).toEqual([]);
      expect(counts.PASS).toBeGreaterThan(100);
    });
  }

  const singleThreaded: Partial<Record<string, Record<string, string>>> = {};
  for (const flavor of FLAVORS) {
    it(`${flavor}: every zoo case within compare.py's tolerance`, async () => {
      const dir = privateZoo(`zoo-chromium-${flavor}`);
      const { threads, files } = await call('zoo', flavor, zooCases(), 1);
      expect(threads).toBe(1);
      singleThreaded[flavor] = files;
      mkdirSync(join(dir, 'recorded'));
      for (const [file, data] of Object.entries(files)) writeFileSync(join(dir, 'recorded', file), Buffer.from(data, 'base64'));
      const { status, report } = runCompare(dir, join(repoRoot, 'web/bin/cairn-replay'));
      console.log(`compare.py on cairn-${flavor}.wasm in Chromium:\n${report}`);
      expect(status).toBe(0);
      expect(report).toMatch(/^[1-9]\d* passed, 0 failed$/m);
    });
  }

  for (const flavor of FLAVORS) {
    it(`${flavor}: the threaded build gives the same bits on 2 and 3 threads as on one`, async () => {
      const reference = singleThreaded[flavor];
      expect(reference, 'the single-threaded zoo test ran first').toBeDefined();
      for (const threads of [2, 3]) {
        const result = await call('zoo', flavor, zooCases(), threads);
        expect(result.threads).toBe(threads);
        for (const [file, data] of Object.entries(reference!)) expect(result.files[file] === data, `${file}, ${threads} threads`).toBe(true);
      }
    });
  }
});
