/**
 * Live training curves from events.jsonl, built incrementally: `append` costs O(new events), so a long run
 * that streams `eventsAppended` does not recompute its history. x is the global epoch count across phases
 * (epoch n ends at x = n); step events fall between, at their fraction of the epoch. A log can hold several
 * runs one after another (the baselines folder: one independent run per level, then dense): each later run is
 * marked with its name and its curves start after a gap instead of joining the previous run's.
 */
import type { EventChunk, TrainingEvent } from '../src/protocol/events';
import { pct, phaseLabel } from './format';
import type { XY } from './series';
import { levelCountOf } from '../src/protocol/levels';

export interface PhaseMark {
  /** Boundary position on the x axis (between the last epoch of the old phase and the first of the new). */
  x: number;
  /** -1 for a mark that only starts a run. */
  phase: number;
  label: string;
  run?: string;
}

export interface TrainingSeries {
  loss: XY[];
  accuracy: XY[];
  evalAccuracy: XY[];
  evalLoss: XY[];
  /** Per-step training loss; long, so the chart decimates it. */
  stepLoss: XY[];
  phases: PhaseMark[];
  eventCount: number;
  epochCount: number;
  status: 'waiting' | 'running' | 'complete' | 'failed' | 'cancelled';
  /** One line about the newest event, for the caption. */
  latest: string;
  backend?: string;
}

export class TrainingSeriesBuilder {
  private readonly s: TrainingSeries = {
    loss: [],
    accuracy: [],
    evalAccuracy: [],
    evalLoss: [],
    stepLoss: [],
    phases: [],
    eventCount: 0,
    epochCount: 0,
    status: 'waiting',
    latest: 'No training events yet.',
  };
  /** K+1 of the current run (0 until its run-start event names the targets). */
  private levelCount = 0;
  private runs = 0;
  private lastEpochStep: number | undefined;
  private stepsPerEpoch: number | undefined;

  get series(): Readonly<TrainingSeries> {
    return this.s;
  }

  append(events: readonly TrainingEvent[]): void {
    for (const e of events) this.add(e);
  }

  private startRun(run: string, kind: string): void {
    const s = this.s;
    this.runs++;
    if (this.runs === 1 && kind === 'elsa') return;
    const x = s.epochCount + 0.5;
    if (this.runs > 1) {
      for (const key of ['loss', 'accuracy', 'evalAccuracy', 'evalLoss'] as const) {
        if (s[key].length > 0) s[key].push({ x, y: NaN });
      }
    }
    const last = s.phases[s.phases.length - 1];
    // A mark at the same place belongs to a phase of the previous run that ran no epochs.
    if (last && last.x === x) s.phases.pop();
    s.phases.push({ x, phase: -1, label: run, run });
  }

