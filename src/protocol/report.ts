/**
 * `report.json` in a run folder: the accuracy-vs-sparsity comparison of ELSA against independently trained
 * sparse networks and the dense network, with the epochs behind every number and the storage each needs.
 * Written by `elsa report`, read by the dashboard.
 *
 * Version 2 (`elsa-report/2`) added the epochs of every point, the two budgets of the independent networks
 * (strict: as many epochs as the ELSA level has seen; cheap: one phase), the test-set size and the seed.
 * Version 1 files are not read: their baselines were trained for one phase only and carry no epochs.
 */

export const REPORT_FORMAT = 'elsa-report/2';

export interface ReportPoint {
  /** 1..K for sparse levels, K+1 for dense. */
  level: number;
  targetSparsity: number;
  sparsity: number;
  accuracy: number;
  loss?: number;
  /** Training epochs behind this network (for an ELSA level: every epoch up to the end of its phase). */
  epochs: number;
  /** The checkpoint, relative to the run folder. */
  file?: string;
}

export interface StorageLine {
  /** What is stored, e.g. "ELSA checkpoint (all levels)". */
  label: string;
  /** Bytes on disk. */
  bytes: number;
  files: string[];
}

export interface RunReport {
  format: typeof REPORT_FORMAT;
  run: string;
  createdAt: string;
  model?: string;
  dataset?: string;
  backend?: string;
  /** Test images every accuracy is measured on (sets the binomial error bar). */
  testCount?: number;
  trainCount?: number;
  /** Seeds behind the numbers (one for a run). */
  seeds: number[];
  /** E.g. "sgd lr 0.05, cosine to 0.01×, per phase". */
  training?: string;
  /** ELSA levels, sparsest first, then the dense level. */
  elsa: ReportPoint[];
  /** Independent networks trained as many epochs as the ELSA level they match (the fair comparison). */
  independent: ReportPoint[];
  /** Independent networks trained the epochs of one ELSA phase (what one more network costs ELSA). */
  independentCheap: ReportPoint[];
  /** The dense baseline network, trained as many epochs as ELSA's dense level. */
  dense?: ReportPoint;
  storage: StorageLine[];
  /** Per-level overhead of non-sparsified parameters stored per level, in bytes. */
  smallParamBytes?: number;
  /** What the comparison lacks or skipped (missing baselines, baselines of another config). */
  notes: string[];
}

const isPoint = (p: unknown): boolean => {
  const q = p as Partial<ReportPoint> | null;
  return typeof q === 'object' && q !== null && typeof q.level === 'number' && typeof q.sparsity === 'number' && typeof q.accuracy === 'number' && typeof q.epochs === 'number';
};

export function isRunReport(value: unknown): value is RunReport {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<RunReport>;
  return (
    r.format === REPORT_FORMAT &&
    [r.elsa, r.independent, r.independentCheap].every((a) => Array.isArray(a) && a.every(isPoint)) &&
    (r.dense === undefined || isPoint(r.dense)) &&
    Array.isArray(r.storage) &&
    Array.isArray(r.seeds) &&
    Array.isArray(r.notes)
  );
}
