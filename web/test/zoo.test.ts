// The whole-model zoo (build/zoo, exported by tests/models/export_zoo.py, ONNX Runtime's outputs as reference) on
// each WebAssembly build, judged by tests/models/compare.py itself: it runs bin/cairn-wasm as it runs the native
// `cairn`, with the same tolerances. Each build gets its own folder of links to the zoo, so that its outputs never
// overwrite the native suite's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../tools/paths.js';
import { checkBuilds, FLAVORS } from './wasm_builds.js';

const zoo = join(repoRoot, 'build/zoo');

function privateZoo(name: string): string {
  const dir = join(repoRoot, 'build', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(zoo)) {
    if (!file.startsWith('cairn_')) symlinkSync(join(zoo, file), join(dir, file));
  }
  return dir;
}

describe('whole models on the WebAssembly builds (Node)', () => {
  checkBuilds();
  if (!existsSync(join(zoo, 'manifest.json'))) {
    throw new Error(`${zoo}/manifest.json is missing: tests/models/run.sh build exports the zoo and its references`);
  }
  for (const flavor of FLAVORS) {
    it(`${flavor}: every case within compare.py's tolerance`, () => {
      const dir = privateZoo(`zoo-wasm-${flavor}`);
      const quick = process.env.CAIRN_ZOO_QUICK && process.env.CAIRN_ZOO_QUICK !== '0' ? ['--quick'] : [];
      const result = spawnSync(
        process.env.CAIRN_PYTHON ?? '/usr/bin/python3',
        [join(repoRoot, 'tests/models/compare.py'), dir, join(repoRoot, 'web/bin/cairn-wasm'), ...quick],
        { encoding: 'utf8', env: { ...process.env, CAIRN_WASM_FLAVOR: flavor } },
      );
      console.log(`compare.py on cairn-${flavor}.wasm:\n${result.stdout}${result.stderr}`);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^[1-9]\d* passed, 0 failed$/m);
    });
  }
});
