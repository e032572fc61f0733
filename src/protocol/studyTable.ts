/**
 * The study table: one row per level of a group, every accuracy with its spread and the epochs behind it.
 * Pure (no Node APIs): `study.md`, the CLI and the dashboard's study view print the same rows.
 */
import type { StudyGroup, StudyMethod, StudyPoint } from './study';
import { formatPercent } from './format';
import { levelCountOf } from './levels';

const pctNum = (x: number, d = 2) => (x * 100).toFixed(d);

/** "88.12 ± 0.21" (std over seeds) or "88.12 (±2.2)" (binomial half-width, one seed). */
export function formatStat(p: StudyPoint | undefined): string {
  if (!p) return '–';
  if (p.interval === 'seed-std') return `${pctNum(p.mean)} ± ${pctNum(p.std)}`;
  if (p.interval === 'binomial-95') return `${pctNum(p.mean)} (±${pctNum((p.high - p.low) / 2, 1)})`;
  return pctNum(p.mean);
}

export const STUDY_TABLE_HEADER = ['level', 'target', 'sparsity', 'ELSA acc %', 'epochs', 'indep. strict acc %', 'epochs', 'Δ ELSA − strict (pt)', 'indep. cheap acc %', 'epochs'];

/** Table rows of one group; the dense row compares ELSA's dense level with the dense baseline. */
export function studyRows(group: StudyGroup): string[][] {
  const sparseLevelCount = group.levels.length;
  const get = (m: StudyMethod, k: number) => group.series.find((s) => s.method === m)?.points.find((p) => p.level === k);
  const rows: string[][] = [];
  for (let k = 1; k <= levelCountOf(sparseLevelCount); k++) {
    const elsa = get('elsa', k);
    if (!elsa) continue;
    const dense = k === levelCountOf(sparseLevelCount);
    const strict = dense ? get('dense', k) : get('independent-strict', k);
    const cheap = dense ? undefined : get('independent-cheap', k);
    const delta = strict ? elsa.mean - strict.mean : NaN;
    rows.push([
      dense ? `${k} (dense)` : String(k),
      formatPercent(elsa.targetSparsity),
      formatPercent(elsa.sparsity, 2),
      formatStat(elsa),
      String(elsa.epochs),
      formatStat(strict),
      strict ? String(strict.epochs) : '–',
      Number.isFinite(delta) ? `${delta >= 0 ? '+' : ''}${pctNum(delta)}` : '–',
      formatStat(cheap),
      cheap ? String(cheap.epochs) : '–',
    ]);
  }
  return rows;
}

