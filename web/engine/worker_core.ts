// What the inference worker does with each request, apart from how messages arrive (worker.ts in browsers,
// tools/node_worker.ts in Node). Requests are handled one at a time, in order.
import { CairnError } from './errors.js';
import { createEngine, type CairnEngine, type CairnModel, type Tensor } from './engine.js';
import type { Post, WireTensor, WorkerRequest } from './protocol.js';
import { buffersOf } from './protocol.js';

export function createInferenceHandler(post: Post): (request: WorkerRequest) => void {
  let engine: CairnEngine | null = null;
  const models = new Map<number, CairnModel>();
  const cancelledRuns = new Set<number>();
  let nextModelId = 1;
  let queue: Promise<void> = Promise.resolve();

  const fail = (id: number, error: unknown) => {
    if (error instanceof CairnError) post({ type: 'error', id, code: error.code, message: error.message }, []);
    else if (error instanceof DOMException && error.name === 'AbortError') {
      post({ type: 'error', id, code: 'cancelled', message: 'the run was cancelled' }, []);
    } else post({ type: 'error', id, code: 'internal', message: error instanceof Error ? error.message : String(error) }, []);
  };
  const needEngine = () => {
    if (engine === null) throw new CairnError('invalid-argument', 'the worker has no engine yet (send init first)');
    return engine;
  };

  async function handle(request: WorkerRequest): Promise<void> {
    switch (request.type) {
      case 'init': {
        engine?.dispose();
        engine = await createEngine({
          wasm: request.wasm,
          threadedWasm: request.threadedWasm,
          threads: request.threads,
          flavor: request.flavor,
          memoryLimitBytes: request.memoryLimitBytes,
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
        const model = models.get(request.modelId);
        if (model === undefined) throw new CairnError('invalid-argument', `no model ${request.modelId} in this worker`);
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
      case 'unload': {
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
