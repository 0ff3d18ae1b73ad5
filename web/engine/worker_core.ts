// What the inference worker does with each request, apart from how messages arrive (worker.ts in browsers,
// tools/node_worker.ts in Node). Requests are handled one at a time, in order.
import { CairnError, type CairnErrorCode, type MemoryFailure } from './errors.js';
import { createEngine, type CairnEngine, type CairnModel, type CairnSegmenter, type Tensor } from './engine.js';
import type { Post, WireTensor, WorkerRequest } from './protocol.js';
import { buffersOf } from './protocol.js';

export function createInferenceHandler(post: Post): (request: WorkerRequest) => void {
  let engine: CairnEngine | null = null;
  const models = new Map<number, CairnModel>();
  const segmenters = new Map<number, { segmenter: CairnSegmenter; modelId: number }>();
  const cancelledRuns = new Set<number>();
  let nextModelId = 1;
  let nextSegmenterId = 1;
  let queue: Promise<void> = Promise.resolve();

  // After a fatal failure every later request fails the same way: the client terminates this worker meanwhile.
  let broken: { code: CairnErrorCode | 'internal'; message: string; memory?: MemoryFailure } | null = null;
  const fail = (id: number, thrown: unknown) => {
    const error = engine?.explainFailure(thrown) ?? thrown;
    if (broken !== null) post({ type: 'error', id, ...broken, fatal: true }, []);
    else if (error instanceof CairnError) {
      // Out of memory: the memory grown to its limit stays with this worker; a new one starts with little.
      const fatal = error.code === 'out-of-memory';
      if (fatal) broken = { code: error.code, message: error.message, memory: error.memory };
      post({ type: 'error', id, code: error.code, message: error.message, fatal, memory: error.memory }, []);
    } else if (error instanceof DOMException && error.name === 'AbortError') {
      post({ type: 'error', id, code: 'cancelled', message: 'the run was cancelled' }, []);
    } else if (error instanceof RangeError && /memory|allocat/i.test(error.message) && engine !== null) {
      // JavaScript could not allocate (an ArrayBuffer: "Array buffer allocation failed"; the memory's growth:
      // "WebAssembly.Memory.grow(): Maximum memory size exceeded"): out of memory as well.
      broken = { code: 'out-of-memory', message: error.message, memory: { usedBytes: engine.memoryBytes, maximumBytes: engine.memoryMaximumBytes } };
      post({ type: 'error', id, ...broken, fatal: true }, []);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      // A trap leaves the engine in an unknown state (its allocator may be half-way through a call).
      const fatal = error instanceof WebAssembly.RuntimeError;
      if (fatal) broken = { code: 'internal', message: `the engine stopped (RuntimeError: ${message})` };
      post({ type: 'error', id, code: 'internal', message: fatal ? broken!.message : message, fatal }, []);
    }
  };
  const needModel = (modelId: number) => {
    const model = models.get(modelId);
    if (model === undefined) throw new CairnError('invalid-argument', `no model ${modelId} in this worker`);
    return model;
  };
  const needSegmenter = (segmenterId: number) => {
    const entry = segmenters.get(segmenterId);
    if (entry === undefined) throw new CairnError('invalid-argument', `no segmenter ${segmenterId} in this worker`);
    return entry.segmenter;
  };
  const needEngine = () => {
    if (engine === null) throw new CairnError('invalid-argument', 'the worker has no engine yet (send init first)');
    return engine;
  };

  async function handle(request: WorkerRequest): Promise<void> {
    switch (request.type) {
      case 'init': {
        engine?.dispose();
        models.clear();
        segmenters.clear();
        engine = await createEngine({
          wasm: request.wasm,
          threadedWasm: request.threadedWasm,
          threads: request.threads,
          flavor: request.flavor,
          memoryLimitBytes: request.memoryLimitBytes,
          memoryMaximumBytes: request.memoryMaximumBytes,
        });
        post({ type: 'ready', id: request.id, flavor: engine.flavor, threads: engine.threads }, []);
        return;
      }
      case 'load': {
        const model = needEngine().loadModel(new Uint8Array(request.model));
        const modelId = nextModelId++;
        models.set(modelId, model);
        post({ type: 'loaded', id: request.id, modelId, inputs: model.inputs, outputs: model.outputs }, []);
        return;
      }
      case 'run': {
        const model = needModel(request.modelId);
        const flag = request.cancelFlag ? new Int32Array(request.cancelFlag) : null;
        const isCancelled = () => cancelledRuns.delete(request.id) || (flag !== null && Atomics.load(flag, 0) !== 0);
        if (isCancelled()) throw new CairnError('cancelled', 'the run was cancelled');
        const inputs: Record<string, Tensor> = {};
        for (const t of request.inputs) inputs[t.name] = { shape: t.shape, data: new Float32Array(t.data) };
        const outputs = model.runSync(inputs, {
          onProgress: (fraction) => post({ type: 'progress', id: request.id, fraction }, []),
          shouldCancel: flag === null ? undefined : () => Atomics.load(flag, 0) !== 0,
        });
        const wire: WireTensor[] = Object.entries(outputs).map(([name, t]) => ({
          name,
          shape: t.shape,
          data: t.data.buffer as ArrayBuffer,
        }));
        post({ type: 'result', id: request.id, outputs: wire, memoryBytes: needEngine().memoryBytes }, buffersOf(wire));
        return;
      }
      case 'cancel':
        // Reaches the worker only between requests: a queued run then never starts. A running one is cancelled
        // through its shared flag.
        cancelledRuns.add(request.id);
        return;
      case 'metadata':
        post({ type: 'metadata', id: request.id, metadata: needModel(request.modelId).metadata() }, []);
        return;
      case 'segmenter': {
        const segmenter = needModel(request.modelId).createSegmenter();
        const segmenterId = nextSegmenterId++;
        segmenters.set(segmenterId, { segmenter, modelId: request.modelId });
        post({ type: 'segmenter', id: request.id, segmenterId, spec: segmenter.spec }, []);
        return;
      }
      case 'segment': {
        const segmenter = needSegmenter(request.segmenterId);
        const flag = request.cancelFlag ? new Int32Array(request.cancelFlag) : null;
        if (cancelledRuns.delete(request.id) || (flag !== null && Atomics.load(flag, 0) !== 0)) {
          throw new CairnError('cancelled', 'the run was cancelled');
        }
        const result = segmenter.segmentSlice(new Float32Array(request.hu), request.rows, request.cols, {
          probability: request.probability,
          onProgress: (fraction) => post({ type: 'progress', id: request.id, fraction }, []),
          shouldCancel: flag === null ? undefined : () => Atomics.load(flag, 0) !== 0,
        });
        const mask = result.mask.buffer as ArrayBuffer;
        const probability = result.probability?.buffer as ArrayBuffer | undefined;
        post({ type: 'mask', id: request.id, mask, probability, memoryBytes: needEngine().memoryBytes }, probability ? [mask, probability] : [mask]);
        return;
      }
      case 'postprocess': {
        const segmenter = needSegmenter(request.segmenterId);
        const input = new Uint8Array(request.mask);
        const labels = request.sliceOnly
          ? segmenter.postprocessSlice(input, request.rows, request.cols, request.rowDirection)
          : segmenter.postprocessVolume(input, request.slices, request.rows, request.cols, request.rowDirection);
        const mask = labels.buffer as ArrayBuffer;
        post({ type: 'mask', id: request.id, mask, memoryBytes: needEngine().memoryBytes }, [mask]);
        return;
      }
      case 'seg-write': {
        const { bytes, info } = needEngine().writeSeg(request.description, new Uint8Array(request.labels));
        const buffer = bytes.buffer as ArrayBuffer;
        post({ type: 'seg', id: request.id, bytes: buffer, info }, [buffer]);
        return;
      }
      case 'seg-info':
        post({ type: 'seg-info', id: request.id, info: needEngine().segInfo(new Uint8Array(request.seg)) }, []);
        return;
      case 'seg-read': {
        const { labels, placedFrames } = needEngine().readSeg(new Uint8Array(request.seg), request.description, request.voxels);
        const buffer = labels.buffer as ArrayBuffer;
        post({ type: 'seg-labels', id: request.id, labels: buffer, placedFrames }, [buffer]);
        return;
      }
      case 'rtstruct-read': {
        const { labels, info } = needEngine().readRtstruct(new Uint8Array(request.rtstruct), request.description, request.voxels);
        const buffer = labels.buffer as ArrayBuffer;
        post({ type: 'rtstruct-labels', id: request.id, labels: buffer, info }, [buffer]);
        return;
      }
      case 'unload': {
        for (const [id, entry] of segmenters) if (entry.modelId === request.modelId) segmenters.delete(id);
        models.get(request.modelId)?.dispose();
        models.delete(request.modelId);
        post({ type: 'unloaded', id: request.id }, []);
        return;
      }
    }
  }

  return (request) => {
    if (request.type === 'cancel') {
      cancelledRuns.add(request.id);
      return;
    }
    queue = queue.then(() => handle(request)).catch((error: unknown) => fail(request.id, error));
  };
}
