// `cairn run` on the WebAssembly engine in Node, with the native command's arguments and files, so that the
// whole-model comparison (tests/models/compare.py) runs unchanged on each WebAssembly build:
//   CAIRN_WASM_FLAVOR=relaxed tests/models/compare.py build/zoo web/bin/cairn-wasm
// Usage: cairn-wasm run MODEL IN.npy OUT.npy | cairn-wasm run MODEL --input NAME=IN.npy ... --output NAME=OUT.npy ...
import { readFileSync, writeFileSync } from 'node:fs';
import { createEngine } from '../engine/engine.js';
import { flavorFromEnvironment, requireWasm } from './paths.js';
import { formatNpy, parseNpy } from './npy.js';

function usage(message: string): never {
  process.stderr.write(`cairn: error: ${message}\nusage: cairn-wasm run MODEL IN.npy OUT.npy\n` +
    '       cairn-wasm run MODEL --input NAME=IN.npy ... --output NAME=OUT.npy ...\n');
  process.exit(2);
}

async function main(args: string[]): Promise<void> {
  if (args[0] !== 'run' || args.length < 3) usage('only `run` is available on the WebAssembly engine');
  const modelPath = args[1];
  const inputFiles = new Map<string | null, string>();
  const outputFiles = new Map<string | null, string>();
  const rest = args.slice(2);
  if (!rest[0].startsWith('--')) {
    if (rest.length !== 2) usage('expected IN.npy OUT.npy');
    inputFiles.set(null, rest[0]);
    outputFiles.set(null, rest[1]);
  } else {
    for (let i = 0; i < rest.length; i += 2) {
      const [flag, spec] = [rest[i], rest[i + 1]];
      const eq = spec?.indexOf('=') ?? -1;
      if ((flag !== '--input' && flag !== '--output') || eq <= 0) usage(`unexpected argument ${flag}`);
      (flag === '--input' ? inputFiles : outputFiles).set(spec.slice(0, eq), spec.slice(eq + 1));
    }
  }
  const flavor = flavorFromEnvironment();
  const engine = await createEngine({ wasm: { [flavor]: readFileSync(requireWasm(flavor)) }, flavor });
  const model = engine.loadModel(readFileSync(modelPath));
  const byName = (map: Map<string | null, string>, names: string[]) =>
    map.has(null) ? new Map([[names[0], map.get(null)!]]) : (map as Map<string, string>);
  const inputs = Object.fromEntries(
    [...byName(inputFiles, model.inputs.map((i) => i.name))].map(([name, file]) => [name, parseNpy(readFileSync(file), file)]),
  );
  const outputs = await model.run(inputs);
  for (const [name, file] of byName(outputFiles, model.outputs.map((o) => o.name))) {
    if (!(name in outputs)) usage(`the model has no output named '${name}'`);
    writeFileSync(file, formatNpy(outputs[name]));
  }
  process.stdout.write(`cairn-wasm (${engine.flavor}): ran ${modelPath}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`cairn: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
