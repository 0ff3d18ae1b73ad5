// Runs every case of OUTDIR/manifest.json with ONNX Runtime (onnxruntime-node, CPU, one thread, no graph
// optimizations beyond the basic ones) and writes OUTDIR/expected_<case>.npy, the reference the engine is compared
// with. As a check of the export itself, it prints how far ONNX Runtime is from PyTorch's own output.
//
// Usage: node tests/models/ort_reference.mjs OUTDIR        (needs node_modules at the repository root)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// ---- .npy (format 1.0/2.0/3.0), float32 little-endian, C order only: all this suite uses.

function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') {
    throw new Error(`${path}: not an .npy file`);
  }
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4' || fortran !== 'False' || shapeText === undefined) {
    throw new Error(`${path}: expected float32 little-endian in C order, header is ${header.trim()}`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (buf.length !== dataStart + 4 * count) {
    throw new Error(`${path}: ${buf.length - dataStart} data bytes for shape (${shape}), expected ${4 * count}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(dataStart + 4 * i);
  return { shape, data };
}

function writeNpy(path, shape, data) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const buf = Buffer.alloc(total + 4 * data.length);
  buf.writeUInt32BE(0x934e554d, 0);
  buf.write('PY', 4, 'latin1');
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i], total + 4 * i);
  writeFileSync(path, buf);
}

// ----

async function main() {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: node tests/models/ort_reference.mjs OUTDIR');
    process.exit(2);
  }
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    console.error('ort_reference.mjs: onnxruntime-node is not installed; run ' +
      '`ONNXRUNTIME_NODE_INSTALL=skip npm ci` at the repository root (' + e.message.split('\n')[0] + ')');
    process.exit(2);
  }
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'basic',
  };
  const sessions = new Map();
  for (const c of manifest.cases) {
    if (!sessions.has(c.model)) {
      sessions.set(c.model, await ort.InferenceSession.create(join(outdir, c.model), options));
    }
    const session = sessions.get(c.model);
    const feeds = {};
    for (const input of c.inputs) {
      const { shape, data } = readNpy(join(outdir, input.file));
      feeds[input.name] = new ort.Tensor('float32', data, shape);
    }
    const t0 = performance.now();
    const results = await session.run(feeds);
    const ms = performance.now() - t0;
    c.outputs.forEach((output, k) => {
      const tensor = results[output.name];
      if (tensor.type !== 'float32') throw new Error(`${c.name}: output ${output.name} is ${tensor.type}`);
      const shape = Array.from(tensor.dims, Number);
      const file = c.outputs.length === 1 ? `expected_${c.name}.npy` : `expected_${c.name}.${k}.npy`;
      writeNpy(join(outdir, file), shape, tensor.data);
      let line = `  ${c.name.padEnd(24)} ${output.name} ${shape.join('x').padEnd(13)} ${ms.toFixed(0).padStart(6)} ms`;
      const torchFile = join(outdir, c.outputs.length === 1 ? `torch_${c.name}.npy` : `torch_${c.name}.${k}.npy`);
      if (existsSync(torchFile)) {
        const torch = readNpy(torchFile);
        if (torch.shape.join('x') !== shape.join('x')) {
          throw new Error(`${c.name}: ONNX Runtime gives ${shape.join('x')}, PyTorch ${torch.shape.join('x')}`);
        }
        let maxDiff = 0;
        for (let i = 0; i < torch.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(torch.data[i] - tensor.data[i]));
        line += `  max |ORT - PyTorch| ${maxDiff.toExponential(2)}`;
      }
      console.log(line);
    });
  }
  console.log(`ort_reference.mjs: onnxruntime-node ${ort.env.versions?.node ?? '?'}, ` +
    `${manifest.cases.length} references in ${outdir}`);
}

main().catch((e) => {
  console.error(`ort_reference.mjs: ${e.stack ?? e}`);
  process.exit(1);
});
