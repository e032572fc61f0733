// Why is ELSA's level 2 below the independent network trained for the same epochs? (docs/experiments/level-gap.md)
//
// Controlled experiments on the study's base config (full Fashion-MNIST, MLP, GMP global, SGD 0.05 + momentum
// 0.9 + wd 5e-4, cosine per phase, batch 128), levels 95 % / 90 %, epochs warm-up 2 / per phase 3. Every
// variant changes phase 2 only, so each seed trains warm-up + phase 1 once ("prefix", level 1) and every variant
// resumes from that checkpoint (the trainer's own resume: bit-identical to an uninterrupted run). The reference
// is `elsa baseline`'s independent 90 % network at the strict budget (warm-up 2 + one 6-epoch phase = 8 epochs).
//
//   nice -n 5 node --import tsx scripts/experiments/level-gap.ts [--seeds 1,2] [--only v0,restore] [--out DIR]
//   node --import tsx scripts/experiments/level-gap.ts --table [--out DIR]     print the markdown tables
//   ... --lr constant --out DIR                                                 the same without a schedule
//   ... --model cnn --per-phase 24 --only v0,independent-90-strict --out DIR    the small CNN at a long budget
//   ... --model resnet --sparsifier acdc --only v0,unfrozen,two-cycle-90,independent-90-strict  the residual CNN, AC/DC
//   ... --model resnet --sparsifier acdc --per-phase 12 --only v0,unfrozen,two-cycle-90,independent-90-strict  the same at 26 epochs
//   ... --level 5 --per-phase 24 --only v0,unfrozen,independent-L5-strict        the dense level vs the dense baseline
//   ... --model cnn --level 3 --per-phase 12 --only cycles-L3                      the 75 % network alone, ELSA's 3 cycles
//   ... --model cnn --level 3 --per-phase 12 --only unfrozen,dense-cycles-L3       what of ELSA's path makes level 3 lead
//   ... --model resnet --sparsifier gmp --level 5 --per-phase 12 --only cycles-L5    the dense network alone in ELSA's restarted schedule
//   ... --levels 0.75,0.5 --only v0,unfrozen      level 1 / level 2 at other sparsities (what freezing costs there)
//   ... --weight-decay 0 --only v0,unfrozen        the same without weight decay (every phase, the prefix too)
//   ... --model resnet --sparsifier acdc --per-phase 12 --only unfrozen-small,unfrozen-large   level 1 trainable in the small / large layers only
//   ... --model resnet-nobn --sparsifier acdc --per-phase 12 --only v0,unfrozen   the same network without batch norm: is it batch norm?
//   ... --model mlp-deep --per-phase 12 --only v0,unfrozen     a 9-layer MLP, as deep as the residual CNN: is it depth?
//   ... --model resnet-local --sparsifier acdc --per-phase 3 --only v0,unfrozen   every convolution locally connected: is it weight sharing?
//   ... --model resnet-wide2 --sparsifier acdc --per-phase 3 --only v0,unfrozen   2× the filters: does a larger network pay less?
//   ... --model cnn --sparsifier magnitude --per-phase 12 --only v0,independent-90-strict   one-shot at a long budget
//   ... --model cnn --sparsifier nm --levels 0.75,0.5 --per-phase 12 --only v0,independent-50-strict   N:M 1:4 ⊂ 2:4
//   ... --level 4 --prefix-from DIR3 --only v0,unfrozen   level 4's prefix is level 3's v0 checkpoint in DIR3 (no retraining)
//   node --import tsx scripts/experiments/level-gap.ts --movement --out DIR [--seeds 1,2]   how far level 1 moves when unfrozen
//   node --import tsx scripts/experiments/level-gap.ts --freezing --out DIR    what freezing costs: v0 − each unfrozen* probe, paired
//
// Resumable: results.jsonl in DIR (default runs/experiments/level-gap) gets one line per (seed, variant); a
// variant already there is skipped. Probes that are not product features (unfreezing level 1) are done here by
// wrapping the optimizer, never in the trainer.
import type * as tf from '@tensorflow/tfjs';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatEpochLine } from '../../src/cli/progress';
import { baselineJobs, pctName } from '../../src/core/budgets';
import { resolveRunConfig, type RunConfig } from '../../src/core/config';
import { initEngine } from '../../src/core/engine/backend';
import { BUILTIN_MODEL_TYPES, buildDeepMlp, buildResnetLocallyConnected, buildResnetWithoutBatchNorm, buildWideResnet } from '../../src/core/models/builders';
import { saveLayersModelFile } from '../../src/core/models/layersFile';
import { MaskedOptimizer } from '../../src/core/method/optimizer';
import { loadTrainingState, type SavedState } from '../../src/core/method/trainingCheckpoint';
import { prepareRun, type PreparedRun } from '../../src/core/run';
import type { TrainingEvent } from '../../src/protocol/events';
import { phaseProgressLabel } from '../../src/protocol/levels';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
/** A bad command line: one line on stderr, exit 1 (no stack trace). */
function usage(message: string): never {
  console.error(`level-gap.ts: ${message}`);
  process.exit(1);
}
const VALUE_OPTIONS = ['out', 'seeds', 'only', 'per-phase', 'level', 'model', 'sparsifier', 'lr', 'limit', 'levels', 'weight-decay', 'prefix-from'];
const FLAGS = ['table', 'overlap', 'layers', 'movement', 'freezing'];
if (args.includes('--help') || args.includes('-h')) {
  // the usage is the comment at the top of this file
  const head = readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3));
  console.log(head.join('\n'));
  process.exit(0);
}
// an unknown or misspelt option must not start hours of training with the defaults
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
  if (name && FLAGS.includes(name)) continue;
  if (!name || !VALUE_OPTIONS.includes(name)) usage(`unknown option ${args[i]} (options: --${[...VALUE_OPTIONS, ...FLAGS].join(' --')} --help)`);
  if (args[i + 1] === undefined || args[i + 1].startsWith('--')) usage(`--${name} needs a value`);
  i++;
}
const outDir = path.resolve(opt('out') ?? 'runs/experiments/level-gap');
const seeds = (opt('seeds') ?? '1,2').split(',').map(Number);
/** Older result files and command lines name the strict baseline by its epochs at per-phase 3. */
const ALIASES: Record<string, string> = { 'independent-90-8ep': 'independent-90-strict' };
const only = opt('only')?.split(',').map((n) => ALIASES[n] ?? n);
/** Epochs per sparse phase (the study's 3 by default; a larger value tests whether the gap is a budget effect). */
const perPhase = Number(opt('per-phase') ?? 3);
/** `--lr constant` repeats the comparison without a schedule (issue 8's first look was at a constant rate). */
const lrSchedule = opt('lr') === 'constant' ? { type: 'constant' } : { type: 'cosine', minFactor: 0.01 };
const resultsFile = path.join(outDir, 'results.jsonl');
/**
 * `--level L` moves the comparison to level L of the study's four levels (95/90/75/50 %, dense = 5): the prefix
 * trains up to level L−1, the variants train phase L, the reference is the strict-budget independent network of
 * level L (the dense baseline for L = 5). Only prefix, v0, unfrozen (every weight of levels < L trains in phase
 * L) and the reference run there; the other variants are about level 2.
 */
