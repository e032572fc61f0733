/**
 * `elsa compare <a>[@level] <b>[@level] [--bins n] [--json]`: two networks side by side — accuracy, per-layer
 * sparsity, the Jaccard index of the kept weights and a histogram of weight differences (src/core/compare.ts).
 * Reads only; stops at the next tensor on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { compareStores } from '../../core/compare';
import { usageError } from '../../core/errors';
import { openStoreFile } from '../../core/storeFile';
import type { TensorStore } from '../../core/tensorStore';
import { type CompareResult, type CompareSide, DEFAULT_COMPARE_BINS, MAX_COMPARE_BINS, MIN_COMPARE_BINS } from '../../protocol/compare';
import { numberOption, type CommandSpec, type Parsed } from '../args';
import { stopIfAborted } from '../supervisor';
import { percent, textTable } from '../tables';

export const compareSpec: CommandSpec = {
  name: 'compare',
  usage: 'compare <a>[@level] <b>[@level] [--bins <n>] [--json]',
  summary:
    'Compare two networks: two checkpoints, two levels of one checkpoint (run.elsa.safetensors@1 run.elsa.safetensors@2),\n' +
    'or an ELSA level and an independently trained network (run.elsa.safetensors@0.9 baselines/independent-90-strict-8ep.safetensors).\n' +
    'A side is a safetensors file (ELSA checkpoint, baseline or any other; a sharded model\'s index; a TF.js model.json);\n' +
    '@level picks a level of an ELSA checkpoint by index (1..K+1), target sparsity (0.9) or "dense". The mask of a level\n' +
    'is code <= level; a plain file\'s mask is its nonzero weights. Per layer (matched by name): sparsity of each side,\n' +
    'the Jaccard index |A∩B|/|A∪B| of the kept weights (1 when both keep none), what random masks of the same\n' +
    'densities would give, and the weight differences w_B − w_A over the weights either side keeps.',
  options: { bins: { type: 'string' }, json: { type: 'boolean' } },
  help: [
    `--bins <n>          bins of the weight-difference histogram over [−max|Δw|, +max|Δw|] (default ${DEFAULT_COMPARE_BINS}, ${MIN_COMPARE_BINS}..${MAX_COMPARE_BINS})`,
    '--json              print everything, histograms included, as JSON (format elsa-compare/1)',
  ],
  minPositionals: 2,
  maxPositionals: 2,
};

const LEVEL_SUFFIX = /^(.+)@(\d+|\d*\.\d+|dense)$/i;

/** `file@level` → file and level request; a name that exists as written (`x@2` is a file) is taken whole. */
export function parseSideArg(arg: string): { file: string; level?: number } {
  const m = LEVEL_SUFFIX.exec(arg);
  if (!m || (existsSync(arg) && !existsSync(m[1]))) return { file: arg };
  const token = m[2].toLowerCase();
  const level = token === 'dense' ? 0 : Number(token);
  if (!Number.isFinite(level) || (!Number.isInteger(level) && !(level > 0 && level < 1))) {
    throw usageError(`compare: "@${m[2]}" in ${arg} is not a level (an index 1..K+1, a sparsity such as 0.9, or "dense")`);
  }
  return { file: m[1], level };
}

export async function runCompareCommand(argA: string, argB: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const bins = numberOption(values, 'bins') ?? DEFAULT_COMPARE_BINS;
  if (!Number.isInteger(bins) || bins < MIN_COMPARE_BINS || bins > MAX_COMPARE_BINS) throw usageError(`--bins must be an integer in ${MIN_COMPARE_BINS}..${MAX_COMPARE_BINS}, got ${bins}`);
  const a = parseSideArg(argA);
  const b = parseSideArg(argB);
  const stores: TensorStore[] = [];
  try {
    const storeA = await openStoreFile(a.file);
    stores.push(storeA);
    // Two levels of one file share one store, so each tensor is read once.
    const storeB = b.file === a.file ? storeA : await openStoreFile(b.file);
    if (storeB !== storeA) stores.push(storeB);
    const result = await compareStores({ store: storeA, level: a.level }, { store: storeB, level: b.level }, { bins, signal });
    stopIfAborted(signal);
    console.log(values.json ? JSON.stringify(result, null, 1) : formatCompare(result));
    return 0;
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
  }
}

function sideLine(tag: string, s: CompareSide): string {
  const level = s.level === undefined ? 'all nonzero weights' : `level ${s.level}${s.dense ? ' (dense)' : s.targetSparsity !== undefined ? ` (target ${percent(s.targetSparsity, 1)})` : ''}`;
  const behind = [s.epochs !== undefined ? `${s.epochs} epochs` : '', s.testCount !== undefined ? `${s.testCount.toLocaleString('en-US')} test images` : ''].filter(Boolean).join(', ');
  const acc = s.accuracy === undefined ? 'accuracy not recorded' : `accuracy ${percent(s.accuracy)}${behind ? ` (${behind})` : ''}`;
  const kind = s.kind !== 'plain' ? s.kind : s.file.endsWith('.safetensors.index.json') ? 'sharded safetensors' : s.file.endsWith('.json') ? 'TF.js model' : 'plain safetensors';
  return `${tag}: ${s.file}, ${kind}, ${level}: ${acc}; sparsity ${percent(s.sparsity)} over the compared layers`;
}

const share = (v: number | null) => (v === null ? '–' : percent(v, 1));

export function formatCompare(r: CompareResult): string {
  const rows = r.layers.map((l) => [
    l.name, l.shape.join('×'), l.size.toLocaleString('en-US'), percent(l.sparsityA), percent(l.sparsityB), l.intersection.toLocaleString('en-US'),
    l.jaccard.toFixed(4), l.jaccardIfRandom.toFixed(4), share(l.sharedOfA), share(l.sharedOfB), l.diff.range.toPrecision(3), l.diff.zero.toLocaleString('en-US'),
  ]);
  const t = r.total;
  rows.push(['all compared', '', t.size.toLocaleString('en-US'), percent(1 - t.keptA / t.size), percent(1 - t.keptB / t.size), t.intersection.toLocaleString('en-US'),
    t.jaccard.toFixed(4), t.jaccardIfRandom.toFixed(4), share(t.sharedOfA), share(t.sharedOfB), '', r.layers.reduce((s, l) => s + l.diff.zero, 0).toLocaleString('en-US')]);
  const lines = [
    sideLine('A', r.a),
    sideLine('B', r.b),
    '',
    textTable(
      ['layer', 'shape', 'weights', 'sparsity A', 'sparsity B', 'kept by both', 'Jaccard', 'if random', 'A kept by B', 'B kept by A', 'max |Δw|', 'Δw = 0'],
      rows,
      [false, false, true, true, true, true, true, true, true, true, true, true],
    ),
    '',
    'Jaccard = |A∩B| / |A∪B| of the kept weights (1 when both keep none); "if random": what independent random masks of the same',
    'densities would give. Δw = w_B − w_A over the weights either side keeps (0 where a side drops it); --json has the histograms.',
  ];
  if (r.onlyInA.length) lines.push(`Only in A (not compared): ${r.onlyInA.join(', ')}`);
  if (r.onlyInB.length) lines.push(`Only in B (not compared): ${r.onlyInB.join(', ')}`);
  for (const m of r.shapeMismatch) lines.push(`Not compared, shapes differ: ${m.name} [${m.shapeA.join('×')}] vs [${m.shapeB.join('×')}]`);
  return lines.join('\n');
}
