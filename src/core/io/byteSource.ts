/**
 * Random access to the bytes of a file without reading it whole (docs/architecture.md §5: multi-gigabyte checkpoints
 * open header first, one tensor at a time). The extension implements this over `workspace.fs`.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { checkpointError } from '../errors';

export interface ByteSource {
  /** What errors name: usually the file's base name. */
  label: string;
  size(): Promise<number>;
  /** Exactly `length` bytes from `offset`; rejects when the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** A ByteSource over a local file: fs.open + positional reads, opened lazily, closed by `close()`. */
export function fileByteSource(filePath: string, label = path.basename(filePath)): ByteSource {
  let handle: Promise<fsp.FileHandle> | undefined;
  let cachedSize: number | undefined;
  const open = () => {
    if (!handle) {
      // O_NONBLOCK: opening a FIFO must not wait for a writer; then only regular files are accepted
      // (a device such as /dev/zero would be an endless read, a directory is no checkpoint).
      handle = fsp.open(filePath, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0)).then(
        async (h) => {
          const st = await h.stat();
          if (!st.isFile()) {
            await h.close();
            throw checkpointError(label, `not a regular file (${st.isDirectory() ? 'a directory' : 'a device, pipe or socket'})`);
          }
          cachedSize = st.size;
          return h;
        },
        (e: NodeJS.ErrnoException) => {
          throw checkpointError(label, `cannot open: ${e.code ?? e.message}`);
        },
      ).catch((e: unknown) => {
        handle = undefined;
        throw e;
      });
    }
    return handle;
  };
  return {
    label,
    async size() {
      await open();
      return cachedSize!;
    },
    async read(offset, length) {
      checkRange(label, offset, length);
      const h = await open();
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await h.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw checkpointError(label, `unexpected end of file at byte ${offset + done} (wanted ${length} bytes from ${offset})`);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      if (handle) {
        const h = handle;
        handle = undefined;
        await (await h.catch(() => undefined))?.close();
      }
    },
  };
}

/** A ByteSource over bytes already in memory (tests, the webview, small files). */
export function memoryByteSource(bytes: Uint8Array, label: string): ByteSource {
  return {
    label,
    size: async () => bytes.byteLength,
    async read(offset, length) {
      checkRange(label, offset, length);
      if (offset + length > bytes.byteLength) {
        throw checkpointError(label, `unexpected end of file: wanted ${length} bytes from ${offset}, file has ${bytes.byteLength}`);
      }
      return bytes.slice(offset, offset + length);
    },
  };
}

function checkRange(label: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw checkpointError(label, `invalid byte range ${offset}+${length}`);
  }
}

/** Run `fn` with a source opened from `source` (a path or a ByteSource); close it after if we opened it. */
export async function withByteSource<T>(source: ByteSource | string, fn: (s: ByteSource) => Promise<T>): Promise<T> {
  if (typeof source !== 'string') return fn(source);
  const s = fileByteSource(source);
  try {
    return await fn(s);
  } finally {
    await s.close?.();
  }
}

/**
 * Reads a small text file whole (a model.json, a sharded index), refusing it before reading when it is over
 * `maxBytes`: one line naming the file and `what` it is.
 */
export async function readBoundedText(filePath: string, label: string, what: string, maxBytes: number): Promise<{ text: string; size: number }> {
  const source = fileByteSource(filePath, label);
  try {
    const size = await source.size();
    if (size > maxBytes) throw checkpointError(label, `${what} is ${size} bytes, over the ${maxBytes}-byte limit`);
    return { text: new TextDecoder().decode(await source.read(0, size)), size };
  } finally {
    await source.close?.();
  }
}
