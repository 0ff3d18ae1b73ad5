// Mutation fuzzing of the two readers of PACS answers that exist only in TypeScript: the DICOM JSON model (QIDO-RS and
// WADO-RS /metadata answers, through DicomWebClient and the accessors of dicom_json.ts, geometry.ts and pixels.ts) and
// the multipart/related parser (WADO-RS frames and instances). libFuzzer's JavaScript front end (Jazzer.js) cannot run
// here (docs/security.md): this is a deterministic, seeded mutation loop without coverage feedback, started from the
// answers recorded from Orthanc (viewer/fixtures/) and checked against each reader's contract:
//  - a DICOM JSON answer either becomes a DicomWebError('bad-answer') or an array whose every item gives a string from
//    str(), a finite number or undefined from num(), numbers from nums(), a geometry of finite numbers or null from
//    geometryOf(), a pixel format or an UnsupportedSeriesError from pixelFormatOf(), and a permutation from
//    sortInstances(); never a TypeError or a RangeError;
//  - a multipart/related answer either becomes parts whose bodies lie inside the answer, or a MultipartError; and a
//    body built from random parts and a boundary they do not contain parses back to exactly those parts.
// Every input that broke a contract is kept in fuzz/regressions/{dicom_json,multipart}/ and replayed first.
//   CAIRN_FUZZ_SECONDS=600 npx vitest run viewer/src/dicomweb_fuzz.test.ts   (the long run; default: a few seconds)
//   CAIRN_FUZZ_SEED=7 ...                                                       (another sequence of mutations)
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DicomJson, Tag, formatDate, num, nums, str, values } from './dicom_json.js';
import { DicomWebClient, DicomWebError } from './dicomweb.js';
import { geometryOf, sortInstances } from './geometry.js';
import { MultipartError, parseMultipartRelated } from './multipart.js';
import { UnsupportedSeriesError, pixelFormatOf } from './pixels.js';

const SECONDS = Number(process.env.CAIRN_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.CAIRN_FUZZ_SEED ?? 20240601);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const regressions = (surface: string): Buffer[] => {
  const folder = new URL(`../../../fuzz/regressions/${surface}/`, import.meta.url);
  let names: string[] = [];
  try {
    names = readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(new URL(n, folder)));
};

// mulberry32: a small seeded generator, so that a failure is reproduced by its seed and iteration.
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

// Runs `one` on fresh inputs until the time budget is spent; a broken contract fails with the seed, the iteration
// and the input (base64), to be saved as a regression.
function fuzzLoop(name: string, seed: number, one: (random: Random) => { input: Uint8Array; check: () => void }) {
  const random = generator(seed);
  const deadline = Date.now() + SECONDS * 1000;
  let iterations = 0;
  while (Date.now() < deadline) {
    const { input, check } = one(random);
    try {
      check();
    } catch (error) {
      const saved = Buffer.from(input).toString('base64');
      throw new Error(`${name}: contract broken at iteration ${iterations} (seed ${seed}): ${(error as Error).stack}\n` +
        `input (base64, save it to fuzz/regressions/${name}/): ${saved}`);
    }
    ++iterations;
  }
  console.log(`fuzz ${name}: ${iterations} inputs in ${SECONDS} s, seed ${seed}`);
  return iterations;
}

// ---------------------------------------------------------------------------------------------------------- bytes
const TOKENS = ['\r\n', '\r\n\r\n', '--', '"', ';', '=', ':', 'Content-Type: ', 'boundary=', '\0', '\xff', '{', '}', '[',
  ']', ',', '"Value":', '"vr":"DS"', 'null', '1e309', '-0', 'NaN', '"__proto__"', '"Alphabetic":', '\\u0000'];

