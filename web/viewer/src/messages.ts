// Any failure as one sentence a person can act on.
import { CairnError } from '../../engine/errors.js';
import { DicomWebError } from './dicomweb.js';
import { ModelLoadError } from './inference.js';
import { UnsupportedSeriesError } from './pixels.js';

export function userMessage(error: unknown): string {
  if (error instanceof DicomWebError || error instanceof UnsupportedSeriesError || error instanceof ModelLoadError) return error.message;
  if (error instanceof CairnError) {
    if (error.code === 'no-wasm-support') return error.message;
    if (error.code === 'out-of-memory') return outOfMemoryMessage(error);
    if (error.code === 'resource-limit') return `The model needs more memory than this browser allows: ${error.message}`;
    if (error.code === 'worker-failed') {
      return `The inference worker stopped: ${error.message}. The images and results so far are kept, and the next ` +
        'Apply deep learning starts a new worker: try again.';
    }
    return `The model failed: ${error.message}`;
  }
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

const mb = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;

// What was needed and what the tab could get: the memory's maximum when the need is above it, else what the
// browser gave before refusing more.
function outOfMemoryMessage(error: CairnError): string {
  const m = error.memory;
  let figures = '';
  if (m !== undefined && m.neededBytes !== undefined) {
    figures = ` (it needed about ${mb(m.neededBytes)}; the limit here is ${mb(m.neededBytes > m.maximumBytes ? m.maximumBytes : m.usedBytes)})`;
  } else if (m !== undefined) {
    figures = ` (it had ${mb(m.usedBytes)} and could get no more; the limit here is ${mb(m.maximumBytes)})`;
  }
  return `The model ran out of memory in this browser tab${figures}. The images and the results so far are kept, and ` +
    'the engine was restarted: close other tabs and try again, or use a smaller model.';
}
