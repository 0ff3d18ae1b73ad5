// Any failure as one sentence a person can act on.
import { CairnError } from '../../engine/errors.js';
import { DicomWebError } from './dicomweb.js';
import { ModelLoadError } from './inference.js';
import { UnsupportedSeriesError } from './pixels.js';

export function userMessage(error: unknown): string {
  if (error instanceof DicomWebError || error instanceof UnsupportedSeriesError || error instanceof ModelLoadError) return error.message;
  if (error instanceof CairnError) {
    if (error.code === 'no-wasm-support') return error.message;
    if (error.code === 'resource-limit') return `The model needs more memory than this browser allows: ${error.message}`;
    if (error.code === 'worker-failed') return `The inference worker stopped: ${error.message}. Try again.`;
    return `The model failed: ${error.message}`;
  }
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