function mutateBytes(random: Random, data: Uint8Array, extra: readonly string[] = []): Uint8Array {
  let out = data;
  const splice = (at: number, remove: number, insert: Uint8Array = new Uint8Array()) => {
    const end = Math.min(out.length, at + remove);
    const next = new Uint8Array(out.length - (end - at) + insert.length);
    next.set(out.subarray(0, at));
    next.set(insert, at);
    next.set(out.subarray(end), at + insert.length);
    out = next;
  };
  const rounds = 1 + random.int(8);
  for (let r = 0; r < rounds; ++r) {
    const at = random.int(out.length + 1);
    const last = Math.min(at, out.length - 1);
    switch (random.int(8)) {
      case 0: if (out.length) { out = out.slice(); out[last] ^= 1 << random.int(8); } break;
      case 1: if (out.length) { out = out.slice(); out[last] = random.int(256); } break;
      case 2: splice(at, random.int(16)); break; // delete
      case 3: out = out.slice(0, at); break; // truncate
      case 4: { // duplicate a chunk
        const from = random.int(out.length + 1);
        splice(at, 0, out.slice(from, from + random.int(64)));
        break;
      }
      case 5: case 6: { // insert a token of the format
        const token = random.pick([...TOKENS, ...extra]);
        splice(at, 0, Uint8Array.from(token, (c) => c.charCodeAt(0) & 0xff));
        break;
      }
      default: splice(at, 0, Uint8Array.from({ length: 1 + random.int(8) }, () => random.int(256)));
    }
  }
  return out;
}

// Contract checks without Vitest's expect in the hot loop (it costs more than the readers themselves).
function assert(condition: boolean, what: string): void {
  if (!condition) throw new Error(`contract broken: ${what}`);
}

// ------------------------------------------------------------------------------------------------------ DICOM JSON
const HOSTILE_VALUES: unknown[] = [null, 0, -1, 1e308, -1e-308, 2 ** 53, 'x', '', ' ', '1e999', 'NaN', '12\\34', true,
  [], {}, [null], [[]], [{}], [{ Alphabetic: 5 }], [{ Alphabetic: null }], { Value: 'abc' }, { Value: {} },
  { Value: [1, 'a', null, {}] }, { vr: 'PN', Value: [{ Alphabetic: ['x'] }] }, { Value: [Number.MAX_VALUE] },
  { Value: ['-0.0', '1e-400', '0x10', 'Infinity'] }, { Value: [] }, { BulkDataURI: 42 }];

// A fresh copy each time: mutations must not change the list, nor make a value contain itself.
const hostile = (random: Random): unknown => structuredClone(random.pick(HOSTILE_VALUES));

function randomJson(random: Random, depth = 0): unknown {
  if (depth > 3 || random.int(3) === 0) return hostile(random);
  if (random.int(2) === 0) return Array.from({ length: random.int(4) }, () => randomJson(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = random.int(4); i > 0; --i) object[random.pick(['Value', 'vr', 'Alphabetic', 'BulkDataURI', '00280010'])] = randomJson(random, depth + 1);
  return object;
}

// Structure-aware mutation: replaces, removes or adds attributes, values and items of a parsed answer.
function mutateDicomJson(random: Random, answer: unknown): unknown {
  const copy = structuredClone(answer) as unknown[];
  const tags = Object.values(Tag);
  const rounds = 1 + random.int(6);
  for (let r = 0; r < rounds; ++r) {
    if (!Array.isArray(copy) || copy.length === 0 || random.int(20) === 0) {
      copy.push(randomJson(random));
      continue;
    }
    const i = random.int(copy.length);
    const item = copy[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item) || random.int(30) === 0) {
      copy[i] = random.int(2) ? randomJson(random) : {};
      continue;
    }
    const record = item as Record<string, unknown>;
    const tag = random.int(4) === 0 ? random.pick(Object.keys(record).concat(['__proto__'])) : random.pick(tags);
    const element = record[tag];
    switch (random.int(5)) {
      case 0: delete record[tag]; break;
      case 1: record[tag] = randomJson(random); break;
      case 2: record[tag] = { vr: 'DS', Value: [hostile(random)] }; break;
      case 3: // one value of an existing element
        if (element && typeof element === 'object' && Array.isArray((element as { Value?: unknown }).Value)) {
          const list = (element as { Value: unknown[] }).Value;
          list[random.int(list.length + 1)] = hostile(random);
        }
        break;
      default: copy.splice(random.int(copy.length + 1), 0, structuredClone(item));
    }
  }
  return copy;
}

const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

