// How one ONNX conformance case is classified, run and judged, as tests/conformance/run_conformance.cpp does it
// natively. Shared by the Node test (conformance.test.ts, files read from disk) and the Chromium test
// (browser_page.ts, files fetched from the test server): the case's files come through `read`.
import type { CairnEngine, Tensor } from '../engine/engine.js';
import { CairnError } from '../engine/errors.js';
import { readModelFacts, readTensor } from './onnx_facts.js';

export type Outcome = 'PASS' | 'FAIL' | 'REFUSED' | 'OUT-OF-SCOPE';

export interface Tolerance {
  rtol: number;
  atol: number;
}

// A case's files by path relative to its folder ("model.onnx", "test_data_set_0/input_0.pb"); null when absent.
export type CaseReader = (path: string) => Uint8Array | null;

// The operators a case may use to be in scope: the engine's, and those the loader removes or folds.
export function supportedOperators(engine: CairnEngine): Set<string> {
  return new Set([...engine.operators(), 'Constant', 'Identity', 'Dropout']);
}

export function inScope(modelBytes: Uint8Array, supported: Set<string>): boolean {
  return [...readModelFacts(modelBytes).operators].every((op) => supported.has(op));
}

function compareOutput(name: string, actual: Tensor, expectedBytes: Uint8Array, tol: Tolerance): string {
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
    else ok = Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
    if (!ok && mismatches++ === 0) first = i;
  }
  return mismatches === 0
    ? ''
    : `output '${name}': ${mismatches} of ${expected.floats.length} values differ, first at [${first}]: ` +
        `got ${actual.data[first]}, expected ${expected.floats[first]}`;
}

// The data sets of a case (test_data_set_0, ...) and their numbered files, from the reader alone.
function dataSets(read: CaseReader, setNames: string[]): { set: string; inputs: string[]; outputs: string[] }[] {
  const numbered = (set: string, prefix: string) => {
    const files: string[] = [];
    for (let i = 0; read(`${set}/${prefix}${i}.pb`) !== null; ++i) files.push(`${set}/${prefix}${i}.pb`);
    return files;
  };
  return [...setNames].sort().map((set) => ({ set, inputs: numbered(set, 'input_'), outputs: numbered(set, 'output_') }));
}

// Runs an in-scope case: its model and every data set (setNames: the case's test_data_set_* folders).
export function runCase(
  engine: CairnEngine,
  read: CaseReader,
  setNames: string[],
  tol: Tolerance,
): { outcome: Outcome; detail: string } {
  const modelBytes = read('model.onnx')!;
  const facts = readModelFacts(modelBytes);
  const refusal = (error: unknown, stage: string) => ({
    outcome: (error instanceof CairnError && error.code === 'unsupported' ? 'REFUSED' : 'FAIL') as Outcome,
    detail: `${stage}: ${error instanceof Error ? error.message : String(error)}`,
  });
  const sets = dataSets(read, setNames);
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
      sets[0].inputs.forEach((file, i) => {
        const port = facts.inputs[i];
        if (port && !tensorTypes.has(port.type)) shapes[port.name] = readTensor(read(file)!).dims;
      });
      try {
        model.prepare(shapes);
      } catch {
        return { outcome: 'REFUSED', detail: 'non-float32, refused at prepare' };
      }
      return { outcome: 'FAIL', detail: 'the engine accepted a model with non-float32 inputs or outputs' };
    }
    const problems: string[] = [];
    for (const { set, inputs: inputFiles, outputs: outputFiles } of sets) {
      const inputs: Record<string, Tensor> = {};
      inputFiles.forEach((file, i) => {
        const t = readTensor(read(file)!);
        inputs[facts.inputs[i].name] = { shape: t.dims, data: t.floats! };
      });
      let outputs: Record<string, Tensor>;
      try {
        outputs = model.runSync(inputs);
      } catch (error) {
        return refusal(error, 'run');
      }
      outputFiles.forEach((file, i) => {
        const name = model.outputs[i].name;
        const problem = compareOutput(name, outputs[name], read(file)!, tol);
        if (problem !== '') problems.push(`${set}: ${problem}`);
      });
    }
    return problems.length === 0 ? { outcome: 'PASS', detail: '' } : { outcome: 'FAIL', detail: problems.join('; ') };
  } finally {
    model.dispose();
  }
}

export interface ConformanceSummary {
  counts: Record<Outcome, number>;
  unexpected: string[]; // FAIL or REFUSED, not listed in expected_failures.txt
  nowPassing: string[]; // listed, but passing
}

// Folds the outcomes of all cases into what the tests assert.
export function summarize(results: { name: string; outcome: Outcome; detail: string }[], expected: Set<string>): ConformanceSummary {
  const counts: Record<Outcome, number> = { PASS: 0, FAIL: 0, REFUSED: 0, 'OUT-OF-SCOPE': 0 };
  const unexpected: string[] = [];
  const nowPassing: string[] = [];
  for (const { name, outcome, detail } of results) {
    counts[outcome]++;
    const listed = expected.has(name);
    if ((outcome === 'FAIL' || outcome === 'REFUSED') && !listed) unexpected.push(`${name}: ${outcome} ${detail}`);
    if (listed && outcome === 'PASS') nowPassing.push(name);
  }
  return { counts, unexpected, nowPassing };
}