const gapLevel = Number(opt('level') ?? 2);
if (![2, 3, 4, 5].includes(gapLevel)) usage(`--level: 2, 3, 4 or 5, not ${opt('level')}`);
/**
 * `--prefix-from DIR` takes level L's prefix from DIR/sN/v0.elsa.safetensors, the checkpoint `v0` of a
 * `--level L−1` run of the same config left at phase L's start (the state the prefix would train to, saved by
 * the same abort at the same level end), instead of retraining warm-up + L−1 phases. The state is checked to be
 * a phase-L start of the same seed, model, sparsifier, levels, optimizer, schedule and epochs; the prefix's result
 * line takes DIR's v0 line's accuracy and losses and is marked `"from"` (its seconds are the copy's).
 */
const prefixFrom = opt('prefix-from') === undefined ? undefined : path.resolve(opt('prefix-from') as string);
if (prefixFrom && (gapLevel < 3 || !existsSync(prefixFrom))) usage(`--prefix-from: an existing folder of a --level ${gapLevel - 1} run, with --level 3, 4 or 5; got ${opt('prefix-from')}`);
const LEVEL_VARIANTS = ['prefix', 'v0', 'unfrozen', `cycles-L${gapLevel}`, `dense-cycles-L${gapLevel}`];
if (gapLevel !== 2 && !only) usage(`--level needs --only (${LEVEL_VARIANTS.slice(1).join(', ')}, independent-L${gapLevel}-strict)`);
if (gapLevel !== 2 && only?.some((n) => !LEVEL_VARIANTS.includes(n) && n !== `independent-L${gapLevel}-strict`)) {
  usage(`--level ${gapLevel}: only ${LEVEL_VARIANTS.slice(1).join(', ')} and independent-L${gapLevel}-strict run there`);
}
/**
 * `--levels a,b` moves the level-2 comparison to other sparsities (level 1 at a, level 2 at b; 0.95,0.9 by
 * default): what freezing costs when level 1 is less (or more) starved of weights.
 */
const pairLevels = opt('levels')?.split(',').map(Number);
if (pairLevels && (gapLevel !== 2 || pairLevels.length !== 2 || !pairLevels.every((x) => x > 0 && x < 1) || pairLevels[1] >= pairLevels[0])) {
  usage(`--levels: two sparsities, level 1 above level 2 (e.g. 0.75,0.5), at level 2 only; got ${opt('levels')}`);
}
/** `--weight-decay x` replaces the study's 5e-4 in every phase (a probe of the batch-norm / weight-decay interplay). */
const weightDecay = opt('weight-decay') === undefined ? 0.0005 : Number(opt('weight-decay'));
if (!(weightDecay >= 0)) usage(`--weight-decay: a number ≥ 0, not ${opt('weight-decay')}`);
/** The study's four levels; the comparison at level L uses the first L of them (dense = 5). */
const STUDY_LEVELS = [0.95, 0.9, 0.75, 0.5];
const LEVELS = pairLevels ?? (gapLevel === 2 ? STUDY_LEVELS.slice(0, 2) : STUDY_LEVELS);
/** The reference's name: `independent-90-strict` at level 2 (as in the committed results), else by level. */
const REFERENCE = gapLevel === 2 ? `independent-${pctName(LEVELS[1])}-strict` : `independent-L${gapLevel}-strict`;
/**
 * `--model cnn` repeats the comparison on the small CNN (the MLP by default). `resnet-nobn` is the residual CNN
 * without batch norm (convolutions with biases, `resnet`'s initial kernels at the same seed scaled to He's range), saved per
 * seed as a TF.js Layers model under OUT/models/ and trained as `layers-json`: does batch norm make freezing costly?
 */
const modelType = opt('model') ?? 'mlp';
/**
 * Probe models, saved per seed under OUT/models/ and trained as `layers-json`: `resnet-nobn` above; `mlp-deep`, a
 * fully connected network as deep as the residual CNN (784 → 7 × 300 → 100 → 10, ReLU, He init): is it depth?
 * `resnet-local`, the residual CNN (batch norm kept) with every convolution a LocallyConnected2D of the same
 * shape, so no tap is shared across positions: is it weight sharing? `resnet-wide2`, the residual CNN with 2× the
 * filters (4× the weights): the size control for `resnet-local`.
 */
