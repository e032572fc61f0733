/**
 * The cell lock (src/core/io/folderLock.ts): one owner at a time; a live owner is a one-line error naming the
 * file and the pid; a dead owner's lock (SIGKILL, reboot, a zombie not yet reaped) is taken over; another host's lock is respected.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireFolderLock } from '../../../src/core/io/folderLock';
import { tempDir } from '../../helpers/synthetic';

/** The pid of a process that has exited (and, right after, is not reused). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('folder lock', () => {
  const dir = tempDir('elsa-lock-');
  const file = path.join(dir, 'cell.lock');

  it('is taken, refused to a second taker while held, and released', () => {
    const release = acquireFolderLock(file, 'cell a');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    assert.throws(() => acquireFolderLock(file, 'cell a'), /ConfigError: .*cell\.lock: cell a is already running in this process/);
    release();
    assert.equal(existsSync(file), false);
    release(); // idempotent
    acquireFolderLock(file, 'cell a')();
  });

  it('refuses a lock held by another live process, naming the file and the pid', () => {
    // The test runner's parent is alive for the whole test.
    writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    assert.throws(
      () => acquireFolderLock(file, 'cell b'),
      (e: Error) => new RegExp(`cell\\.lock: cell b is being trained by process ${process.ppid} \\(since 2026-01-01T00:00:00Z\\); wait for it or stop it`).test(e.message),
    );
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.ppid, 'the live owner keeps its lock');
  });

  it('takes over the lock of a process that is gone, and leaves a lock it no longer owns alone', () => {
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), since: 'x' }));
    const release = acquireFolderLock(file, 'cell c');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    // Someone replaced it (deleted by hand, taken over): our release must not delete theirs.
    writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), since: 'y' }));
    release();
    assert.equal(existsSync(file), true);
  });

  it('takes over the lock of a zombie: a process that has exited but is not reaped yet', { skip: process.platform !== 'linux' && 'zombies are read from /proc' }, async () => {
    // `sh` starts a 0.3 s sleep in the background and becomes `sleep 5`, which never reaps it: a zombie from
    // 0.3 s to 5 s. (A child that ends at once, as `true` did here before, can be reaped by sh before its exec.)
    const sh = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      // the process state letter; 'gone' once the process has no /proc entry (read, not checked first: no race)
      const state = () => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.[0];
        } catch {
          return 'gone';
        }
      };
      for (const deadline = Date.now() + 5000; state() !== 'Z' && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      assert.equal(state(), 'Z', `process ${pid} is a zombie`);
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) alone would call the zombie alive');
      writeFileSync(file, JSON.stringify({ pid, host: hostname(), since: 'w' }));
      const release = acquireFolderLock(file, 'cell z');
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      release();
    } finally {
      sh.kill('SIGKILL');
    }
  });

  it('respects a lock from another host, and an unreadable lock only while it is fresh', () => {
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', since: 'z' }));
    assert.throws(() => acquireFolderLock(file, 'cell d'), /being trained by process \d+ on host elsewhere\.example/);
    writeFileSync(file, '');
    assert.throws(() => acquireFolderLock(file, 'cell d'), /cell d is being started by another process/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    acquireFolderLock(file, 'cell d')();
    assert.equal(existsSync(file), false);
  });
});
