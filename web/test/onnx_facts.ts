// What an ONNX conformance case contains, read without the engine (as tests/conformance/run_conformance.cpp does,
// so that the classification of a case does not depend on the code under test): operators, input and output
// types, and TensorProto contents.
class WireReader {
  private pos = 0;
  private readonly data: Uint8Array;
  // A plain Uint8Array view: a Node Buffer's slice() would not copy.
  constructor(bytes: Uint8Array) {
    this.data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  *fields(): Generator<{ number: number; wire: number; varint: bigint; bytes: Uint8Array<ArrayBufferLike> }> {
    while (this.pos < this.data.length) {
      const key = this.varint();
      const number = Number(key >> 3n);
      const wire = Number(key & 7n);
      let varint = 0n;
      let bytes: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
      if (wire === 0) varint = this.varint();
      else if (wire === 1) bytes = this.take(8);
      else if (wire === 2) bytes = this.take(Number(this.varint()));
      else if (wire === 5) bytes = this.take(4);
      else throw new Error(`unsupported protobuf wire type ${wire}`);
      yield { number, wire, varint, bytes };
    }
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.data.length) throw new Error('truncated protobuf varint');
      const b = this.data[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
  }

  atEnd(): boolean {
    return this.pos >= this.data.length;
  }

  private take(n: number): Uint8Array<ArrayBufferLike> {
    if (n > this.data.length - this.pos) throw new Error('truncated protobuf field');
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const TYPE_NAMES = ['undefined', 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool',
  'float16', 'float64', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16'];

export interface Port {
  name: string;
  type: string;
}

export interface ModelFacts {
  operators: Set<string>;
  inputs: Port[]; // graph inputs that are not initializers, in order
  outputs: Port[];
}

function collectOperators(graph: Uint8Array, ops: Set<string>): void {
  for (const f of new WireReader(graph).fields()) {
    if (f.number !== 1 || f.wire !== 2) continue;
    let opType = '';
    let domain = '';
    for (const nf of new WireReader(f.bytes).fields()) {
      if (nf.wire !== 2) continue;
      if (nf.number === 4) opType = text(nf.bytes);
      if (nf.number === 7) domain = text(nf.bytes);
      if (nf.number === 5) {
        for (const af of new WireReader(nf.bytes).fields()) {
          if (af.wire === 2 && (af.number === 6 || af.number === 11)) collectOperators(af.bytes, ops);
        }
      }
    }
    ops.add(domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`);
  }
}

function readValueInfo(bytes: Uint8Array): Port {
  const port: Port = { name: '', type: 'undeclared' };
  for (const f of new WireReader(bytes).fields()) {
    if (f.wire !== 2) continue;
    if (f.number === 1) port.name = text(f.bytes);
    if (f.number !== 2) continue;
    for (const tf of new WireReader(f.bytes).fields()) {
      if (tf.wire !== 2) continue;
      if (tf.number === 1) {
        port.type = 'undefined';
        for (const ef of new WireReader(tf.bytes).fields()) {
          if (ef.number === 1 && ef.wire === 0) port.type = TYPE_NAMES[Number(ef.varint)] ?? 'unknown';
        }
      } else if (tf.number === 4) port.type = 'sequence';
      else if (tf.number === 5) port.type = 'map';
      else if (tf.number === 8) port.type = 'sparse tensor';
      else if (tf.number === 9) port.type = 'optional';
    }
  }
  return port;
}

export function readModelFacts(bytes: Uint8Array): ModelFacts {
  const facts: ModelFacts = { operators: new Set(), inputs: [], outputs: [] };
  for (const f of new WireReader(bytes).fields()) {
    if (f.number !== 7 || f.wire !== 2) continue;
    collectOperators(f.bytes, facts.operators);
    const initializers = new Set<string>();
    const inputs: Port[] = [];
    for (const gf of new WireReader(f.bytes).fields()) {
      if (gf.wire !== 2) continue;
      if (gf.number === 5) {
        for (const tf of new WireReader(gf.bytes).fields()) if (tf.number === 8 && tf.wire === 2) initializers.add(text(tf.bytes));
      }
      if (gf.number === 11) inputs.push(readValueInfo(gf.bytes));
      if (gf.number === 12) facts.outputs.push(readValueInfo(gf.bytes));
    }
    facts.inputs = inputs.filter((p) => !initializers.has(p.name));
  }
  return facts;
}

export interface TensorData {
  dims: number[];
  type: string;
  floats: Float32Array | null; // for float32 and float64 tensors
}

// TensorProto: dims = 1, data_type = 2, float_data = 4, raw_data = 9, double_data = 10.
export function readTensor(bytes: Uint8Array): TensorData {
  const dims: number[] = [];
  let type = 0;
  const floatData: number[] = [];
  const doubleData: number[] = [];
  let raw: Uint8Array<ArrayBufferLike> | null = null;
  for (const f of new WireReader(bytes).fields()) {
    if (f.number === 1 && f.wire === 0) dims.push(Number(BigInt.asIntN(64, f.varint)));
    if (f.number === 1 && f.wire === 2) {
      const packed = new WireReader(f.bytes);
      while (!packed.atEnd()) dims.push(Number(BigInt.asIntN(64, packed.varint())));
    }
    if (f.number === 2 && f.wire === 0) type = Number(f.varint);
    const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
    if (f.number === 4) for (let i = 0; i + 4 <= f.bytes.length; i += 4) floatData.push(dv.getFloat32(i, true));
    if (f.number === 10) for (let i = 0; i + 8 <= f.bytes.length; i += 8) doubleData.push(dv.getFloat64(i, true));
    if (f.number === 9 && f.wire === 2) raw = f.bytes;
  }
  const count = dims.reduce((n, d) => n * d, 1);
  let floats: Float32Array | null = null;
  if (type === 1) {
    floats = raw ? new Float32Array(new Uint8Array(raw).buffer, 0, count) : Float32Array.from(floatData);
  } else if (type === 11) {
    floats = raw ? Float32Array.from(new Float64Array(new Uint8Array(raw).buffer, 0, count)) : Float32Array.from(doubleData);
  }
  if (floats !== null && floats.length !== count) throw new Error(`a tensor of shape ${dims.join('x')} has ${floats.length} values`);
  return { dims, type: TYPE_NAMES[type] ?? 'unknown', floats };
}
