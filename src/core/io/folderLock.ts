/**
 * A lock file that keeps two processes from training into the same folder at once (two `elsa study` runs of
 * one study, or `--jobs` and a second terminal). Taken with O_EXCL, it holds the owner's pid and host. A lock
 * whose process is gone (killed with SIGKILL, machine rebooted) is stale and taken over, so a crash never
 * needs a manual clean-up; a lock of a live process is a one-line error naming the file and the pid.
 * Limits: a lock from another host (a shared file system) is respected, never taken over, because its
 * process cannot be checked from here; a reused pid of an unrelated live process is treated as alive. A zombie
 * (exited, not yet reaped: a killed study's cells wait for PID 1 to reap them) is gone.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { configError } from '../errors';
import { readRegularFileSync } from './regularFile';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

const FRESH_MS = 5000;

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** A zombie has exited; only its parent has not collected it yet (an orphan waits for PID 1, which may take seconds). */
function zombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.startsWith('Z') === true;
  } catch {
    return false; // no /proc (not Linux) or gone: kill(pid, 0) decides
  }
}

function alive(pid: number): boolean {
  if (zombie(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readRegularFileSync(file, { maxBytes: 64 * 1024, what: 'a lock file', fail: (problem) => new Error(problem) }).toString('utf8')) as Partial<LockOwner>;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? { pid: o.pid as number, host: o.host, since: String(o.since ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock `file` for `what` (e.g. "cell mlp-gmp-s1"), or throws a ConfigError naming the process that
 * holds it. Returns the release function (idempotent; removes the file only while it is still ours).
 */
export function acquireFolderLock(file: string, what: string): () => void {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify(me) + '\n');
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw configError(file, `cannot create the lock of ${what}: ${code ?? (e as Error).message}`);
      const owner = readOwner(file);
      if (owner && owner.pid === me.pid && owner.host === me.host) throw configError(file, `${what} is already running in this process`);
      if (owner && (owner.host !== me.host || alive(owner.pid))) {
        const where = owner.host === me.host ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
        throw configError(file, `${what} is being trained by ${where} (since ${owner.since}); wait for it or stop it — delete this file only if that process is not elsa`);
      }
      // An unreadable lock younger than a few seconds is another process between its create and its write.
      if (!owner && Date.now() - mtimeMs(file) < FRESH_MS) throw configError(file, `${what} is being started by another process`);
      // Stale (its process is gone) or unreadable (a crash between create and write): take it over, once.
      if (attempt > 0) throw configError(file, `cannot take over the stale lock of ${what}`);
      rmSync(file, { force: true });
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const owner = readOwner(file);
    if (owner && owner.pid === me.pid && owner.host === me.host) rmSync(file, { force: true });
  };
}