const PROBE_MODELS: Record<string, (seed: number) => tf.LayersModel> = {
  'resnet-nobn': (seed) => buildResnetWithoutBatchNorm([28, 28, 1], 10, seed),
  'mlp-deep': (seed) => buildDeepMlp([28, 28, 1], 10, seed, [300, 300, 300, 300, 300, 300, 300, 100]),
  'resnet-local': (seed) => buildResnetLocallyConnected([28, 28, 1], 10, seed),
  'resnet-wide2': (seed) => buildWideResnet([28, 28, 1], 10, seed, 2),
};
const MODEL_TYPES = [...BUILTIN_MODEL_TYPES, ...Object.keys(PROBE_MODELS)];
if (!MODEL_TYPES.includes(modelType)) usage(`--model: ${MODEL_TYPES.join(', ')}, not ${modelType}`);
/** `--sparsifier acdc|magnitude|nm` repeats the comparison with AC/DC, one-shot magnitude or N:M (m = 4) instead of GMP; global scope as in the study. */
const sparsifierType = opt('sparsifier') ?? 'gmp';
if (!['gmp', 'acdc', 'magnitude', 'nm'].includes(sparsifierType)) usage(`--sparsifier: gmp, acdc, magnitude or nm, not ${sparsifierType}`);
if (sparsifierType === 'nm' && !pairLevels) usage('--sparsifier nm needs --levels (N:M 1:4 ⊂ 2:4 is --levels 0.75,0.5)');
/** Smoke runs of the driver itself: --limit N trains on N images (results are then meaningless). */
const limit = opt('limit') ? Number(opt('limit')) : undefined;

const BASE = {
  name: 'level-gap',
  model: { type: modelType } as RunConfig['model'],
  data: { path: '/usr/share/datasets/fashion-mnist' },
  levels: LEVELS,
  sparsifier: { type: sparsifierType, scope: 'global' },
  optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay },
  lrSchedule,
  // a dense phase from level 4 on, so that level 4's v0 stops at a phase-5 start (a `--prefix-from` for level 5),
  // not at a finished run; phases 1–4 do not depend on it (each phase has its own schedule)
  epochs: { warmup: 2, perPhase, dense: gapLevel >= 4 ? perPhase : 0 },
  batchSize: 128,
  evalEvery: 'phase',
};

export interface Result {
  seed: number;
  variant: string;
  /** Test accuracy (10,000 images) of the level the variant is about (2, or 1 for the prefix). */
  accuracy: number;
  loss: number;
  /** Training loss / accuracy of the last epoch. */
  trainLoss: number;
  trainAccuracy: number;
  /** Epochs behind the measured network. */
  epochs: number;
  sparsity: number;
  seconds: number;
  /** `--prefix-from`: the checkpoint this prefix was taken from (not trained here; its numbers are that run's). */
  from?: string;
}

interface Variant {
  name: string;
  what: string;
  /** Epochs behind level 2 (prefix: level 1), given the epochs per phase. */
  epochs: (perPhase: number) => number;
  run(ctx: { seed: number; run: PreparedRun; config: RunConfig; dir: string }): Promise<Omit<Result, 'seed' | 'variant' | 'epochs' | 'seconds'>>;
  /** Resumes from the seed's prefix checkpoint (phase2 variants), so the prefix must be trained first. */
  fromPrefix?: boolean;
}

const prefixPath = (dir: string) => path.join(dir, 'prefix.elsa.safetensors');
const shadowPath = (dir: string) => path.join(dir, 'shadow.json');

/**
 * Collects the level-done accuracy and the last epoch's training numbers from the trainer's events, and prints
 * one line per epoch to stderr (a probe runs 15–35 minutes; without them its log is silent until the result).
 */
function recorder(level: number) {
  const out = { accuracy: NaN, loss: NaN, trainLoss: NaN, trainAccuracy: NaN, sparsity: NaN };
  const emit = (e: TrainingEvent) => {
    if (e.type === 'epoch') {
      process.stderr.write(`  ${formatEpochLine(e, phaseProgressLabel(e.phase, undefined))}\n`);
      out.trainLoss = e.loss;
      out.trainAccuracy = e.accuracy;
    }
    if (e.type === 'level-done' && e.level === level) Object.assign(out, { accuracy: e.accuracy, loss: e.loss, sparsity: e.sparsity });
  };
  return { out, emit };
}

/** Phase 2 resumed from the seed's level-1 checkpoint, with a changed config and/or start state. */
function phase2(
  name: string,
  what: string,
  epochs: (perPhase: number) => number,
  change: {
    config?: (c: RunConfig) => RunConfig;
    state?: (s: SavedState, dir: string) => void;
    /** Level-1 weights stay trainable in phase 2 (a probe of what freezing costs; breaks nesting). */
    unfreezeLevel1?: boolean;
    /** Only in the layers (weight tensors) this accepts, given the tensor's weight count. */
    unfreezeWhere?: (tensor: string, size: number) => boolean;
  } = {},
): Variant {
  return {
    name,
    what,
    epochs,
    fromPrefix: true,
    async run({ run, config, dir }) {
      const state = await loadTrainingState(prefixPath(dir));
      if (!state || state.training.phase !== gapLevel || state.training.epoch !== 0) throw new Error(`${prefixPath(dir)} is not a phase-${gapLevel} start`);
      change.state?.(state, dir);
      const cfg = change.config ? change.config(config) : config;
      const { out, emit } = recorder(gapLevel);
      const controller = new AbortController();
      const restore = change.unfreezeLevel1 ? unfreeze(state, change.unfreezeWhere) : () => {};
      try {
        await run.train({
          config: cfg,
          kind: 'elsa',
          model: await run.buildModel(),
          checkpointPath: path.join(dir, `${name}.elsa.safetensors`),
          resumeFrom: state,
          emit,
          signal: controller.signal,
          onLevelDone: async (level) => {
            if (level === gapLevel) controller.abort();
          },
        });
      } finally {
        restore();
      }
      return out;
    },
  };
}

