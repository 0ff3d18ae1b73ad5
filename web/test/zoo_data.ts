// The whole-model zoo (build/zoo, exported by tests/models/export_zoo.py with ONNX Runtime's outputs as reference)
// for the WebAssembly tests, judged by tests/models/compare.py itself. Each run gets its own folder of links to the
// zoo, so that its outputs never overwrite the native suite's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools/paths.js';

export const zoo = join(repoRoot, 'build/zoo');

export interface ZooCase {
  name: string;
  model: string;
  quick?: boolean;
  inputs: { name: string; file: string; shape: number[] }[];
  outputs: { name: string }[];
}

export function quickZoo(): boolean {
  return Boolean(process.env.CAIRN_ZOO_QUICK && process.env.CAIRN_ZOO_QUICK !== '0');
}

export function zooCases(): ZooCase[] {
  const manifest = join(zoo, 'manifest.json');
  if (!existsSync(manifest)) {
    throw new Error(`${manifest} is missing: tests/models/run.sh build exports the zoo and its references`);
  }
  const cases = (JSON.parse(readFileSync(manifest, 'utf8')) as { cases: ZooCase[] }).cases;
  return quickZoo() ? cases.filter((c) => c.quick ?? true) : cases;
}

// build/<name>/: links to every file of the zoo but Cairn's outputs.
export function privateZoo(name: string): string {
  const dir = join(repoRoot, 'build', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(zoo)) {
    if (!file.startsWith('cairn_')) symlinkSync(join(zoo, file), join(dir, file));
  }
  return dir;
}

// compare.py on the folder with this `cairn` command; its report and exit status.
export function runCompare(dir: string, binary: string, env: Record<string, string> = {}): { status: number | null; report: string } {
  const result = spawnSync(
    process.env.CAIRN_PYTHON ?? '/usr/bin/python3',
    [join(repoRoot, 'tests/models/compare.py'), dir, binary, ...(quickZoo() ? ['--quick'] : [])],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
  return { status: result.status, report: `${result.stdout}${result.stderr}` };
}
