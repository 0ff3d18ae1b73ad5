// ONNX's backend node tests on each WebAssembly build, classified and judged as tests/conformance/run_conformance.cpp
// does natively: the same scope (operators the engine implements), the same tolerances (read from that file), the
// same list of expected failures.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CairnEngine, Tensor } from '../engine/engine.js';
import { CairnError } from '../engine/errors.js';
import { repoRoot } from '../tools/paths.js';
import { readModelFacts, readTensor } from './onnx_facts.js';
import { checkBuilds, engineFor, FLAVORS } from './wasm_builds.js';

const runnerSource = readFileSync(join(repoRoot, 'tests/conformance/run_conformance.cpp'), 'utf8');
function constant(name: string): number {
  const match = new RegExp(`constexpr double ${name} = ([^;]+);`).exec(runnerSource);
  if (!match) throw new Error(`run_conformance.cpp no longer defines ${name}`);
  return Number(match[1]);
}
const RTOL = constant('kRtol');
const ATOL = constant('kAtol');

function expectedFailures(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(join(repoRoot, 'tests/conformance/expected_failures.txt'), 'utf8').split('\n')) {
    const name = line.split('#')[0].trim();
    if (name !== '') names.add(name);
  }
  return names;
}

function dataDir(): string {
  const dir = process.env.CAIRN_CONFORMANCE_DIR ?? join(repoRoot, 'build/release/onnx-node-tests');
  // Writes the cases when missing; returns at once when they are there.
  execFileSync(process.env.CAIRN_PYTHON ?? '/usr/bin/python3', [join(repoRoot, 'tests/conformance/generate.py'), dir], {
    stdio: 'ignore',
  });
  return existsSync(join(dir, 'node')) ? join(dir, 'node') : dir;
}

type Outcome = 'PASS' | 'FAIL' | 'REFUSED' | 'OUT-OF-SCOPE';

function compareOutput(name: string, actual: Tensor, expectedBytes: Uint8Array): string {
  const expected = readTensor(expectedBytes);
  if (expected.floats === null) return `output '${name}': the reference is ${expected.type}`;
  if (actual.shape.join('x') !== expected.dims.join('x')) {
    return `output '${name}' has shape ${actual.shape.join('x')}, expected ${expected.dims.join('x')}`;
  }
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < expected.floats.length; ++i) {
    const a = actual.data[i];
    const b = expected.floats[i];
    let ok: boolean;
    if (Number.isNaN(a) || Number.isNaN(b)) ok = Number.isNaN(a) && Number.isNaN(b);
    else if (!Number.isFinite(a) || !Number.isFinite(b)) ok = a === b;
    else ok = Math.abs(a - b) <= ATOL + RTOL * Math.abs(b);
    if (!ok && mismatches++ === 0) first = i;
  }
  return mismatches === 0
    ? ''
    : `output '${name}': ${mismatches} of ${expected.floats.length} values differ, first at [${first}]: ` +
        `got ${actual.data[first]}, expected ${expected.floats[first]}`;
}