/** A phase-2 config change: the cosine restarts at `factor` × the base learning rate. */
function phase2Rate(factor: number): (c: RunConfig) => RunConfig {
  return (c) => ({ ...c, optimizer: { ...c.optimizer, learningRate: c.optimizer.learningRate * factor } });
}

/**
 * Wrap MaskedOptimizer.setUpdateMask so that the weights of levels below the measured one (codes 1..L−1) are
 * updated too — in every layer, or in those `where` accepts. Returns the undo.
 */
function unfreeze(state: SavedState, where: (tensor: string, size: number) => boolean = () => true): () => void {
  const original = MaskedOptimizer.prototype.setUpdateMask;
  MaskedOptimizer.prototype.setUpdateMask = function (this: MaskedOptimizer, name: string, mask: Uint8Array | null) {
    const codes = state.codes[name];
    if (mask && codes && where(name, codes.length)) {
      const m = Uint8Array.from(mask);
      for (let i = 0; i < m.length; i++) if (codes[i] >= 1 && codes[i] < gapLevel) m[i] = 1;
      return original.call(this, name, m);
    }
    return original.call(this, name, mask);
  };
  return () => {
    MaskedOptimizer.prototype.setUpdateMask = original;
  };
}

/** Free weights (code > 1) restart from the value they had when phase 1 pruned them, instead of +0. */
function restoreShadow(state: SavedState, dir: string): void {
  const shadow = JSON.parse(readFileSync(shadowPath(dir), 'utf8')) as Record<string, Record<string, number>>;
  for (const [name, entries] of Object.entries(shadow)) {
    const w = state.weights[name].data as Float32Array;
    const codes = state.codes[name];
    for (const [i, v] of Object.entries(entries)) if (codes[Number(i)] > 1) w[Number(i)] = v;
  }
}

/**
 * The independent level-L network's route with ELSA's schedule shape but no detour through the sparser levels:
 * warm-up, one GMP phase to level L's sparsity, then L − 1 fine-tunes of that fixed mask, each a phase with the
 * cosine restarted (2 + L · per-phase epochs, as many as ELSA's level L). Run as ELSA with levels [t, t − ε, …]
 * (the later levels add no weight) whose update mask from phase 2 on is replaced by level 1's weights: the
 * level-L network trains, the free weights stay at +0 and are never re-opened. Level 2 (the default) is
 * `two-cycle-90` (`two-cycle-98` with `--levels 0.99,0.98`); `--level 3` runs `cycles-L3` (75 %, three cycles), `--level 4` `cycles-L4`,
 * `--level 5` `cycles-L5` (the dense network, five cycles: the dense baseline in ELSA's schedule).
 *
 * `reopen` (`dense-cycles-L<level>`) re-opens them instead: in each later phase the pruned weights train again
 * from +0 beside the level-L network (which keeps training, never frozen) and GMP prunes them back to +0 over
 * the phase's ramp, so the mask ends where it started. It adds ELSA's dense-then-sparse episodes (the free
 * weights training densely at every phase start) to `cycles` without ELSA's growing mask or freezing.
 */
function cycles(level: number, reopen = false): Variant {
  // The dense level (L = K + 1): the dense network alone in ELSA's schedule (warm-up, then K + 1 phases with the
  // rate restarted, nothing pruned). Its "levels" are K sparsities so small that no weight goes (round((1 − 4e-9) · n)
  // = n below 1.25e8 weights), so level 1 holds every weight and the update mask fixed to it trains them all.
  const dense = level > BASE.levels.length;
  const target = dense ? BASE.levels.length * 1e-9 : BASE.levels[level - 1];
  const step = dense ? 1e-9 : 1e-7;
  const name = reopen ? `dense-cycles-L${level}` : level === 2 ? `two-cycle-${pctName(target)}` : `cycles-L${level}`;
  return {
    name,
    what: dense
      ? `probe: the dense network alone in ELSA's schedule (warm-up, then ${level} phases with the LR restarted, nothing pruned)`
      : reopen
      ? `probe: ${Math.round(target * 100)} % in one phase, then ${level - 1} phase(s) that re-open the pruned weights and prune them back (same mask, LR restarted)`
      : `probe: ${Math.round(target * 100)} % in one phase, then ${level - 1} fixed-mask phase(s) with the LR restarted (ELSA's schedule, no detour)`,
    epochs: (pp) => 2 + level * pp,
    async run({ run, config, dir }) {
      // The dense probe's last phase is the trainer's dense phase: one phase's epochs, as `epochs` above counts.
      const epochs = dense ? { ...config.epochs, dense: config.epochs.perPhase } : config.epochs;
      const cfg: RunConfig = { ...config, epochs, levels: Array.from({ length: dense ? level - 1 : level }, (_, i) => target - i * step) };
      const { out, emit } = recorder(level);
      const controller = new AbortController();
      const original = MaskedOptimizer.prototype.setUpdateMask;
      let fixed = false;
      const levelOne = new Map<string, Uint8Array>();
      MaskedOptimizer.prototype.setUpdateMask = function (this: MaskedOptimizer, tensor: string, mask: Uint8Array | null) {
        if (!fixed || !mask) return original.call(this, tensor, mask);
        // The first phase-2 mask is "every free weight" (all active at the phase start): level 1 is its complement.
        if (!levelOne.has(tensor)) levelOne.set(tensor, mask.map((m) => (m ? 0 : 1)));
        const one = levelOne.get(tensor) as Uint8Array;
        // reopen: the free weights GMP still holds active train too (the level-L network is never frozen).
        return original.call(this, tensor, reopen ? mask.map((m, i) => m | one[i]) : one);
      };
      try {
        await run.train({
          config: cfg,
          targets: cfg.levels,
          kind: 'elsa',
          model: await run.buildModel(),
          checkpointPath: path.join(dir, `${name}.elsa.safetensors`),
          emit,
          signal: controller.signal,
          onLevelDone: async (done) => {
            if (done === 1) fixed = true;
            if (done === level) controller.abort();
          },
        });
      } finally {
        MaskedOptimizer.prototype.setUpdateMask = original;
      }
      return out;
    },
  };
}

