// The few WASI (preview 1) functions the engine module imports, for hosts without a WASI runtime: writes to
// stdout/stderr go to the given sinks (lines), everything else answers ENOSYS. The module opens no files.
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_NOSYS = 52;

export interface WasiShim {
  imports: Record<string, (...args: never[]) => number | void>;
  bindMemory(memory: WebAssembly.Memory): void;
}

export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`the engine module exited with status ${code}`);
  }
}

export function createWasiShim(
  write: (fd: 1 | 2, line: string) => void = (fd, line) => (fd === 1 ? console.log(line) : console.error(line)),
): WasiShim {
  let memory: WebAssembly.Memory | null = null;
  const decoder = new TextDecoder();
  const pending: Record<1 | 2, string> = { 1: '', 2: '' };
  const view = () => new DataView(memory!.buffer);

  const fd_write = (fd: number, iovs: number, iovsLength: number, written: number): number => {
    if (fd !== 1 && fd !== 2) return ERRNO_BADF;
    const dv = view();
    let total = 0;
    let text = '';
    for (let i = 0; i < iovsLength; ++i) {
      const base = dv.getUint32(iovs + 8 * i, true);
      const length = dv.getUint32(iovs + 8 * i + 4, true);
      // Copy: decode() does not accept views of a shared buffer.
      text += decoder.decode(new Uint8Array(memory!.buffer, base, length).slice());
      total += length;
    }
    const lines = (pending[fd] + text).split('\n');
    pending[fd] = lines.pop() ?? '';
    for (const line of lines) write(fd, line);
    dv.setUint32(written, total, true);
    return ERRNO_SUCCESS;
  };

  const nosys = () => ERRNO_NOSYS;
  return {
    bindMemory(m) {
      memory = m;
    },
    imports: {
      fd_write,
      fd_close: nosys,
      fd_seek: nosys,
      fd_fdstat_get: nosys,
      environ_sizes_get: (count: number, size: number) => {
        view().setUint32(count, 0, true);
        view().setUint32(size, 0, true);
        return ERRNO_SUCCESS;
      },
      environ_get: () => ERRNO_SUCCESS,
      clock_time_get: (_id: number, _precision: bigint, time: number) => {
        view().setBigUint64(time, BigInt(Math.round(performance.now() * 1e6)), true);
        return ERRNO_SUCCESS;
      },
      proc_exit: (code: number) => {
        throw new WasiExit(code);
      },
    },
  };
}
