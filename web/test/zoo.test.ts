// The whole-model zoo on each WebAssembly build in Node, judged by tests/models/compare.py itself: it runs
// bin/cairn-wasm as it runs the native `cairn`, with the same tolerances.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../tools/paths.js';
import { checkBuilds, FLAVORS } from './wasm_builds.js';
import { privateZoo, runCompare, zooCases } from './zoo_data.js';

describe('whole models on the WebAssembly builds (Node)', () => {
  checkBuilds();
  zooCases();
  for (const flavor of FLAVORS) {
    it(`${flavor}: every case within compare.py's tolerance`, () => {
      const dir = privateZoo(`zoo-wasm-${flavor}`);
      const { status, report } = runCompare(dir, join(repoRoot, 'web/bin/cairn-wasm'), { CAIRN_WASM_FLAVOR: flavor });
      console.log(`compare.py on cairn-${flavor}.wasm:\n${report}`);
      expect(status).toBe(0);
      expect(report).toMatch(/^[1-9]\d* passed, 0 failed$/m);
    });
  }
});
