// Where the ONNX conformance cases are and how they are judged, read on the Node side for both the Node and the
// Chromium tests: the tolerances of tests/conformance/run_conformance.cpp, its expected_failures.txt, and the cases
// of build/release/onnx-node-tests (written by tests/conformance/generate.py when missing).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools/paths.js';
import type { Tolerance } from './conformance_core.js';

export function conformanceTolerance(): Tolerance {
  const source = readFileSync(join(repoRoot, 'tests/conformance/run_conformance.cpp'), 'utf8');
  const constant = (name: string) => {
    const match = new RegExp(`constexpr double ${name} = ([^;]+);`).exec(source);
    if (!match) throw new Error(`run_conformance.cpp no longer defines ${name}`);
    return Number(match[1]);
  };
  return { rtol: constant('kRtol'), atol: constant('kAtol') };
}

export function expectedFailures(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(join(repoRoot, 'tests/conformance/expected_failures.txt'), 'utf8').split('\n')) {
    const name = line.split('#')[0].trim();
    if (name !== '') names.add(name);
  }
  return names;
}

export function conformanceDir(): string {
  const dir = process.env.CAIRN_CONFORMANCE_DIR ?? join(repoRoot, 'build/release/onnx-node-tests');
  // Writes the cases when missing; returns at once when they are there.
  execFileSync(process.env.CAIRN_PYTHON ?? '/usr/bin/python3', [join(repoRoot, 'tests/conformance/generate.py'), dir], {
    stdio: 'ignore',
  });
  return existsSync(join(dir, 'node')) ? join(dir, 'node') : dir;
}

export interface CaseListing {
  name: string;
  sets: string[]; // test_data_set_* folders
  files: string[]; // every file, relative to the case's folder
}

export function listCases(root: string): CaseListing[] {
  return readdirSync(root)
    .filter((n) => existsSync(join(root, n, 'model.onnx')))
    .sort()
    .map((name) => {
      const sets = readdirSync(join(root, name)).filter((n) => n.startsWith('test_data_set_')).sort();
      const files = ['model.onnx', ...sets.flatMap((s) => readdirSync(join(root, name, s)).map((f) => `${s}/${f}`))];
      return { name, sets, files };
    });
}