/** `--prefix-from`: level L−1's v0 checkpoint (a phase-L start) becomes this seed's prefix, checked first. */
async function prefixFromEarlierLevel(seed: number, config: RunConfig, dir: string): Promise<Omit<Result, 'seed' | 'variant' | 'epochs' | 'seconds'>> {
  const source = path.join(prefixFrom as string, `s${seed}`, 'v0.elsa.safetensors');
  const line = readResults(path.join(prefixFrom as string, 'results.jsonl')).find((r) => r.seed === seed && r.variant === 'v0');
  if (!line || !existsSync(source)) return usage(`--prefix-from: ${prefixFrom} has no finished v0 for seed ${seed}`);
  const state = await loadTrainingState(source);
  if (!state || state.training.phase !== gapLevel || state.training.epoch !== 0) usage(`--prefix-from: ${source} is not a phase-${gapLevel} start`);
  const theirs = state.meta.config as Partial<RunConfig> | undefined;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const mismatch = (['seed', 'model', 'sparsifier', 'levels', 'optimizer', 'lrSchedule', 'batchSize'] as const).find((k) => !same(theirs?.[k], config[k]));
  if (mismatch) usage(`--prefix-from: ${source} differs from this run in ${mismatch}`);
  if (theirs?.epochs?.warmup !== config.epochs.warmup || theirs?.epochs?.perPhase !== config.epochs.perPhase) usage(`--prefix-from: ${source} differs from this run in epochs`);
  copyFileSync(source, prefixPath(dir));
  return { accuracy: line.accuracy, loss: line.loss, trainLoss: line.trainLoss, trainAccuracy: line.trainAccuracy, sparsity: line.sparsity, from: source };
}

/** A layer this small (weights) is "small" for the unfrozen-small / unfrozen-large probes. */
const SMALL_LAYER = 1024;

