/**
 * `study.json` in a study folder: ELSA against its baselines over a grid of architectures × sparsifiers ×
 * seeds, aggregated over seeds. Written by `elsa study`, read by the dashboard and `elsa study --plot`.
 */

export const STUDY_FORMAT = 'elsa-study/1';

export type StudyMethod = 'elsa' | 'independent-strict' | 'independent-cheap' | 'dense';

export const METHOD_LABELS: Record<StudyMethod, string> = {
  elsa: 'ELSA (one checkpoint)',
  'independent-strict': 'Independent, strict budget',
  'independent-cheap': 'Independent, cheap budget',
  dense: 'Dense baseline',
};

/** One method at one level, over the seeds of a group. */
export interface StudyPoint {
  level: number;
  targetSparsity: number;
  /** Mean measured sparsity. */
  sparsity: number;
  /** Mean accuracy over seeds, and its error bar (std over seeds, else the binomial 95 % interval). */
  mean: number;
  std: number;
  low: number;
  high: number;
  interval: 'seed-std' | 'binomial-95' | 'none';
  /** Seeds behind the mean. */
  n: number;
  /** Training epochs behind each network of this point. */
  epochs: number;
}

export interface StudySeries {
  method: StudyMethod;
  points: StudyPoint[];
}

export interface StudyStorage {
  /** The ELSA checkpoint: all K+1 networks in one file. */
  elsaBytes: number;
  /** Dense + K independent networks as plain safetensors files. */
  separatePlainBytes: number;
  /** The same networks with the sparse ones in the sparse-compressed format (bitmap + nonzero values). */
  separateSparseBytes: number;
  networks: number;
}

export interface StudyGroup {
  /** `<model>-<sparsifier>`. */
  key: string;
  model: string;
  sparsifier: string;
  /** The group's sparsity levels (a grid may override the study's). */
  levels: number[];
  /** Seeds whose cell is complete. */
  seeds: number[];
  series: StudySeries[];
  /** Mean over complete cells, seconds: ELSA's one run, and all its baselines together. */
  seconds: { elsa: number; baselines: number };
  storage?: StudyStorage;
}

export interface StudyCellStatus {
  name: string;
  model: string;
  sparsifier: string;
  seed: number;
  status: 'complete' | 'pending';
  seconds?: { elsa: number; baselines: number };
}

export interface StudySummary {
  format: typeof STUDY_FORMAT;
  name: string;
  createdAt: string;
  dataset?: string;
  testCount?: number;
  trainCount?: number;
  levels: number[];
  epochs: { warmup: number; perPhase: number; dense: number };
  /** Optimizer, learning-rate schedule and batch size, in words. */
  training?: string;
  seeds: number[];
  groups: StudyGroup[];
  cells: StudyCellStatus[];
}

export function isStudySummary(value: unknown): value is StudySummary {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<StudySummary>;
  return (
    s.format === STUDY_FORMAT &&
    typeof s.name === 'string' &&
    Array.isArray(s.levels) &&
    Array.isArray(s.seeds) &&
    Array.isArray(s.cells) &&
    Array.isArray(s.groups) &&
    s.groups.every((g) => typeof g === 'object' && g !== null && typeof g.key === 'string' && Array.isArray(g.series) && g.series.every((x) => Array.isArray(x.points) && x.points.every((p) => typeof p.mean === 'number' && typeof p.epochs === 'number')))
  );
}
