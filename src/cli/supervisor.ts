/**
 * Why the `elsa` command runs its work in a worker thread: a Node process handles SIGTERM/SIGINT on its main
 * event loop, so a command busy in synchronous code (a TF.js model built from a hostile topology, an epoch of
 * training steps, a big CSV parse) would never see the signal. Here the main thread only supervises: it owns
 * the signal handlers and is always idle, so it reacts at once.
 *
 * On the first signal it raises a flag in shared memory (read by `signal.aborted` inside the worker, even from
 * a synchronous loop that never yields) and posts an abort message. The command stops at its next check:
 * between batches, tensors or layers, keeping the last complete checkpoint, and exits 130. If it has not
 * finished within the grace period, the worker is terminated (V8 stops it even inside an endless loop), the
 * temp files of this process in the folders the command writes to are removed, and the process exits 130.
 * A second signal skips the grace period. docs/reliability.md ("Signals") has the measured stop times.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pinBlasCore } from '../core/engine/blasCore';
import { configError } from '../core/errors';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * How long a command may take to stop by itself before it is terminated; stop within 1 s in all. Training
 * gets the longest, to finish its step and log the run's end; the other commands have nothing to save (their
 * writes are atomic and their temp files are removed), so they are ended almost at once.
 */
export const GRACE_MS = { training: 600, other: 150 } as const;
/**
 * If the worker is stuck in a blocking system call, terminate never completes: then SIGKILL ourselves. The wait
 * is what is left of a 900 ms budget after the grace period, at least 250 ms: on a loaded machine terminating a
 * busy worker alone took over 250 ms, and the process then died by SIGKILL instead of exiting 130 (seen in CI
 * beside two training jobs).
 */
const TERMINATE_WAIT_MS = 250;
const STOP_BUDGET_MS = 900;

export interface WorkerInput {
  elsaCliWorker: true;
  argv: string[];
  abortFlag: SharedArrayBuffer;
  terminal: TerminalInfo;
}

/** What the worker cannot ask its own process.stdout (there it is a pipe to the main thread). */
export interface TerminalInfo {
  isTTY: boolean;
  columns: number | undefined;
}

type WorkerMessage = { type: 'exit'; code: number } | { type: 'output-dir'; dir: string; created: boolean };

function workerInput(): WorkerInput | undefined {
  const data = workerData as Partial<WorkerInput> | undefined;
  return !isMainThread && data?.elsaCliWorker ? (data as WorkerInput) : undefined;
}

/** Whether this code runs as the supervised command (in the worker). */
export function inSupervisedWorker(): boolean {
  return workerInput() !== undefined;
}

/** The terminal the user sees: in the worker, as the main thread saw it. */
export function terminalInfo(stream: NodeJS.WriteStream = process.stdout): TerminalInfo {
  return workerInput()?.terminal ?? { isTTY: Boolean(stream.isTTY), columns: stream.columns };
}

const tracked = new Map<string, boolean>();

/**
 * Declares a folder the command writes into (before the first write), so temp files of a killed command can
 * be removed; `created` when the command creates it, so it is removed again if the command stops and leaves it
 * empty.
 */
export function trackOutputDir(dir: string, created = false): void {
  const abs = path.resolve(dir);
  if (tracked.get(abs) === true) return;
  tracked.set(abs, created);
  const input = workerInput();
  if (input) parentPort?.postMessage({ type: 'output-dir', dir: abs, created } satisfies WorkerMessage);
}

/** `mkdir -p` that records the folders it creates (outermost first) for cleanup after an interruption. */
export function makeOutputDir(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) trackOutputDir(d, true);
  trackOutputDir(dir);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw configError(d, `cannot create this folder (${code ?? String(e)})`);
    }
  }
}

/** Removes this process' temp files (`*.tmp-<pid>…`, see io/atomic.ts) and the empty folders it created. */
export function cleanUpAfterInterrupt(dirs: Map<string, boolean> = tracked): void {
  const mark = new RegExp(`\\.tmp-${process.pid}(-|$)`);
  for (const dir of dirs.keys()) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (mark.test(n)) rmSync(path.join(dir, n), { force: true });
  }
  // Innermost first, so a created parent is empty once its created child is gone.
  const created = [...dirs].filter(([, c]) => c).map(([d]) => d).sort((a, b) => b.length - a.length);
  for (const d of created) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty (it holds results) or already gone */
    }
  }
}

/**
 * An AbortSignal whose `aborted` also reads the shared flag, so a synchronous loop that checks it sees the
 * signal the moment the main thread sets it; listeners fire when the abort message arrives.
 */