const VARIANTS: Variant[] = [
  {
    name: 'prefix',
    what: 'warm-up + phases up to level L−1 (level 1, 95 %, by default); records each weight phase 1 pruned with its last value',
    epochs: (pp) => 2 + (gapLevel - 1) * pp,
    async run({ run, config, dir, seed }) {
      if (prefixFrom) return prefixFromEarlierLevel(seed, config, dir);
      const { out, emit } = recorder(gapLevel - 1);
      const controller = new AbortController();
      const shadow: Record<string, Record<number, number>> = {};
      await run.train({
        config,
        kind: 'elsa',
        model: await run.buildModel(),
        checkpointPath: prefixPath(dir) + '.tmp.elsa.safetensors',
        emit,
        signal: controller.signal,
        onSelect: (sel) => {
          if (sel.phase !== 1) return;
          sel.tensors.forEach((t, j) => {
            const m = sel.masks[j];
            const s = (shadow[t.name] ??= {});
            for (let i = 0; i < m.length; i++) if (!m[i] && !t.frozen[i] && t.values[i] !== 0) s[i] = t.values[i];
          });
        },
        onLevelDone: async (level) => {
          if (level === gapLevel - 1) controller.abort();
        },
      });
      writeFileSync(shadowPath(dir), JSON.stringify(shadow));
      copyFileSync(prefixPath(dir) + '.tmp.elsa.safetensors', prefixPath(dir));
      return out;
    },
  },
  phase2('v0', 'ELSA as it is (control: must equal the study\'s level L)', (pp) => 2 + gapLevel * pp),
  phase2('restore', 'H1: free weights restart from their value before phase-1 pruning, not +0', (pp) => 2 + 2 * pp, { state: restoreShadow }),
  phase2('rampstart-0.33', 'H1: GMP ramp starts after 1/3 of the phase (free weights train 1 epoch first)', (pp) => 2 + 2 * pp, {
    config: (c) => ({ ...c, sparsifier: { ...c.sparsifier, rampStart: 1 / 3 } as RunConfig['sparsifier'] }),
  }),
  phase2('unfrozen', 'H2 probe: the weights of levels < L keep training in phase L (no nesting)', (pp) => 2 + gapLevel * pp, { unfreezeLevel1: true }),
  phase2('unfrozen-small', `probe: level 1 keeps training in phase 2 only in the small layers (≤ ${SMALL_LAYER} weights: the residual CNN's stem, projections and logits)`, (pp) => 2 + gapLevel * pp, {
    unfreezeLevel1: true,
    unfreezeWhere: (_, size) => size <= SMALL_LAYER,
  }),
  phase2('unfrozen-large', `probe: level 1 keeps training in phase 2 only in the layers over ${SMALL_LAYER} weights`, (pp) => 2 + gapLevel * pp, {
    unfreezeLevel1: true,
    unfreezeWhere: (_, size) => size > SMALL_LAYER,
  }),
  phase2('unfrozen-restore', 'probe: unfrozen + restore (no nesting, no regrowth from zero: only the 95 % detour is left)', (pp) => 2 + 2 * pp, {
    unfreezeLevel1: true,
    state: restoreShadow,
  }),
  cycles(2),
  ...(gapLevel >= 3 ? [cycles(gapLevel)] : []),
  ...(gapLevel <= 4 ? [cycles(gapLevel, true)] : []),
  phase2('lr-0.3', 'H3: phase 2 restarts the cosine at 0.3 × the base rate', (pp) => 2 + 2 * pp, { config: phase2Rate(0.3) }),
  {
    name: 'independent-90-cheap',
    what: 'elsa baseline: independent 90 % at the cheap budget (warm-up 2 + one phase)',
    epochs: (pp) => 2 + pp,
    async run({ run, config, dir }) {
      const job = baselineJobs(config).find((j) => j.kind === 'independent' && j.level === 2 && j.budgets.includes('cheap'));
      if (!job) throw new Error('no cheap level-2 baseline job');
      const { out, emit } = recorder(1);
      await run.train({ config: job.config, kind: 'independent', targets: job.targets, model: await run.buildModel(), checkpointPath: path.join(dir, job.file), emit });
      return out;
    },
  },
  {
    name: 'independent-90-11ep',
    what: 'independent 90 % with 3 more epochs (warm-up 2 + one 9-epoch phase): the budget of phase2-6ep',
    epochs: () => 11,
    async run({ run, config, dir }) {
      const cfg: RunConfig = { ...config, epochs: { warmup: 2, perPhase: 9, dense: 0 } };
      const { out, emit } = recorder(1);
      await run.train({ config: cfg, kind: 'independent', targets: [0.9], model: await run.buildModel(), checkpointPath: path.join(dir, 'independent-90-11ep.safetensors'), emit });
      return out;
    },
  },
  phase2('lr-2', 'H3 reversed: phase 2 restarts the cosine at 2 × the base rate', (pp) => 2 + 2 * pp, { config: phase2Rate(2) }),
  phase2('unfrozen-lr-2', 'probe: unfrozen with phase 2 at 2 × the base rate (the pair of lr-2: does a faster rate help frozen more?)', (pp) => 2 + gapLevel * pp, {
    unfreezeLevel1: true,
    config: phase2Rate(2),
  }),
  {
    name: REFERENCE,
    what: 'elsa baseline: the independent network of level L at the strict budget (level 2: warm-up 2 + one phase of 2 × per-phase epochs; level 5: the dense baseline)',
    epochs: (pp) => 2 + gapLevel * pp,
    async run({ run, config, dir }) {
      const job = baselineJobs(config).find((j) => j.level === gapLevel && j.budgets.includes('strict'));
      if (!job) throw new Error(`no strict level-${gapLevel} baseline job`);
      const { out, emit } = recorder(1);
      await run.train({ config: job.config, kind: job.kind, targets: job.targets, model: await run.buildModel(), checkpointPath: path.join(dir, job.file), emit });
      return out;
    },
  },
  phase2('phase2-6ep', 'H2: phase 2 trains twice the epochs of phase 1 (11 epochs in all at per-phase 3)', (pp) => 2 + 3 * pp, {
    config: (c) => ({ ...c, epochs: { ...c.epochs, perPhase: 2 * c.epochs.perPhase } }),
  }),
  phase2('ramp-0.5', 'phase 2 reaches its target at 1/2 of the phase (1.5 epochs of fine-tuning instead of 0.75)', (pp) => 2 + 2 * pp, {
    config: (c) => ({ ...c, sparsifier: { ...c.sparsifier, rampFraction: 0.5 } }),
  }),
  phase2('ramp-0.9', 'phase 2 reaches its target at 0.9 of the phase (a longer, gentler ramp; 0.3 epochs of fine-tuning)', (pp) => 2 + 2 * pp, {
    config: (c) => ({ ...c, sparsifier: { ...c.sparsifier, rampFraction: 0.9 } }),
  }),
  phase2('restore-rampstart', 'H1: restore + ramp start 1/3', (pp) => 2 + 2 * pp, {
    state: restoreShadow,
    config: (c) => ({ ...c, sparsifier: { ...c.sparsifier, rampStart: 1 / 3 } as RunConfig['sparsifier'] }),
  }),
];

function readResults(file = resultsFile): Result[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l, i) => {
      if (!l) return [];
      try {
        return [JSON.parse(l) as Result];
      } catch (e) {
        // main() prints this one line: which file, which line, what is wrong
        throw new Error(`${file}:${i + 1}: not a result line (${e instanceof Error ? e.message : String(e)})`);
      }
    })
    .map((r) => ({ ...r, variant: ALIASES[r.variant] ?? r.variant }));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1); NaN for fewer than two values. */
