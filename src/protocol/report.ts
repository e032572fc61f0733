/**
 * `report.json` in a run folder: the accuracy-vs-sparsity comparison of ELSA against independently trained
 * sparse networks and the dense network, with the storage each needs. Written by `elsa report`, read by the
 * dashboard.
 */

export interface ReportPoint {
  /** 1..K for sparse levels, K+1 for dense. */
  level: number;
  targetSparsity: number;
  sparsity: number;
  accuracy: number;
  loss?: number;
}

export interface StorageLine {
  /** What is stored, e.g. "ELSA checkpoint (all levels)". */
  label: string;
  /** Bytes on disk. */
  bytes: number;
  files: string[];
}

export interface RunReport {
  format: 'elsa-report/1';
  run: string;
  createdAt: string;
  model?: string;
  dataset?: string;
  backend?: string;
  /** ELSA levels, sparsest first, then the dense level. */
  elsa: ReportPoint[];
  /** Independently trained networks, one per sparse level (same sparsifier and epochs). */
  independent: ReportPoint[];
  /** The dense baseline network, when trained. */
  dense?: ReportPoint;
  storage: StorageLine[];
  /** Per-level overhead of non-sparsified parameters stored per level, in bytes. */
  smallParamBytes?: number;
}

export function isRunReport(value: unknown): value is RunReport {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<RunReport>;
  return r.format === 'elsa-report/1' && Array.isArray(r.elsa) && Array.isArray(r.independent) && Array.isArray(r.storage);
}
