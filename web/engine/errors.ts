// Engine errors as JavaScript errors: the status code of cairn.h as a name, and the engine's own message.
export type CairnErrorCode =
  | 'invalid-model'
  | 'unsupported'
  | 'invalid-argument'
  | 'resource-limit'
  | 'cancelled'
  | 'io-error'
  | 'no-wasm-support'
  | 'worker-failed'
  | 'integrity';

const STATUS_CODES: Record<number, CairnErrorCode> = {
  1: 'invalid-model',
  2: 'unsupported',
  3: 'invalid-argument',
  4: 'resource-limit',
  5: 'cancelled',
  6: 'io-error',
};

export class CairnError extends Error {
  readonly code: CairnErrorCode;
  constructor(code: CairnErrorCode, message: string) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
  }
}

export function errorFromStatus(status: number, message: string): CairnError {
  return new CairnError(STATUS_CODES[status] ?? 'invalid-argument', message || `engine status ${status}`);
}

// What an AbortSignal rejects with: its reason, or an AbortError like fetch's.
export function abortReason(signal: AbortSignal | undefined): unknown {
  if (signal?.reason !== undefined) return signal.reason;
  return new DOMException('The run was cancelled.', 'AbortError');
}
