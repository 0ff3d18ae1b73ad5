// Engine errors as JavaScript errors: the status code of cairn.h as a name, and the engine's own message.
export type CairnErrorCode =
  | 'invalid-model'
  | 'unsupported'
  | 'invalid-argument'
  | 'resource-limit'
  | 'out-of-memory'
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

// The engine's WebAssembly memory when it could not grow ('out-of-memory'): its size then, its maximum (the 4 GiB
// wasm32 addresses, or a smaller cap), and what was needed when known (its size plus the allocation that failed).
export interface MemoryFailure {
  usedBytes: number;
  maximumBytes: number;
  neededBytes?: number;
}

export class CairnError extends Error {
  readonly code: CairnErrorCode;
  readonly memory?: MemoryFailure;
  constructor(code: CairnErrorCode, message: string, memory?: MemoryFailure) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
    if (memory !== undefined) this.memory = memory;
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
