/**
 * Whole-file reads that cannot be made endless (docs/reliability.md). Only a regular file is read: a device
 * such as /dev/zero, a FIFO or a socket — named directly or behind a symlink — is refused before a byte is read,
 * and opening a FIFO does not wait for a writer (O_NONBLOCK). At most `maxBytes` are read: a file over the
 * limit is refused from its size, and one that grows while it is read is cut off there and refused.
 *
 * Every synchronous whole-file read of input (run configs, study files, a study's own records, IDX and CSV
 * data, image files, small safetensors) goes through here; large checkpoints are read by range
 * (io/byteSource.ts, which applies the same regular-file rule).
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';

export interface RegularFileLimits {
  /** Most bytes accepted. */
  maxBytes: number;
  /** What the file should be, for messages: "a run config (*.elsa.json)". */
  what: string;
  /** Turns a problem ("is not a regular file …") into the caller's one-line error naming the file. */
  fail: (problem: string) => Error;
}

export function readRegularFileSync(file: string, limits: RegularFileLimits): Buffer {
  const { maxBytes, what, fail } = limits;
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`);
  }
  // A failing system call after the open (EIO, …) is one line too.
  const io = <T>(call: () => T): T => {
    try {
      return call();
    } catch (e) {
      throw fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  };
  try {
    const st = io(() => fstatSync(fd));
    if (st.isDirectory()) throw fail(`is a folder, not ${what}`);
    if (!st.isFile()) throw fail(`is not a regular file (a device, pipe or socket), not ${what}`);
    if (st.size > maxBytes) throw fail(`is ${st.size} bytes; ${what} is at most ${maxBytes} bytes`);
    // One byte more than the size, to see a file that grew; more room only while it stays under the limit.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw fail(`grew past ${maxBytes} bytes while being read; ${what} is at most that`);
        const bigger = Buffer.allocUnsafe(Math.min(2 * buf.length, maxBytes + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = io(() => readSync(fd, buf, n, buf.length - n, null));
      if (got === 0) return buf.subarray(0, n);
      n += got;
    }
  } finally {
    closeSync(fd);
  }
}