  private add(e: TrainingEvent): void {
    const s = this.s;
    s.eventCount++;
    switch (e.type) {
      case 'run-start':
        this.levelCount = levelCountOf(e.targets.length);
        if (!e.resumedFrom) this.startRun(e.run, e.kind);
        s.status = 'running';
        s.backend = e.backend;
        s.latest = e.resumedFrom
          ? `Resumed ${e.kind} run "${e.run}" at phase ${e.resumedFrom.phase}, epoch ${e.resumedFrom.epoch} (${e.backend}).`
          : `Started ${e.kind} run "${e.run}" on ${e.backend}.`;
        break;
      case 'phase-start': {
        s.status = 'running';
        const label = phaseLabel(e.phase, this.levelCount, e.targetSparsity);
        const x = s.epochCount + 0.5;
        const last = s.phases[s.phases.length - 1];
        if (!last || last.x !== x) {
          s.phases.push({ x, phase: e.phase, label });
        } else if (last.phase === -1) {
          // The run's own mark: its first phase joins it.
          last.phase = e.phase;
          last.label = `${last.label}: ${label}`;
        } else if (last.phase !== e.phase) {
          // The previous phase ran no epochs (a 0-epoch dense phase): its mark would only hide this one.
          s.phases[s.phases.length - 1] = { x, phase: e.phase, label, run: last.run };
        }
        // (Same phase at the same place: a resumed run repeating the phase it resumes; one mark is enough.)
        s.latest = `Phase ${e.phase} (${label}): ${e.epochs} epochs.`;
        break;
      }
      case 'epoch': {
        s.status = 'running';
        s.epochCount++;
        const x = s.epochCount;
        if (Number.isFinite(e.loss)) s.loss.push({ x, y: e.loss });
        if (Number.isFinite(e.accuracy)) s.accuracy.push({ x, y: e.accuracy });
        if (e.evalAccuracy !== undefined && Number.isFinite(e.evalAccuracy)) s.evalAccuracy.push({ x, y: e.evalAccuracy });
        if (e.evalLoss !== undefined && Number.isFinite(e.evalLoss)) s.evalLoss.push({ x, y: e.evalLoss });
        if (this.lastEpochStep !== undefined && e.step > this.lastEpochStep) this.stepsPerEpoch = e.step - this.lastEpochStep;
        else if (this.lastEpochStep === undefined && e.step > 0) this.stepsPerEpoch = e.step;
        this.lastEpochStep = e.step;
        const evalPart = e.evalAccuracy !== undefined ? `, eval accuracy ${pct(e.evalAccuracy)}` : '';
        s.latest = `Phase ${e.phase}, epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, accuracy ${pct(e.accuracy)}${evalPart}, sparsity ${pct(e.sparsity)}.`;
        break;
      }
      case 'step': {
        if (this.stepsPerEpoch && Number.isFinite(e.loss)) {
          const into = e.step - (this.lastEpochStep ?? 0);
          const fraction = Math.min(0.999, Math.max(0, into / this.stepsPerEpoch));
          const x = s.epochCount + fraction;
          const prev = s.stepLoss[s.stepLoss.length - 1];
          // Decimation needs x sorted; a step that does not advance (replayed log) is skipped.
          if (!prev || x > prev.x) s.stepLoss.push({ x, y: e.loss });
        }
        s.latest = `Phase ${e.phase}, epoch ${e.epoch}, step ${e.step}: loss ${e.loss.toFixed(4)}.`;
        break;
      }
      case 'level-done':
        s.latest = `Level ${e.level} done: sparsity ${pct(e.sparsity)}, accuracy ${pct(e.accuracy)}.`;
        break;
      case 'checkpoint':
        s.latest = `Checkpoint written at phase ${e.phase}, epoch ${e.epoch}.`;
        break;
      case 'run-end':
        s.status = e.status;
        s.latest = `Run ${e.status} after ${e.seconds.toFixed(0)} s${e.message ? `: ${e.message}` : '.'}`;
        break;
    }
  }
}

/**
 * Cursor bookkeeping for the event stream. `from`/`next` are byte offsets into events.jsonl (the host tails the
 * file): a chunk holds the events of bytes [from, next). The page keeps a cursor (the end of what it has shown)
 * and applies a chunk only where it continues exactly there. A chunk from 0 while the cursor is further on means
 * the host started over (the file was replaced by a new run, or a late "created" event made the host re-read it):
 * the series is rebuilt from that chunk, never appended to, so no event is shown twice. A chunk that starts
 * anywhere else left a gap or overlaps: what is missing is fetched again from the cursor. A notification that
 * raced the initial answer is skipped if the answer covered it, else refetched.
 */
export type AppendDecision =
  | { kind: 'apply'; events: readonly TrainingEvent[]; next: number }
  | { kind: 'restart'; events: readonly TrainingEvent[]; next: number }
  | { kind: 'skip' }
  | { kind: 'refetch'; since: number };

export function decideAppend(cursor: number, chunk: EventChunk, racedInitialAnswer: boolean): AppendDecision {
  const { events, from, next } = chunk;
  if (racedInitialAnswer) return next <= cursor ? { kind: 'skip' } : { kind: 'refetch', since: cursor };
  if (from === cursor) return next === cursor && events.length === 0 ? { kind: 'skip' } : { kind: 'apply', events, next };
  if (from === 0) return { kind: 'restart', events, next };
  return { kind: 'refetch', since: cursor };
}
