/**
 * `elsa study --jobs N`: the cells of a study trained N at a time, each in its own `elsa study --cells <name>`
 * child process (training is single-threaded JS, so parallel cells need processes). Each child is an ordinary
 * study run of one cell: it takes the cell's lock, resumes it, and rewrites the study summary from every cell
 * on disk when it finishes; this process relays their output line by line, prefixed with the cell name, and
 * writes the summary once more at the end. A stop (Ctrl+C, SIGTERM) is passed to every child, which stops
 * after its current step as a sequential study would; a child whose parent dies (SIGKILL) stops by itself. A
 * failed cell stops new cells from starting and is reported with its error line; the running ones finish.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { StudyCell } from '../../core/studyConfig';

export interface CellJobResult {
  cell: string;
  code: number;
  /** The child's last stderr line (its one-line error) when it failed. */
  error?: string;
}

/** The command line of the child that trains one cell. */
export function cellJobArgs(cliScript: string, studyFile: string, cell: string, backend: string | undefined): string[] {
  return [cliScript, 'study', studyFile, '--cells', cell, ...(backend ? ['--backend', backend] : [])];
}

function relay(stream: NodeJS.ReadableStream | null, prefix: string, write: (line: string) => void, last?: (line: string) => void) {
  if (!stream) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    write(`${prefix}${line}`);
    last?.(line);
  });
}

/**
 * Runs `cells` at most `jobs` at a time. Resolves when every started child has exited; with `signal` aborted,
 * no new cell starts and the running ones get SIGTERM.
 */
export async function runCellJobs(
  cells: StudyCell[],
  jobs: number,
  command: (cell: StudyCell) => string[],
  signal: AbortSignal,
): Promise<CellJobResult[]> {
  const queue = [...cells];
  const running = new Map<ChildProcess, StudyCell>();
  const results: CellJobResult[] = [];
  let failed = false;
  const width = Math.max(...cells.map((c) => c.name.length));
  const stopAll = () => {
    for (const child of running.keys()) child.kill('SIGTERM');
  };
  signal.addEventListener('abort', stopAll, { once: true });
  try {
    await new Promise<void>((resolve) => {
      const next = () => {
        while (!signal.aborted && !failed && running.size < jobs && queue.length) {
          const cell = queue.shift() as StudyCell;
          const prefix = `[${cell.name.padEnd(width)}] `;
          let lastError: string | undefined;
          // Its own process group, so a Ctrl+C in the terminal reaches only this process, which passes on one
          // SIGTERM (a second signal would make the cell skip its graceful stop); the IPC channel stops the cell
          // if this process dies without passing anything on (supervisor.ts onParentGone).
          const child = spawn(process.execPath, command(cell), { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, windowsHide: true, env: process.env });
          running.set(child, cell);
          relay(child.stdout, prefix, (l) => console.log(l));
          relay(child.stderr, prefix, (l) => console.error(l), (line) => {
            if (/^[A-Za-z]+Error: /.test(line)) lastError = line;
          });
          console.log(`${prefix}started (process ${child.pid ?? '?'})`);
          const done = (code: number) => {
            if (!running.delete(child)) return;
            const result: CellJobResult = { cell: cell.name, code, ...(code !== 0 && code !== 130 && lastError ? { error: lastError } : {}) };
            results.push(result);
            if (code !== 0 && code !== 130) failed = true;
            console.log(`${prefix}${code === 0 ? 'done' : code === 130 ? 'stopped' : `failed (exit ${code})`}`);
            next();
          };
          child.once('error', (e) => {
            lastError = `Error: cannot start ${process.execPath}: ${e.message}`;
            done(1);
          });
          child.once('close', (code, sig) => {
            // A child killed by a signal we did not pass on (out of memory, a kill by hand) failed.
            if (code === null && !signal.aborted) lastError = `Error: cell ${cell.name} was killed by ${sig ?? 'a signal'}`;
            done(code ?? (signal.aborted ? 130 : 1));
          });
        }
        if (running.size === 0) resolve();
      };
      next();
    });
  } finally {
    signal.removeEventListener('abort', stopAll);
  }
  return results;
}