// The contract of the DICOM JSON reader on one answer, through the client as the viewer gets it.
async function checkDicomJsonAnswer(text: Uint8Array): Promise<void> {
  const client = new DicomWebClient('http://pacs/dicom-web', (async () => new Response(text as BodyInit)) as typeof fetch);
  let instances: DicomJson[];
  try {
    instances = await client.seriesMetadata('1.2', '3.4');
  } catch (error) {
    if (error instanceof DicomWebError && error.kind === 'bad-answer') return;
    throw error;
  }
  assert(Array.isArray(instances), 'the answer is an array');
  for (const item of instances) {
    for (const tag of Object.values(Tag)) {
      assert(Array.isArray(values(item, tag)), `values(${tag}) is an array`);
      const text = str(item, tag);
      assert(typeof text === 'string' && typeof formatDate(text) === 'string', `str(${tag}) is a string`);
      const n = num(item, tag);
      assert(n === undefined || isFiniteNumber(n), `num(${tag}) is finite or undefined`);
      assert(nums(item, tag).every((v) => typeof v === 'number'), `nums(${tag}) are numbers`);
    }
    const g = geometryOf(item);
    if (g !== null) {
      assert([...g.position, ...g.rowDirection, ...g.columnDirection, ...g.pixelSpacing].every(isFiniteNumber), 'geometry is finite');
    }
    try {
      const f = pixelFormatOf(item);
      assert([f.rows, f.columns, f.bitsStored, f.slope, f.intercept].every(isFiniteNumber), 'pixel format is finite');
      assert(f.rows > 0 && f.columns > 0, 'the image has pixels');
    } catch (error) {
      if (!(error instanceof UnsupportedSeriesError)) throw error;
    }
  }
  const sorted = sortInstances(instances);
  assert(sorted.length === instances.length && new Set(sorted).size === new Set(instances).size, 'sorting is a permutation');
}

describe('DICOM JSON reader under mutation', () => {
  const seeds = ['series_metadata.json', 'qido_series.json', 'qido_studies.json'].map((n) => JSON.parse(fixture(n).toString()) as unknown);

  it('keeps its contract on the regressions of fuzz/regressions/dicom_json/', async () => {
    for (const input of regressions('dicom_json')) await checkDicomJsonAnswer(input);
  });

  it('keeps its contract on mutated Orthanc answers (structure-aware, then byte-level)', async () => {
    const random = generator(SEED);
    const deadline = Date.now() + SECONDS * 1000;
    let iterations = 0;
    while (Date.now() < deadline) {
      const seed = random.pick(seeds);
      const text = random.int(3) === 0
        ? mutateBytes(random, new TextEncoder().encode(JSON.stringify(seed)), ['"00280010":', '"Value":[', '{"vr":"US"}'])
        : new TextEncoder().encode(JSON.stringify(mutateDicomJson(random, seed)));
      try {
        await checkDicomJsonAnswer(text);
      } catch (error) {
        throw new Error(`dicom_json: contract broken at iteration ${iterations} (seed ${SEED}): ${(error as Error).stack}\n` +
          `input (save it to fuzz/regressions/dicom_json/): ${Buffer.from(text).toString('base64')}`);
      }
      ++iterations;
    }
    console.log(`fuzz dicom_json: ${iterations} inputs in ${SECONDS} s, seed ${SEED}`);
    expect(iterations).toBeGreaterThan(0);
  }, (SECONDS + 60) * 1000);
});

// --------------------------------------------------------------------------------------------- multipart/related
const recordedFrame = JSON.parse(fixture('frame_crop64.json').toString()) as { contentType: string };
const CONTENT_TYPES = [recordedFrame.contentType, 'multipart/related; boundary=XYZ', 'multipart/related; boundary="a b"',
  'multipart/related;boundary=', 'multipart/related; type="application/dicom"', 'MULTIPART/RELATED; BOUNDARY=--',
  'application/json', '', 'multipart/related; boundary=\r\n', 'multipart/related; boundary="""'];

// An input of the multipart target: the Content-Type, a NUL byte, the body (as saved in fuzz/regressions/multipart/).
function splitMultipartInput(input: Uint8Array): { contentType: string; body: Uint8Array } {
  const nul = input.indexOf(0);
  if (nul < 0) return { contentType: '', body: input };
  return { contentType: new TextDecoder('latin1').decode(input.subarray(0, nul)), body: input.subarray(nul + 1) };
}