const sd = (xs: number[]) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
/** An accuracy (0..1) in percent, and a difference of two with its sign. */
const pct = (x: number) => (100 * x).toFixed(2);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x))}`;

/**
 * One row per variant: accuracy per seed, mean ± sd over seeds, and the paired difference to the independent
 * 90 % network trained for the same number of epochs on the same seed (mean ± sd of the per-seed differences).
 */
function table(): void {
  const results = readResults();
  const names = [...new Set(results.map((r) => r.variant))];
  const seedList = [...new Set(results.map((r) => r.seed))].sort((a, b) => a - b);
  const independent = (seed: number, epochs: number) => results.find((r) => r.seed === seed && r.epochs === epochs && r.variant.startsWith('independent'));
  // without --level, the level the results are about: their level-L variants name it (else level 2)
  const named = results.map((r) => /-L([2-5])(-strict)?$/.exec(r.variant)?.[1]).find(Boolean);
  const level = opt('level') === undefined && named ? Number(named) : gapLevel;
  console.log(`Test accuracy (%) on the 10,000 test images; ${resultsFile}`);
  console.log('');
  console.log(`| variant | epochs | ${seedList.map((s) => `seed ${s}`).join(' | ')} | mean ± sd | Δ vs ${level === 5 ? 'the dense baseline' : `independent ${pctName(LEVELS[level - 1] ?? STUDY_LEVELS[level - 1])} %`} at equal epochs, mean ± sd (per seed) | train loss |`);
  console.log(`|---|---|${seedList.map(() => '---|').join('')}---|---|---|`);
  for (const n of names) {
    const rows = seedList.map((s) => results.find((r) => r.seed === s && r.variant === n));
    const present = rows.filter((r): r is Result => !!r);
    const accs = present.map((r) => r.accuracy);
    const paired = present.flatMap((r) => {
      const ref = independent(r.seed, r.epochs);
      return ref && !n.startsWith('independent') && n !== 'prefix' ? [r.accuracy - ref.accuracy] : [];
    });
    const epochs = [...new Set(present.map((r) => r.epochs))].join('/');
    const delta = paired.length ? `${signed(mean(paired))} ± ${pct(sd(paired))} (${paired.map(signed).join(', ')})` : '';
    console.log(
      `| ${n} | ${epochs} | ${rows.map((r) => (r ? pct(r.accuracy) : '—')).join(' | ')} | ${pct(mean(accs))} ± ${pct(sd(accs))} | ${delta} | ${mean(present.map((r) => r.trainLoss)).toFixed(4)} |`,
    );
  }
}

/**
 * What freezing costs: ELSA (v0) minus each probe that unfreezes level 1 (unfrozen, unfrozen-small, …), paired
 * per seed (test accuracy, percentage points), with the mean training loss of the last epoch of both sides.
 */
function freezing(): void {
  const results = readResults();
  console.log(`ELSA (v0) − probe, test accuracy on 10,000 images, paired per seed; ${resultsFile}`);
  console.log('');
  console.log('| probe | seeds | ELSA | probe | Δ ELSA − probe, mean ± sd (per seed) | train loss ELSA / probe |');
  console.log('|---|---|---|---|---|---|');
  for (const probe of [...new Set(results.map((r) => r.variant))].filter((v) => v.startsWith('unfrozen'))) {
    const pairs = results
      .filter((r) => r.variant === probe)
      .flatMap((p) => results.filter((r) => r.variant === 'v0' && r.seed === p.seed).map((v) => ({ v, p })))
      .sort((a, b) => a.v.seed - b.v.seed);
    if (!pairs.length) continue;
    const d = pairs.map(({ v, p }) => v.accuracy - p.accuracy);
    console.log(
      `| ${probe} | ${pairs.map(({ v }) => v.seed).join(', ')} | ${pct(mean(pairs.map(({ v }) => v.accuracy)))} | ${pct(mean(pairs.map(({ p }) => p.accuracy)))} | ` +
        `${signed(mean(d))} ± ${pct(sd(d))} (${d.map(signed).join(', ')}) | ${mean(pairs.map(({ v }) => v.trainLoss)).toFixed(3)} / ${mean(pairs.map(({ p }) => p.trainLoss)).toFixed(3)} |`,
    );
  }
}

/** Per-layer weights kept at the measured level of every checkpoint of one seed (how global ranking split them). */
async function layers(): Promise<void> {
  const { readElsaCheckpoint } = await import('../../src/core/io/elsaCheckpoint');
  const { readdirSync } = await import('node:fs');
  for (const seed of seeds) {
    const dir = path.join(outDir, `s${seed}`);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.safetensors') && !x.includes('.tmp.'))) {
      const ckpt = await readElsaCheckpoint(path.join(dir, f));
      const level = f.startsWith('independent') || f.startsWith('prefix') ? 1 : 2;
      const parts: string[] = [];
      for (const n of ckpt.sparseWeightNames) {
        const c = await ckpt.readCodes(n);
        let kept = 0;
        for (let i = 0; i < c.length; i++) if (c[i] <= level) kept++;
        parts.push(`${n} ${kept}/${c.length} (${((100 * kept) / c.length).toFixed(1)} %)`);
      }
      await ckpt.close();
      console.log(`seed ${seed} ${f} level ${level}: ${parts.join(', ')}`);
    }
  }
}

/**
 * How much of ELSA's level 1 an unconstrained 90 % network would have kept: the share of level-1 weights (prefix,
 * code 1) inside the strict independent 90 % network's mask, and the overlap of ELSA's level-2 mask with it.
 */
async function overlap(): Promise<void> {
  const { readElsaCheckpoint } = await import('../../src/core/io/elsaCheckpoint');
  const masks = async (file: string, level: number) => {
    const ckpt = await readElsaCheckpoint(file);
    const out = new Map<string, Uint8Array>();
    for (const n of ckpt.sparseWeightNames) out.set(n, (await ckpt.readCodes(n)).map((c) => (c <= level ? 1 : 0)));
    await ckpt.close();
    return out;
  };
  const share = (a: Map<string, Uint8Array>, b: Map<string, Uint8Array>) => {
    let both = 0;
    let inA = 0;
    for (const [n, m] of a) {
      const other = b.get(n) as Uint8Array;
      for (let i = 0; i < m.length; i++) {
        if (!m[i]) continue;
        inA++;
        both += other[i];
      }
    }
    return `${both}/${inA} (${((100 * both) / inA).toFixed(1)} %)`;
  };
  for (const seed of seeds) {
    const dir = path.join(outDir, `s${seed}`);
    const independent = path.join(dir, `${REFERENCE}-${2 + 2 * perPhase}ep.safetensors`);
    if (!existsSync(independent) || !existsSync(prefixPath(dir))) continue;
    const ind = await masks(independent, 1);
    const l1 = await masks(prefixPath(dir), 1);
    const parts = [`level 1 ${share(l1, ind)}`];
    for (const v of ['v0', 'restore', 'unfrozen', 'unfrozen-restore', 'phase2-6ep']) {
      const file = path.join(dir, `${v}.elsa.safetensors`);
      if (existsSync(file)) parts.push(`${v} level 2 ${share(await masks(file, 2), ind)}`);
    }
    console.log(`seed ${seed}, weights inside the independent ${pctName(LEVELS[1])} % mask: ${parts.join('; ')}`);
  }
}

/**
 * How far the level-1 weights (prefix, code 1) move in phase 2 when they may (`unfrozen`), per layer and over all
 * layers: the norm ratio, the cosine between start and end, ‖Δ‖/‖start‖; and how large the weights phase 2
 * added (code 2) are next to level 1's, in ELSA (`v0`, level 1 frozen) and unfrozen. Needs the seed's prefix,
 * unfrozen and v0 checkpoints.
 */
async function movement(): Promise<void> {
  const { readElsaCheckpoint } = await import('../../src/core/io/elsaCheckpoint');
  const f = (x: number) => x.toFixed(2);
  type Sums = { a: number; b: number; ab: number; d: number; newV0: number; l1V0: number; newU: number };
  const row = (name: string, x: Sums) =>
    `| ${name} | ${f(Math.sqrt(x.b / x.a))} | ${(x.ab / Math.sqrt(x.a * x.b)).toFixed(3)} | ${f(Math.sqrt(x.d / x.a))} | ${f(Math.sqrt(x.newV0 / x.l1V0))} | ${f(Math.sqrt(x.newU / x.b))} |`;
  for (const seed of seeds) {
    const dir = path.join(outDir, `s${seed}`);
    const files = ['prefix', 'unfrozen', 'v0'].map((v) => path.join(dir, `${v}.elsa.safetensors`));
    if (!files.every((x) => existsSync(x))) continue;
    const [pre, unf, v0] = await Promise.all(files.map((x) => readElsaCheckpoint(x)));
    const rows: string[] = [];
    const all: Sums = { a: 0, b: 0, ab: 0, d: 0, newV0: 0, l1V0: 0, newU: 0 };
    for (const n of pre.sparseWeightNames) {
      const codes = await pre.readCodes(n);
      const [a, b, v] = await Promise.all([pre, unf, v0].map(async (c) => (await c.readWeight(n)).data as Float32Array));
      const [codesU, codesV] = [await unf.readCodes(n), await v0.readCodes(n)];
      const t: Sums = { a: 0, b: 0, ab: 0, d: 0, newV0: 0, l1V0: 0, newU: 0 };
      for (let i = 0; i < codes.length; i++) {
        if (codes[i] === 1) {
          t.a += a[i] ** 2;
          t.b += b[i] ** 2;
          t.ab += a[i] * b[i];
          t.d += (a[i] - b[i]) ** 2;
          t.l1V0 += v[i] ** 2;
        }
        if (codesV[i] === 2) t.newV0 += v[i] ** 2;
        if (codesU[i] === 2) t.newU += b[i] ** 2;
      }
      for (const k of Object.keys(t) as (keyof Sums)[]) all[k] += t[k];
      rows.push(row(n, t));
    }
    rows.push(row('**all**', all));
    await Promise.all([pre, unf, v0].map((c) => c.close()));
    console.log(`seed ${seed}, ${dir}: level-1 weights, phase-2 start (prefix) → end when unfrozen; added = code-2 weights`);
    console.log('');
    console.log('| layer | ‖end‖/‖start‖ | cos(start, end) | ‖Δ‖/‖start‖ | ‖added‖/‖level 1‖, ELSA | the same, unfrozen |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log('');
  }
}

/** The seed's probe model as a TF.js Layers model.json, written once per output folder. */
async function probeModelFile(build: (seed: number) => tf.LayersModel, seed: number): Promise<string> {
  const file = path.join(outDir, 'models', `${modelType}-s${seed}`, 'model.json');
  if (existsSync(file)) return file;
  await initEngine();
  const model = build(seed);
  await saveLayersModelFile(model, file);
  model.dispose();
  return file;
}

async function main(): Promise<void> {
  if (args.includes('--movement')) return movement();
  if (args.includes('--freezing')) return freezing();
  if (args.includes('--overlap')) return overlap();
  if (args.includes('--table')) return table();
  if (args.includes('--layers')) return layers();
  mkdirSync(outDir, { recursive: true });
  const done = new Set(readResults().map((r) => `${r.seed}/${r.variant}`));
  for (const seed of seeds) {
    const probe = PROBE_MODELS[modelType];
    const model = probe ? { type: 'layers-json' as const, path: await probeModelFile(probe, seed) } : BASE.model;
    const config = resolveRunConfig({ ...BASE, model, ...(limit ? { data: { ...BASE.data, limitTrain: limit, limitTest: limit } } : {}), seed, outDir }, path.join(outDir, 'level-gap.elsa.json'), process.cwd());
    const dir = path.join(outDir, `s${seed}`);
    mkdirSync(dir, { recursive: true });
    let run: PreparedRun | undefined;
    for (const v of VARIANTS) {
      if (done.has(`${seed}/${v.name}`) || (only && !only.includes(v.name) && v.name !== 'prefix')) continue;
      // The prefix is trained only for variants that resume from it (not the probes and baselines trained from scratch).
      if (v.name === 'prefix' && only && !only.includes('prefix') && !VARIANTS.some((x) => x.fromPrefix && only.includes(x.name))) continue;
      run ??= await prepareRun(config);
      const started = Date.now();
      console.log(`[${new Date().toISOString()}] seed ${seed} ${v.name}: ${v.what}`);
      const r = await v.run({ seed, run, config, dir });
      const result: Result = { seed, variant: v.name, epochs: v.epochs(perPhase), ...r, seconds: (Date.now() - started) / 1000 };
      appendFileSync(resultsFile, JSON.stringify(result) + '\n');
      console.log(`  -> level acc ${(100 * result.accuracy).toFixed(2)} %, train loss ${result.trainLoss.toFixed(4)}, ${result.seconds.toFixed(0)} s`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