function runCase(engine: CairnEngine, dir: string): { outcome: Outcome; detail: string } {
  const modelBytes = readFileSync(join(dir, 'model.onnx'));
  const facts = readModelFacts(modelBytes);
  const refusal = (error: unknown, stage: string) => ({
    outcome: (error instanceof CairnError && error.code === 'unsupported' ? 'REFUSED' : 'FAIL') as Outcome,
    detail: `${stage}: ${error instanceof Error ? error.message : String(error)}`,
  });
  const sets = readdirSync(dir).filter((n) => n.startsWith('test_data_set_')).sort();
  const numbered = (set: string, prefix: string) => {
    const files: string[] = [];
    for (let i = 0; existsSync(join(dir, set, `${prefix}${i}.pb`)); ++i) files.push(join(dir, set, `${prefix}${i}.pb`));
    return files;
  };
  const nonFloat = [...facts.inputs, ...facts.outputs].filter((p) => p.type !== 'float32');
  let model;
  try {
    model = engine.loadModel(modelBytes);
  } catch (error) {
    if (nonFloat.length > 0) return { outcome: 'REFUSED', detail: 'non-float32, refused at load' };
    return refusal(error, 'load');
  }
  try {
    if (nonFloat.length > 0) {
      const tensorTypes = new Set(['sequence', 'map', 'optional', 'sparse tensor', 'undeclared']);
      const shapes: Record<string, number[]> = {};
      numbered(sets[0], 'input_').forEach((file, i) => {
        const port = facts.inputs[i];
        if (port && !tensorTypes.has(port.type)) shapes[port.name] = readTensor(readFileSync(file)).dims;
      });
      try {
        model.prepare(shapes);
      } catch {
        return { outcome: 'REFUSED', detail: 'non-float32, refused at prepare' };
      }
      return { outcome: 'FAIL', detail: 'the engine accepted a model with non-float32 inputs or outputs' };
    }
    const problems: string[] = [];
    for (const set of sets) {
      const inputs: Record<string, Tensor> = {};
      numbered(set, 'input_').forEach((file, i) => {
        const t = readTensor(readFileSync(file));
        inputs[facts.inputs[i].name] = { shape: t.dims, data: t.floats! };
      });
      let outputs: Record<string, Tensor>;
      try {
        outputs = model.runSync(inputs);
      } catch (error) {
        return refusal(error, 'run');
      }
      const files = numbered(set, 'output_');
      files.forEach((file, i) => {
        const name = model.outputs[i].name;
        const problem = compareOutput(name, outputs[name], readFileSync(file));
        if (problem !== '') problems.push(`${set}: ${problem}`);
      });
    }
    return problems.length === 0 ? { outcome: 'PASS', detail: '' } : { outcome: 'FAIL', detail: problems.join('; ') };
  } finally {
    model.dispose();
  }
}

describe('ONNX conformance cases on the WebAssembly builds', () => {
  checkBuilds();
  const root = dataDir();
  const expected = expectedFailures();
  const cases = readdirSync(root)
    .filter((n) => existsSync(join(root, n, 'model.onnx')))
    .sort();

  for (const flavor of FLAVORS) {
    it(`${flavor}: every in-scope case passes or is an expected failure`, async () => {
      let engine = await engineFor(flavor);
      const supported = new Set([...engine.operators(), 'Constant', 'Identity', 'Dropout']);
      const counts: Record<Outcome, number> = { PASS: 0, FAIL: 0, REFUSED: 0, 'OUT-OF-SCOPE': 0 };
      const unexpected: string[] = [];
      const nowPassing: string[] = [];
      for (const name of cases) {
        const facts = readModelFacts(readFileSync(join(root, name, 'model.onnx')));
        if ([...facts.operators].some((op) => !supported.has(op))) {
          counts['OUT-OF-SCOPE']++;
          continue;
        }
        let result: { outcome: Outcome; detail: string };
        try {
          result = runCase(engine, join(root, name));
        } catch (error) {
          // A trap leaves the module in an unknown state: a fresh instance for the next case.
          result = { outcome: 'FAIL', detail: `crashed: ${error instanceof Error ? error.message : String(error)}` };
          engine = await engineFor(flavor);
        }
        counts[result.outcome]++;
        const listed = expected.has(name);
        if ((result.outcome === 'FAIL' || result.outcome === 'REFUSED') && !listed) {
          unexpected.push(`${name}: ${result.outcome} ${result.detail}`);
        }
        if (listed && result.outcome === 'PASS') nowPassing.push(name);
      }
      console.log(`conformance (${flavor}): ${JSON.stringify(counts)}, rtol ${RTOL}, atol ${ATOL}`);
      expect(unexpected).toEqual([]);
      expect(nowPassing).toEqual([]);
      expect(counts.PASS).toBeGreaterThan(100);
    });
  }
});