function checkMultipart(input: Uint8Array): void {
  const { contentType, body } = splitMultipartInput(input);
  let parts;
  try {
    parts = parseMultipartRelated(body, contentType);
  } catch (error) {
    if (error instanceof MultipartError) return;
    throw error;
  }
  for (const part of parts) {
    assert(part.body.buffer === body.buffer, 'a part is a view of the answer');
    assert(part.body.byteOffset >= body.byteOffset && part.body.byteOffset + part.body.length <= body.byteOffset + body.length,
      'a part lies inside the answer');
    for (const [name, value] of Object.entries(part.headers)) {
      assert(name === name.toLowerCase() && typeof value === 'string', 'header names are lower case, values strings');
    }
  }
}

function joinInput(contentType: string, body: Uint8Array): Uint8Array {
  const head = Uint8Array.from(contentType, (c) => c.charCodeAt(0) & 0xff);
  const out = new Uint8Array(head.length + 1 + body.length);
  out.set(head);
  out.set(body, head.length + 1);
  return out;
}

describe('multipart/related parser under mutation', () => {
  const recordedBody = new Uint8Array(fixture('frame_crop64.multipart'));

  it('keeps its contract on the regressions of fuzz/regressions/multipart/', () => {
    for (const input of regressions('multipart')) checkMultipart(input);
  });

  it('keeps its contract on mutated Orthanc answers and Content-Types', () => {
    const n = fuzzLoop('multipart', SEED, (random) => {
      const contentType = random.int(4) === 0
        ? new TextDecoder('latin1').decode(mutateBytes(random, new TextEncoder().encode(random.pick(CONTENT_TYPES))))
        : random.int(3) === 0 ? random.pick(CONTENT_TYPES) : recordedFrame.contentType;
      const boundary = /boundary=([^;\s]+)/.exec(recordedFrame.contentType)![1];
      const body = mutateBytes(random, recordedBody, [`--${boundary}`, `\r\n--${boundary}--`, `--${boundary}\r\n\r\n`]);
      const input = joinInput(contentType, body);
      return { input, check: () => checkMultipart(input) };
    });
    expect(n).toBeGreaterThan(0);
  }, (SECONDS + 60) * 1000);

  it('gives back exactly the parts a body was built from', () => {
    const n = fuzzLoop('multipart', SEED + 1, (random) => {
      const boundary = Array.from({ length: 1 + random.int(40) }, () => random.pick([...'abcXYZ0129-_.'])).join('');
      const parts = Array.from({ length: 1 + random.int(4) }, () =>
        Uint8Array.from({ length: random.int(64) }, () => random.pick([0x0d, 0x0a, 0x2d, 0x41, random.int(256)])));
      const delimiter = `--${boundary}`;
      const latin1 = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);
      // A boundary must not occur in the parts (RFC 2046); draw again in the rare case it does.
      if (parts.some((p) => latin1(p).includes(delimiter) || latin1(p).endsWith('\r\n-') || latin1(p).endsWith('\r\n--'))) {
        return { input: new Uint8Array(), check: () => {} };
      }
      const chunks: string[] = [random.int(2) ? 'preamble\r\n' : ''];
      for (const p of parts) chunks.push(`${delimiter}\r\nContent-Type: application/octet-stream\r\n\r\n${latin1(p)}\r\n`);
      chunks.push(`${delimiter}--\r\n${random.int(2) ? 'epilogue' : ''}`);
      const body = Uint8Array.from(chunks.join(''), (c) => c.charCodeAt(0));
      const contentType = `multipart/related; type="application/octet-stream"; boundary=${random.int(2) ? `"${boundary}"` : boundary}`;
      const input = joinInput(contentType, body);
      return {
        input,
        check: () => {
          const got = parseMultipartRelated(body, contentType);
          assert(got.length === parts.length && got.every((p, i) => p.body.length === parts[i].length &&
            p.body.every((b, j) => b === parts[i][j])), 'the parts come back unchanged');
        },
      };
    });
    expect(n).toBeGreaterThan(0);
  }, (SECONDS + 60) * 1000);
});
