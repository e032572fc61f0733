/**
 * The training process -> everyone protocol: one JSON object per line of `events.jsonl`, appended as the
 * run goes. The CLI writes it, the dashboard tails it for live curves, `report` and the explorer read it.
 */

export interface RunStartEvent {
  type: 'run-start';
  time: string;
  run: string;
  kind: 'elsa' | 'independent' | 'dense';
  targets: number[];
  backend: string;
  config: unknown;
  /** How the run is trained where the model asked for something (e.g. a final softmax split off). */
  notes?: string[];
  resumedFrom?: { phase: number; epoch: number };
}

export interface PhaseStartEvent {
  type: 'phase-start';
  time: string;
  /** 0 = dense warm-up, 1..K = sparse levels, K+1 = dense phase. */
  phase: number;
  targetSparsity: number;
  epochs: number;
}

/** Where a run is and how training goes there: shared by per-epoch and per-step events. */
interface TrainingPoint {
  time: string;
  phase: number;
  epoch: number;
  step: number;
  loss: number;
  accuracy: number;
}

export interface EpochEvent extends TrainingPoint {
  type: 'epoch';
  evalLoss?: number;
  evalAccuracy?: number;
  /** Current share of zero-masked sparsifiable weights. */
  sparsity: number;
  layerSparsity?: Record<string, number>;
  seconds: number;
  samplesPerSecond: number;
  learningRate: number;
}

export interface StepEvent extends TrainingPoint {
  type: 'step';
}

export interface LevelDoneEvent {
  type: 'level-done';
  time: string;
  level: number;
  targetSparsity: number;
  sparsity: number;
  accuracy: number;
  loss: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  time: string;
  path: string;
  phase: number;
  epoch: number;
}

export interface RunEndEvent {
  type: 'run-end';
  time: string;
  status: 'complete' | 'failed' | 'cancelled';
  seconds: number;
  message?: string;
}

export type TrainingEvent =
  | RunStartEvent
  | PhaseStartEvent
  | EpochEvent
  | StepEvent
  | LevelDoneEvent
  | CheckpointEvent
  | RunEndEvent;

/**
 * The events of bytes [`from`, `next`) of an events.jsonl, as the host reads it and the page receives it.
 * `from` is the offset asked for, or 0 when the file no longer reaches it (replaced by a new run); `next` is just
 * after the last complete line (ask from here next time). A reader holding a cursor applies a chunk only when
 * `from` is its cursor (webview/trainingSeries.ts decideAppend).
 */
export interface EventChunk {
  events: readonly TrainingEvent[];
  from: number;
  next: number;
}

export const TRAINING_EVENT_TYPES: ReadonlySet<TrainingEvent['type']> = new Set([
  'run-start',
  'phase-start',
  'epoch',
  'step',
  'level-done',
  'checkpoint',
  'run-end',
]);

/** Parse one line; a malformed or unknown line gives undefined (a live tail may see a half-written line). */
export function parseTrainingEvent(line: string): TrainingEvent | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !TRAINING_EVENT_TYPES.has(type as TrainingEvent['type'])) return undefined;
  return value as TrainingEvent;
}

/** All complete events of a file's text, in order. */
export function parseTrainingEvents(text: string): TrainingEvent[] {
  const out: TrainingEvent[] = [];
  for (const line of text.split('\n')) {
    const e = parseTrainingEvent(line);
    if (e) out.push(e);
  }
  return out;
}
