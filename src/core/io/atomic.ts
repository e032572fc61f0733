/**
 * Atomic file writes: the data goes to a temp file in the same folder (so the rename stays on one file
 * system), is fsynced, then renamed over the target. A reader sees the old file or the new one, never half.
 * On failure the temp file is removed and the previous file is untouched; file-system errors are reported as
 * one-line CheckpointErrors naming the target.
 */
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkpointError } from '../errors';

/** What can be written: bytes, text, or chunks (also from a generator, so big files can be streamed out). */
export type FileData = Uint8Array | string | Uint8Array[] | Iterable<Uint8Array>;
export type AsyncFileData = FileData | AsyncIterable<Uint8Array>;

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  // Matches the `*.tmp-*` ignore pattern, so a temp file left by a killed process never shows up in git.
  return path.join(dir, `.${base}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** What a write's error code means, for the one-line message. */
const WRITE_PROBLEMS: Record<string, string> = {
  ENOENT: 'its folder does not exist or cannot hold files',
  ENOTDIR: 'a parent in its path is a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a folder',
};

/**
 * File-system failures become one-line errors naming the target by the path it was given (the folder is
 * often the problem, so not the bare file name, nor the temp file); others pass through.
 */
function asWriteError(target: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e;
  return checkpointError(target, `cannot write: ${code}${WRITE_PROBLEMS[code] ? ` (${WRITE_PROBLEMS[code]})` : ''}`);
}

function chunksOf(data: FileData): Iterable<Uint8Array> {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  if (data instanceof Uint8Array) return [data];
  return data;
}

/**
 * The most one request of {@link writeFileAtomic} writes, and the most it leaves unsynced. A stopped command's
 * worker is ended by V8 only once its file-system requests in flight have returned (Node waits for them), so an
 * 80 MB write or fsync in one request made `elsa extract` outlive its 1-second stop on a loaded machine.
 */
export const WRITE_SLICE_BYTES = 4 << 20;
const SYNC_EVERY_BYTES = 16 << 20;

/** Write `data` to `target` atomically (temp file, fsync, rename), in slices of {@link WRITE_SLICE_BYTES}. */
export async function writeFileAtomic(target: string, data: AsyncFileData): Promise<void> {
  const temp = tempPathFor(target);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(temp, 'wx', 0o644);
    const chunks = typeof data === 'object' && Symbol.asyncIterator in data ? data : chunksOf(data);
    let unsynced = 0;
    for await (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, written, Math.min(WRITE_SLICE_BYTES, chunk.byteLength - written));
        written += bytesWritten;
        unsynced += bytesWritten;
        // flushed as it goes, so that the final fsync (one request) has little left to write
        if (unsynced >= SYNC_EVERY_BYTES) {
          await handle.datasync();
          unsynced = 0;
        }
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, target);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw asWriteError(target, e);
  }
  await syncDirectory(path.dirname(target));
}

/** Synchronous twin of {@link writeFileAtomic}. */
export function writeFileAtomicSync(target: string, data: FileData): void {
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    for (const chunk of chunksOf(data)) {
      let written = 0;
      while (written < chunk.byteLength) written += fs.writeSync(fd, chunk, written, chunk.byteLength - written);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    fs.rmSync(temp, { force: true });
    throw asWriteError(target, e);
  }
  try {
    const dirFd = fs.openSync(path.dirname(target), 'r');
    try { fs.fsyncSync(dirFd); } finally { fs.closeSync(dirFd); }
  } catch { /* directory fsync is best effort (not supported on every platform) */ }
}

// Makes the rename itself durable; best effort, since Windows cannot open directories.
async function syncDirectory(dir: string): Promise<void> {
  try {
    const h = await fsp.open(dir, 'r');
    try { await h.sync(); } finally { await h.close(); }
  } catch { /* best effort */ }
}
