// Cairn in the browser: the engine API, the inference worker's client and protocol, and the model cache.
export { createEngine, CairnEngine, CairnModel, CairnSegmenter, elementCount, parseSegmentationSpec } from './engine.js';
export type {
  EngineOptions,
  PreparedModel,
  RunOptions,
  RtStructInfo,
  SegInfo,
  SegSegmentInfo,
  SegWriteInfo,
  SegmentationLabel,
  SegmentationSpec,
  SegmentOptions,
  SliceSegmentation,
  Tensor,
  TensorInfo,
} from './engine.js';
export { CairnError } from './errors.js';
export type { CairnErrorCode, MemoryFailure } from './errors.js';
export { chooseFlavor, detectWasmFeatures } from './features.js';
export type { WasmFeatures, WasmFlavor } from './features.js';
export type { WasmSource } from './module.js';
export { browserPoolWorker } from './thread_pool.js';
export type { PoolWorkerLike, PoolWorkerSpawner, PoolWorkerStart } from './thread_pool.js';
export { InferenceClient } from './client.js';
export type { ClientRunOptions, ClientSegmentOptions, RemoteModel, RemoteSegmenter, WorkerLike } from './client.js';
export type { WireTensor, WorkerRequest, WorkerResponse } from './protocol.js';
export { fetchVerifiedModel, sha256Hex } from './model_cache.js';
export type { CatalogEntry } from './model_cache.js';
