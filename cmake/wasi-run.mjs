// Runs a WebAssembly command module (wasm32-wasi) in Node's WASI with the given arguments and this process's
// environment (GTEST_FILTER and the like pass through), and exits with the module's status. No directory is
// preopened: the modules it runs (cmake/wasm-tests.cmake) read no files.
//   node [--experimental-wasm-relaxed-simd] cmake/wasi-run.mjs MODULE.wasm [ARGS...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node wasi-run.mjs MODULE.wasm [ARGS...]\n');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: process.env, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
