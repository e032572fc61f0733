/**
 * The fuzz loop shared by test/fuzz/fuzz.test.ts and scripts/fuzz.mjs: mutants of the fixtures are written
 * to a scratch folder and run through every operation in a worker thread with a memory limit; a case that
 * does not answer within the time limit is a hang (the worker is terminated, which also stops a synchronous
 * endless loop), a worker that dies is a crash. Failing inputs are kept for replay.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ModelFolder, mutateModelFolder, mutateSafetensors, readFolder, rng } from './mutate';
import type { OpResult } from './operations';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Per-case limit; beyond it the case counts as a hang. */
  timeoutMs: number;
  workDir: string;
  memoryMb?: number;
  onCase?: (index: number, summary: FuzzSummary) => void;
}

export interface FuzzSummary {
  cases: number;
  /** Cases in which every operation succeeded or ended in a typed one-line error. */
  clean: number;
  /** Operation outcomes over all cases. */
  ok: number;
  typed: number;
  untyped: number;
  crashes: number;
  hangs: number;
  slowestCaseMs: number;
  /** Outcomes per operation (inspect, header, levels, extract, eval-model, store, train-load). */
  byOp: Record<string, { ok: number; typed: number; untyped: number }>;
  /** Up to 20 examples per kind of failure: case, kind, op and message. */
  failures: { index: number; kind: 'untyped' | 'crash' | 'hang'; op?: string; line?: string; saved: string }[];
}

interface Pending { resolve: (r: { results?: OpResult[]; crash?: string }) => void }

class WorkerBox {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private pending: Pending | undefined;
  constructor(private readonly memoryMb: number) {}

  private start(): Promise<void> {
    // The worker loads the TypeScript sources through tsx's require hook (ESM loader hooks do not reach a
    // worker's entry point on Node 20).
    const entry = path.join(import.meta.dirname, 'worker.ts');
    const w = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits: { maxOldGenerationSizeMb: this.memoryMb } });
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    w.on('message', (m: { results?: OpResult[] }) => { if (m.results) { const p = this.pending; this.pending = undefined; p?.resolve({ results: m.results }); } });
    w.on('error', (e) => { const p = this.pending; this.pending = undefined; p?.resolve({ crash: `${e.name}: ${e.message}`.slice(0, 300) }); });
    w.on('exit', (code) => { if (this.worker === w) this.worker = undefined; const p = this.pending; this.pending = undefined; p?.resolve({ crash: `worker exited with code ${code}` }); });
    return this.ready;
  }

  async run(kind: 'safetensors' | 'tfjs', file: string, timeoutMs: number): Promise<{ results?: OpResult[]; crash?: string; hang?: boolean; ms: number }> {
    if (!this.worker) await this.start();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<{ results?: OpResult[]; crash?: string }>((resolve) => { this.pending = { resolve }; });
    const timeout = new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), timeoutMs); });
    this.worker!.postMessage({ id: 0, kind, file });
    const r = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    if (r === 'hang') {
      this.pending = undefined;
      await this.stop();
      return { hang: true, ms: Date.now() - started };
    }
    if (r.crash) await this.stop();
    return { ...r, ms: Date.now() - started };
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

function writeFolder(dir: string, folder: ModelFolder): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, b] of Object.entries(folder)) writeFileSync(path.join(dir, f), b);
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const checkpoint = new Uint8Array(readFileSync(path.join(FIXTURES, 'cnn.elsa.safetensors')));
  const folders = [readFolder(path.join(FIXTURES, 'tfjs')), readFolder(path.join(FIXTURES, 'tfjs-float'))];
  mkdirSync(o.workDir, { recursive: true });
  const s: FuzzSummary = { cases: 0, clean: 0, ok: 0, typed: 0, untyped: 0, crashes: 0, hangs: 0, slowestCaseMs: 0, byOp: {}, failures: [] };
  const box = new WorkerBox(o.memoryMb ?? 1024);
  try {
    for (let i = 0; i < o.cases; i++) {
      const r = rng(o.seed * 1_000_003 + i);
      const kind = i % 3 === 2 ? 'tfjs' : 'safetensors';
      const caseDir = path.join(o.workDir, 'case');
      let file: string;
      if (kind === 'tfjs') {
        writeFolder(caseDir, mutateModelFolder(r, folders[Math.floor(i / 3) % 2]));
        file = path.join(caseDir, 'model.json');
      } else {
        rmSync(caseDir, { recursive: true, force: true });
        mkdirSync(caseDir, { recursive: true });
        file = path.join(caseDir, 'm.elsa.safetensors');
        writeFileSync(file, mutateSafetensors(r, checkpoint));
      }
      const res = await box.run(kind, file, o.timeoutMs);
      s.cases++;
      s.slowestCaseMs = Math.max(s.slowestCaseMs, res.ms);
      const keep = (kind2: 'untyped' | 'crash' | 'hang', op?: string, line?: string) => {
        const saved = path.join(o.workDir, `${kind2}-${i}`);
        if (s.failures.filter((f) => f.kind === kind2).length < 20) {
          rmSync(saved, { recursive: true, force: true });
          mkdirSync(saved, { recursive: true });
          if (kind === 'tfjs') writeFolder(saved, readFolder(caseDir));
          else copyFileSync(file, path.join(saved, path.basename(file)));
          s.failures.push({ index: i, kind: kind2, op, line, saved });
        }
      };
      if (res.hang) { s.hangs++; keep('hang'); } else if (res.crash) { s.crashes++; keep('crash', undefined, res.crash); } else {
        let clean = true;
        for (const op of res.results!) {
          s[op.outcome]++;
          (s.byOp[op.op] ??= { ok: 0, typed: 0, untyped: 0 })[op.outcome]++;
          if (op.outcome === 'untyped') { clean = false; keep('untyped', op.op, op.line); }
        }
        if (clean) s.clean++;
      }
      o.onCase?.(i, s);
    }
  } finally {
    await box.stop();
  }
  return s;
}