function sharedAbortSignal(flag: Int32Array, controller: AbortController): AbortSignal {
  const signal = controller.signal;
  Object.defineProperty(signal, 'aborted', { get: () => controller.signal.reason !== undefined || Atomics.load(flag, 0) === 1 });
  return signal;
}

/** Worker side: run the command with an abort signal tied to the supervisor, report the exit code. */
export async function runSupervisedWorker(run: (argv: string[], signal: AbortSignal) => Promise<number>): Promise<void> {
  const input = workerInput() as WorkerInput;
  const controller = new AbortController();
  const signal = sharedAbortSignal(new Int32Array(input.abortFlag), controller);
  parentPort?.on('message', (m: { type?: string }) => {
    if (m?.type === 'abort') controller.abort(new Error('interrupted'));
  });
  parentPort?.unref();
  // For tests and diagnosis: the moment the command starts (after this thread's start-up).
  if (process.env.ELSA_TRACE === '1') process.stderr.write(`elsa: ${input.argv[0] ?? ''} started\n`);
  const code = await run(input.argv, signal);
  parentPort?.postMessage({ type: 'exit', code } satisfies WorkerMessage);
}

/** Main-thread side: start the command in a worker and stop it within a second of the first signal. */
export function supervise(script: string, argv: string[], graceMs: number): Promise<number> {
  return new Promise((resolve) => {
    const abortFlag = new SharedArrayBuffer(4);
    const flag = new Int32Array(abortFlag);
    const dirs = new Map<string, boolean>();
    const input: WorkerInput = { elsaCliWorker: true, argv, abortFlag, terminal: terminalInfo() };
    // the worker's process.env is a copy: the BLAS kernel choice must reach the real environment from here
    pinBlasCore();
    const worker = new Worker(script, { workerData: input, stdout: false, stderr: false });
    let exitCode: number | undefined;
    let interrupted = false;
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;

    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      for (const s of SIGNALS) process.off(s, onSignal);
      stopParentWatch();
      if (interrupted) cleanUpAfterInterrupt(dirs);
      resolve(interrupted ? 130 : code);
    };
    const forceStop = () => {
      const stuck = setTimeout(() => {
        // Blocked in a system call: terminate cannot complete and neither could a normal exit.
        cleanUpAfterInterrupt(dirs);
        process.kill(process.pid, 'SIGKILL');
      }, Math.max(TERMINATE_WAIT_MS, STOP_BUDGET_MS - graceMs));
      const since = Date.now();
      void worker.terminate().finally(() => {
        // For diagnosis: how long ending the worker took (Node waits for its file-system requests in flight).
        if (process.env.ELSA_TRACE === '1') process.stderr.write(`elsa: worker terminated in ${Date.now() - since} ms\n`);
        clearTimeout(stuck);
        finish(130);
      });
    };
    const onSignal = () => {
      if (interrupted) {
        forceStop();
        return;
      }
      interrupted = true;
      Atomics.store(flag, 0, 1);
      worker.postMessage({ type: 'abort' });
      process.stderr.write('\nStopping… (a second Ctrl+C stops at once)\n');
      deadline = setTimeout(forceStop, graceMs);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
    const stopParentWatch = onParentGone(onSignal);

    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'exit') {
        exitCode = m.code;
        // The command is done; a handle it left open (a timer, a backend's thread) must not keep us waiting.
        setTimeout(() => void worker.terminate(), 2000).unref();
      }
      else if (m.type === 'output-dir' && dirs.get(m.dir) !== true) dirs.set(m.dir, m.created);
    });
    worker.on('error', (e) => {
      process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
      exitCode ??= 1;
    });
    worker.on('exit', (code) => finish(exitCode ?? (code === 0 ? 0 : 1)));
  });
}

/**
 * A process started with an IPC channel (a cell of `elsa study --jobs`, src/cli/commands/studyJobs.ts) stops
 * like on SIGTERM when that channel closes: its parent is gone, even if it was killed with SIGKILL and could
 * pass nothing on. The channel does not keep the process alive. Returns the function that stops watching.
 */
export function onParentGone(stop: () => void): () => void {
  if (!process.connected) return () => {};
  process.channel?.unref();
  process.once('disconnect', stop);
  return () => process.off('disconnect', stop);
}

/** Thrown by a command that stops because it was asked to; the CLI exits 130 without an error line. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** A check between units of work (batches, tensors, levels, files). */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted();
}

/** A task terminal that closes sends SIGHUP; treat it like Ctrl+C so the run ends cleanly. */
export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
