/**
 * The run report: accuracy against sparsity for ELSA, the independent baselines (at the strict and the cheap
 * budget, core/budgets.ts) and the dense network, the epochs behind each, and the storage each needs (one
 * ELSA checkpoint against K+1 separate models).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPORT_FORMAT, type ReportPoint, type RunReport, type StorageLine } from '../protocol/report';
import { epochsBehind } from '../protocol/levels';
import { datasetCounts, type Epochs } from './budgets';
import { runIdentity, type RunConfig } from './config';
import type { ElsaMetadata, LevelInfo } from '../protocol/checkpoint';
import { checkpointError } from './errors';
import { readElsaCheckpoint } from './io/elsaCheckpoint';
import { BASELINES_DIR, isCheckpointFile, isSafetensorsFile } from '../protocol/runFolder';
import { formatTargetPercent } from '../protocol/format';

async function readMeta(file: string): Promise<ElsaMetadata> {
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  return ckpt.meta;
}

/** The stored config's epochs (older checkpoints without them count as unknown: NaN). */
export function storedEpochs(meta: ElsaMetadata): Epochs {
  const e = (meta.config as { epochs?: Partial<Epochs> } | undefined)?.epochs;
  return { warmup: e?.warmup ?? NaN, perPhase: e?.perPhase ?? NaN, dense: e?.dense ?? NaN };
}

function point(meta: ElsaMetadata, l: LevelInfo, file: string): ReportPoint | undefined {
  const accuracy = l.metrics.accuracy;
  if (accuracy === undefined || !Number.isFinite(accuracy)) return undefined;
  return {
    level: l.index,
    targetSparsity: l.targetSparsity,
    sparsity: l.sparsity,
    accuracy,
    ...(l.metrics.loss !== undefined && Number.isFinite(l.metrics.loss) ? { loss: l.metrics.loss } : {}),
    epochs: epochsBehind(storedEpochs(meta), meta.targets.length, l.index),
    file,
  };
}

/** The ELSA checkpoint of a run folder (exactly one `*.elsa.safetensors`). */
export function findRunCheckpoint(runDir: string): string {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw checkpointError(runDir, 'not a run folder');
  const found = readdirSync(runDir).filter(isCheckpointFile);
  if (found.length === 0) throw checkpointError(runDir, 'no *.elsa.safetensors checkpoint in this folder; run `elsa train` first');
  if (found.length > 1) throw checkpointError(runDir, `several checkpoints here (${found.join(', ')}); keep one run per folder`);
  return path.join(runDir, found[0]);
}

export function describeTraining(config: Partial<RunConfig> | undefined): string | undefined {
  const o = config?.optimizer;
  if (!o) return undefined;
  const s = config.lrSchedule ?? { type: 'constant' as const };
  const schedule =
    s.type === 'cosine' ? `cosine to ${s.minFactor}× within each phase` : s.type === 'step' ? `×${s.gamma} ${s.stepEpochs ? `every ${s.stepEpochs} epochs` : `at ${s.milestones.join(', ')} of each phase`}` : 'constant';
  return `${o.type} lr ${o.learningRate} (${schedule}), batch ${config.batchSize ?? '?'}`;
}

