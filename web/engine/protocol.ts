// The inference worker's messages. Tensor and model bytes travel as transferred ArrayBuffers (no copies); a run may
// carry a SharedArrayBuffer whose first Int32 the page sets to cancel it while the worker is busy computing.
import type { CairnErrorCode, MemoryFailure } from './errors.js';
import type { RtStructInfo, SegInfo, SegmentationSpec, SegWriteInfo, TensorInfo } from './engine.js';
import type { WasmFlavor } from './features.js';
import type { WasmSource } from './module.js';

export interface WireTensor {
  name: string;
  shape: number[];
  data: ArrayBuffer; // float32, C order
}

export type WorkerRequest =
  | {
      type: 'init';
      id: number;
      wasm: Partial<Record<WasmFlavor, WasmSource>>;
      threadedWasm?: Partial<Record<WasmFlavor, WasmSource>>; // with threads > 1: the engine's own pool workers
      threads?: number;
      flavor?: WasmFlavor;
      memoryLimitBytes?: number;
      memoryMaximumBytes?: number; // EngineOptions.memoryMaximumBytes
    }
  | { type: 'load'; id: number; model: ArrayBuffer }
  | { type: 'run'; id: number; modelId: number; inputs: WireTensor[]; cancelFlag?: SharedArrayBuffer }
  | { type: 'cancel'; id: number } // the id of a run or segment request
  | { type: 'unload'; id: number; modelId: number }
  | { type: 'metadata'; id: number; modelId: number }
  // Segmentation as the model's metadata describes it, in C++ (cairn_segmenter_*, cairn_segment_slice, ...).
  | { type: 'segmenter'; id: number; modelId: number }
  | {
      type: 'segment';
      id: number;
      segmenterId: number;
      hu: ArrayBuffer; // float32 rows*cols, Hounsfield units
      rows: number;
      cols: number;
      probability?: boolean;
      cancelFlag?: SharedArrayBuffer;
    }
  | {
      type: 'postprocess';
      id: number;
      segmenterId: number;
      mask: ArrayBuffer; // uint8 slices*rows*cols
      slices: number;
      rows: number;
      cols: number;
      rowDirection?: number[];
      sliceOnly?: boolean; // one slice on its own (2-D components): cairn_postprocess_slice
    }
  // DICOM SEG (seg_c_api.h). description: the series (and, for writing, the segments and algorithm) as JSON.
  | { type: 'seg-write'; id: number; description: string; labels: ArrayBuffer }
  | { type: 'seg-info'; id: number; seg: ArrayBuffer }
  | { type: 'seg-read'; id: number; seg: ArrayBuffer; description: string; voxels: number }
  | { type: 'rtstruct-read'; id: number; rtstruct: ArrayBuffer; description: string; voxels: number };

export type WorkerResponse =
  | { type: 'ready'; id: number; flavor: WasmFlavor; threads: number }
  | { type: 'loaded'; id: number; modelId: number; inputs: TensorInfo[]; outputs: TensorInfo[] }
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'result'; id: number; outputs: WireTensor[]; memoryBytes: number }
  | { type: 'unloaded'; id: number }
  | { type: 'metadata'; id: number; metadata: Record<string, string> }
  | { type: 'segmenter'; id: number; segmenterId: number; spec: SegmentationSpec }
  | { type: 'mask'; id: number; mask: ArrayBuffer; probability?: ArrayBuffer; memoryBytes: number }
  | { type: 'seg'; id: number; bytes: ArrayBuffer; info: SegWriteInfo }
  | { type: 'seg-info'; id: number; info: SegInfo }
  | { type: 'seg-labels'; id: number; labels: ArrayBuffer; placedFrames: number }
  | { type: 'rtstruct-labels'; id: number; labels: ArrayBuffer; info: RtStructInfo }
  // fatal: the worker cannot go on (its engine trapped, or its memory grew to what it could get and never shrinks):
  // the client terminates it. memory: for 'out-of-memory'.
  | { type: 'error'; id: number; code: CairnErrorCode | 'internal'; message: string; fatal?: boolean; memory?: MemoryFailure };

export type Post = (message: WorkerResponse, transfer: Transferable[]) => void;

// The tensors' buffers, to transfer with the message that carries them.
export function buffersOf(tensors: readonly WireTensor[]): ArrayBuffer[] {
  return tensors.map((t) => t.data);
}

// A float32 array as a buffer of its own: its buffer when it spans all of it (then transferred), a copy otherwise.
export function ownBuffer(data: Float32Array): ArrayBuffer {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer;
}
