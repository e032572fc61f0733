/**
 * Training budgets: how many epochs stand behind each network of a comparison (README "Studies: ELSA vs
 * independent at equal budget").
 *
 * ELSA level k (1..K) has seen warm-up + k × perPhase epochs, the dense level K+1 warm-up + K × perPhase + dense.
 * Its baselines are trained at budgets that make the comparison fair:
 * - the dense baseline: the dense level's total, as one warm-up plus one long dense phase;
 * - each independent sparse network twice: "cheap" (warm-up + one phase, what ELSA adds per level) and
 *   "strict" (warm-up + k × perPhase, every epoch ELSA's level k has seen). At level 1 they coincide.
 * Baselines use the run's optimizer and learning-rate schedule; each checkpoint's stored config carries its
 * own epochs, so the epochs behind any level of any checkpoint follow from its metadata alone.
 */
import { epochsBehind } from '../protocol/levels';
import type { RunConfig } from './config';
import { formatTargetPercent } from '../protocol/format';
import { usageError } from './errors';

export type Epochs = RunConfig['epochs'];
export type Budget = 'cheap' | 'strict';


export interface BaselineJob {
  kind: 'independent' | 'dense';
  /** [s] for an independent network, [] for the dense one. */
  targets: number[];
  /** ELSA level this baseline is compared with (1..K, K+1 for dense). */
  level: number;
  /** The run config the job trains with: the ELSA config with this job's epochs. */
  config: RunConfig;
  totalEpochs: number;
  /** Budgets this one training serves (level 1's cheap and strict networks are the same). */
  budgets: Budget[];
  /** File name in <run>/baselines/, e.g. `independent-90-strict-5ep.safetensors` (`cheap-strict` at level 1). */
  file: string;
  label: string;
}

/** A sparsity as baseline file names spell it: 0.9 -> "90", 0.995 -> "99_5". */
export const pctName = (s: number) => String(+(s * 100).toFixed(2)).replace('.', '_');

/** Every baseline a run config calls for, in training order (independent sparsest first, then dense). */
export function baselineJobs(config: RunConfig): BaselineJob[] {
  const K = config.levels.length;
  const { warmup, perPhase } = config.epochs;
  const jobs: BaselineJob[] = [];
  config.levels.forEach((s, i) => {
    const k = i + 1;
    const variants: { budgets: Budget[]; phaseEpochs: number }[] =
      k === 1 ? [{ budgets: ['cheap', 'strict'], phaseEpochs: perPhase }] : [{ budgets: ['strict'], phaseEpochs: k * perPhase }, { budgets: ['cheap'], phaseEpochs: perPhase }];
    for (const v of variants) {
      const epochs = { warmup, perPhase: v.phaseEpochs, dense: 0 };
      const total = epochsBehind(epochs, 1, 1);
      const tag = v.budgets.length === 2 ? 'cheap-strict' : v.budgets[0];
      jobs.push({
        kind: 'independent',
        targets: [s],
        level: k,
        config: { ...config, epochs },
        totalEpochs: total,
        budgets: v.budgets,
        file: `independent-${pctName(s)}-${tag}-${total}ep.safetensors`,
        label: `independent ${formatTargetPercent(s)} (${tag}, ${total} epochs)`,
      });
    }
  });
  const denseTotal = epochsBehind(config.epochs, K, K + 1);
  const denseEpochs = { warmup, perPhase, dense: denseTotal - warmup };
  jobs.push({
    kind: 'dense',
    targets: [],
    level: K + 1,
    config: { ...config, epochs: denseEpochs },
    totalEpochs: denseTotal,
    budgets: ['strict'],
    file: `dense-${denseTotal}ep.safetensors`,
    label: `dense (${denseTotal} epochs)`,
  });
  return jobs;
}

/**
 * The baselines `elsa baseline --only <words>` trains. Words are of three kinds: `dense`, sparsities of the
 * run's levels (`0.9`) and budgets (`strict`, `cheap`). Words of one kind add up, kinds narrow each other:
 * `0.9,strict` is the 90 % network at the strict budget alone, `0.75,0.5,strict,dense` the strict networks of
 * two levels and the dense one, `dense,0.9` the dense network and both 90 % ones, `strict` every strict one.
 * The dense network is trained only when `dense` is named. An unknown word is a usage error.
 */
export function selectBaselineJobs(jobs: BaselineJob[], only: string | undefined): BaselineJob[] {
  if (only === undefined) return jobs;
  const words = only.split(',').map((w) => w.trim()).filter((w) => w !== '');
  const levels = [...new Set(jobs.flatMap((j) => j.targets))];
  const sparsities: number[] = [];
  const budgets: string[] = [];
  let dense = false;
  for (const w of words) {
    if (w === 'dense') dense = true;
    else if (w === 'strict' || w === 'cheap') budgets.push(w);
    else if (/^\d*\.?\d+$/.test(w) && levels.includes(Number(w))) sparsities.push(Number(w));
    else throw usageError(`--only: "${w}" is not dense, strict, cheap or a level of this run (${levels.join(', ')})`);
  }
  if (!words.length) throw usageError('--only needs at least one of: dense, strict, cheap, a level');
  const sparse = sparsities.length > 0 || budgets.length > 0;
  return jobs.filter((j) =>
    j.kind === 'dense'
      ? dense
      : sparse && (!sparsities.length || sparsities.includes(j.targets[0])) && (!budgets.length || j.budgets.some((b) => budgets.includes(b))),
  );
}

/** Train/test sizes from a checkpoint's provenance line (one reader, shared with the dashboard). */
export { datasetCounts } from '../protocol/uncertainty';
