// ONNX's backend node tests on each WebAssembly build in Node, classified and judged as
// tests/conformance/run_conformance.cpp does natively (conformance_core.ts): the same scope (operators the engine
// implements), the same tolerances (read from that file), the same list of expected failures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inScope, runCase, summarize, supportedOperators, type Outcome } from './conformance_core.js';
import { conformanceDir, conformanceTolerance, expectedFailures, listCases } from './conformance_data.js';
import { checkBuilds, engineFor, FLAVORS } from './wasm_builds.js';

describe('ONNX conformance cases on the WebAssembly builds', () => {
  checkBuilds();
  const root = conformanceDir();
  const expected = expectedFailures();
  const tolerance = conformanceTolerance();
  const cases = listCases(root);

  for (const flavor of FLAVORS) {
    it(`${flavor}: every in-scope case passes or is an expected failure`, async () => {
      let engine = await engineFor(flavor);
      const supported = supportedOperators(engine);
      const results: { name: string; outcome: Outcome; detail: string }[] = [];
      for (const { name, sets } of cases) {
        const dir = join(root, name);
        const read = (path: string) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path)) : null);
        if (!inScope(read('model.onnx')!, supported)) {
          results.push({ name, outcome: 'OUT-OF-SCOPE', detail: '' });
          continue;
        }
        try {
          results.push({ name, ...runCase(engine, read, sets, tolerance) });
        } catch (error) {
          // A trap leaves the module in an unknown state: a fresh instance for the next case.
          results.push({ name, outcome: 'FAIL', detail: `crashed: ${error instanceof Error ? error.message : String(error)}` });
          engine = await engineFor(flavor);
        }
      }
      const { counts, unexpected, nowPassing } = summarize(results, expected);
      console.log(`conformance (${flavor}): ${JSON.stringify(counts)}, rtol ${tolerance.rtol}, atol ${tolerance.atol}`);
      expect(unexpected).toEqual([]);
      expect(nowPassing).toEqual([]);
      expect(counts.PASS).toBeGreaterThan(100);
    });
  }
});
