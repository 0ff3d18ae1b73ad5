// Retrying a request while the PACS is briefly away (restarted, behind a proxy that answers 502-504): waits that
// double up to a ceiling, abortable, reported to the caller before each wait; any other failure, or one that lasts
// longer than the policy allows, is thrown as it came.
import { DicomWebError } from './dicomweb.js';

export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number; // since the first failure of this operation
}

// For the frames of a series being segmented: a restarted Orthanc answers again within seconds; three minutes
// covers a PACS host that reboots.
export const PACS_RETRY: RetryPolicy = { firstDelayMs: 500, maxDelayMs: 8_000, giveUpAfterMs: 180_000 };

export interface RetryNotice {
  attempt: number; // failures so far, 1 for the first
  delayMs: number; // the wait before the next try
  failingForMs: number;
  error: unknown;
}

// The PACS cannot be reached, or a gateway in front of it says it is down or busy: worth trying again.
export function isTransientPacsError(error: unknown): boolean {
  return error instanceof DicomWebError && (error.kind === 'unreachable' || [502, 503, 504].includes(error.status));
}

export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempt - 1));
}

export interface RetryOptions {
  policy: RetryPolicy;
  signal?: AbortSignal;
  isTransient?: (error: unknown) => boolean;
  onRetry?: (notice: RetryNotice) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

// Runs `operation(attempt)` (attempt 0 first) until it resolves. A transient failure waits and tries again; on
// abort the wait ends with the signal's reason.
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const transient = options.isTransient ?? isTransientPacsError;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? (() => performance.now());
  let firstFailure: number | null = null;
  for (let attempt = 0; ; ++attempt) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted || !transient(error)) throw error;
      firstFailure ??= now();
      const failingForMs = now() - firstFailure;
      const delayMs = retryDelayMs(attempt + 1, policy);
      if (failingForMs + delayMs > policy.giveUpAfterMs) throw error;
      options.onRetry?.({ attempt: attempt + 1, delayMs, failingForMs, error });
      await sleep(delayMs, signal);
    }
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const reason = () => signal?.reason ?? new DOMException('Cancelled.', 'AbortError');
    if (signal?.aborted) {
      reject(reason());
      return;
    }
    const done = () => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(reason());
    };
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