export async function buildRunReport(runDir: string): Promise<RunReport> {
  const checkpoint = findRunCheckpoint(runDir);
  const ckpt = await readElsaCheckpoint(checkpoint);
  await ckpt.close();
  const { meta } = ckpt;
  // Per-level small parameters: their share of the checkpoint, from the header alone.
  let smallParamBytes = 0;
  for (const [name, entry] of Object.entries(ckpt.header.tensors)) if (name.startsWith('elsa.level')) smallParamBytes += entry.offsets[1] - entry.offsets[0];
  if (meta.training?.status !== 'complete') throw checkpointError(checkpoint, `training is not complete yet (phase ${meta.training?.phase}, epoch ${meta.training?.epoch}); run \`elsa train\` again to finish it`);
  const rel = (f: string) => path.relative(runDir, f);
  const elsa = meta.levels.map((l) => point(meta, l, rel(checkpoint))).filter((p): p is ReportPoint => p !== undefined);
  const K = meta.targets.length;
  const notes: string[] = [];
  const baselineDir = path.join(runDir, BASELINES_DIR);
  const independent: ReportPoint[] = [];
  const independentCheap: ReportPoint[] = [];
  let dense: ReportPoint | undefined;
  if (existsSync(baselineDir)) {
    // A baseline must share everything with the ELSA run but its epochs.
    const runKey = runIdentity(meta.config, ['epochs']);
    for (const f of readdirSync(baselineDir).filter(isSafetensorsFile).sort()) {
      const file = path.join(baselineDir, f);
      const m = await readMeta(file);
      if (m.training?.status !== 'complete' || m.levels.length === 0) continue;
      if (runIdentity(m.config, ['epochs']) !== runKey) {
        notes.push(`baselines/${f} was trained with another config (not only other epochs); left out.`);
        continue;
      }
      const p = point(m, m.levels[0], rel(file));
      if (!p) continue;
      if (m.kind === 'dense') {
        // The fair dense baseline has at least the dense level's epochs; with several, the longest-trained.
        if (!dense || p.epochs > dense.epochs) dense = { ...p, level: K + 1 };
        continue;
      }
      if (m.kind !== 'independent') continue;
      const k = meta.targets.indexOf(m.targets[0]) + 1;
      if (k === 0) continue;
      const strict = epochsBehind(storedEpochs(meta), K, k);
      const cheap = epochsBehind(storedEpochs(meta), 1, 1);
      const q = { ...p, level: k };
      if (p.epochs === strict) independent.push(q);
      if (p.epochs === cheap) independentCheap.push(q);
      if (p.epochs !== strict && p.epochs !== cheap) notes.push(`baselines/${f} has ${p.epochs} epochs, neither the strict (${strict}) nor the cheap (${cheap}) budget of level ${k}; left out.`);
    }
  }
  const elsaDense = elsa.find((p) => p.level === K + 1);
  if (dense && elsaDense && dense.epochs < elsaDense.epochs) notes.push(`The dense baseline has ${dense.epochs} epochs, fewer than ELSA's dense level (${elsaDense.epochs}); rerun \`elsa baseline\`.`);
  const missingStrict = meta.targets.filter((s) => !independent.some((p) => p.targetSparsity === s));
  if (missingStrict.length) notes.push(`No strict-budget independent network for ${missingStrict.map((s) => formatTargetPercent(s)).join(', ')}: run \`elsa baseline <config>\`.`);
  if (!dense) notes.push('No dense baseline: run `elsa baseline <config>`.');
  const byLevel = (a: ReportPoint, b: ReportPoint) => a.level - b.level;
  independent.sort(byLevel);
  independentCheap.sort(byLevel);
  const size = (f: string) => statSync(f).size;
  const storage: StorageLine[] = [{ label: `ELSA: one checkpoint, all ${meta.levels.length} levels`, bytes: size(checkpoint), files: [rel(checkpoint)] }];
  // What a user keeps without ELSA: one network per level (the strict ones) and the dense one.
  const separate = [...independent.map((p) => path.join(runDir, p.file as string)), ...(dense ? [path.join(runDir, dense.file as string)] : [])];
  if (separate.length) storage.push({ label: `Independent: ${separate.length} separate networks`, bytes: separate.reduce((n, f) => n + size(f), 0), files: separate.map(rel) });
  const config = meta.config as Partial<RunConfig> | undefined;
  const counts = datasetCounts(meta.provenance?.dataset);
  return {
    format: REPORT_FORMAT,
    run: path.basename(path.resolve(runDir)),
    createdAt: new Date().toISOString(),
    model: config?.model?.type,
    dataset: meta.provenance?.dataset,
    backend: meta.provenance?.backend,
    testCount: counts.test,
    trainCount: counts.train,
    seeds: typeof config?.seed === 'number' ? [config.seed] : [],
    training: describeTraining(config),
    elsa,
    independent,
    independentCheap,
    dense,
    storage,
    smallParamBytes,
    notes,
  };
}
