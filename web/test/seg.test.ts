// DICOM SEG in the inference worker (the same handler as in browsers, in a Node worker thread): a label volume
// becomes a SEG (cairn_seg_write), which describes itself (cairn_seg_info) and reads back onto the series in
// another slice order (cairn_seg_read) to the same labels; errors arrive as CairnError with the C++ message.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient, type WorkerLike } from '../engine/client.js';
import { CairnError } from '../engine/errors.js';
import { repoRoot, wasmPath } from '../tools/paths.js';
import { checkBuilds, FLAVORS } from './wasm_builds.js';

function nodeWorker(): WorkerLike {
  const worker = new Worker(join(repoRoot, 'web/dist/node-worker.mjs'));
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
    addEventListener: (type: 'message' | 'error', listener: (event: never) => void) => {
      if (type === 'message') worker.on('message', (data) => listener({ data } as never));
      else worker.on('error', (error) => listener({ message: error.message } as never));
    },
    terminate: () => void worker.terminate(),
  } as WorkerLike;
}

const rows = 6;
const columns = 5;
const slices = 3;
function series(order: number[]) {
  return {
    study_instance_uid: '2.25.11', series_instance_uid: '2.25.12', frame_of_reference_uid: '2.25.13',
    patient_name: 'Seg^Worker', patient_id: 'W-1', rows, columns, pixel_spacing: [0.75, 0.75], orientation: [1, 0, 0, 0, 1, 0],
    slices: order.map((k) => ({ sop_instance_uid: `2.25.20${k}`, position: [-10, -20, 3 * k] })),
    segments: [
      { value: 1, label: 'Right lung', snomed: '3341006', meaning: 'Right lung', color: [255, 128, 0] },
      { value: 2, label: 'Left lung', snomed: '44029006', meaning: 'Left lung', color: [0, 160, 255] },
    ],
    algorithm: { name: 'Test net', version: '0.1' },
    seg_series_instance_uid: '2.25.31',
    seg_sop_instance_uid: '2.25.32',
    entropy: '0123456789abcdef'.repeat(4),
    content_date: '20260102',
    content_time: '030405',
  };
}

const clients: InferenceClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
});

describe.each(FLAVORS)('DICOM SEG in the worker, %s build', (flavor) => {
  checkBuilds();

  it('writes a SEG, describes it and reads it back in another slice order', async () => {
    const wasm = readFileSync(wasmPath(flavor));
    const client = await InferenceClient.start(nodeWorker(), { wasm: { [flavor]: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, flavor });
    clients.push(client);
    const plane = rows * columns;
    const labels = new Uint8Array(slices * plane);
    for (let i = 0; i < labels.length; ++i) labels[i] = (i * 7) % 11 === 0 ? 1 : (i * 5) % 13 === 0 ? 2 : 0;
    labels.fill(0, plane, 2 * plane); // an empty slice: no frame

    const { bytes, info } = await client.writeSeg(JSON.stringify(series([0, 1, 2])), labels);
    expect(new TextDecoder().decode(bytes.subarray(128, 132))).toBe('DICM');
    expect(info.frames).toBe(4); // both segments on slices 0 and 2
    expect(info.frames_per_segment).toEqual([2, 2]);

    const described = await client.segInfo(bytes);
    expect(described.referenced_series_instance_uid).toBe('2.25.12');
    expect(described.sop_instance_uid).toBe('2.25.32');
    expect(info.series_instance_uid).toBe('2.25.31');
    expect(described.segments.map((s) => [s.number, s.label, s.snomed, s.color])).toEqual([
      [1, 'Right lung', '3341006', [255, 128, 0]],
      [2, 'Left lung', '44029006', [0, 160, 255]],
    ]);

    const reversed = await client.readSeg(bytes, JSON.stringify(series([2, 1, 0])), labels.length);
    expect(reversed.placedFrames).toBe(4);
    for (let k = 0; k < slices; ++k) {
      expect([...reversed.labels.subarray((slices - 1 - k) * plane, (slices - k) * plane)]).toEqual([...labels.subarray(k * plane, (k + 1) * plane)]);
    }

    const refused = await client.readSeg(bytes, JSON.stringify(series([0, 1, 2])), 7).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CairnError);
    expect((refused as CairnError).message).toMatch(/the label volume has 7 bytes for 3x6x5/);
    const notRt = await client.readRtstruct(bytes, JSON.stringify(series([0, 1, 2])), labels.length).catch((e: unknown) => e);
    expect((notRt as CairnError).message).toMatch(/not an RT Structure Set/);
  });
});
