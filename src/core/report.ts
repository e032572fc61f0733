/**
 * The run report: accuracy against sparsity for ELSA, the independent baselines and the dense network, with
 * the storage each needs (one ELSA checkpoint against K+1 separate models).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunReport, ReportPoint, StorageLine } from '../protocol/report';
import type { ElsaMetadata } from './contract';
import { checkpointError } from './errors';
import { readElsaCheckpoint } from './io/elsaCheckpoint';
import { DENSE_BASELINE_NAME } from './run';

async function readMeta(file: string): Promise<ElsaMetadata> {
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  return ckpt.meta;
}

const point = (l: ElsaMetadata['levels'][number]): ReportPoint => ({
  level: l.index,
  targetSparsity: l.targetSparsity,
  sparsity: l.sparsity,
  accuracy: l.metrics.accuracy ?? NaN,
  loss: l.metrics.loss,
});

/** The ELSA checkpoint of a run folder (exactly one `*.elsa.safetensors`). */
export function findRunCheckpoint(runDir: string): string {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw checkpointError(runDir, 'not a run folder');
  const found = readdirSync(runDir).filter((f) => f.endsWith('.elsa.safetensors'));
  if (found.length === 0) throw checkpointError(runDir, 'no *.elsa.safetensors checkpoint in this folder; run `elsa train` first');
  if (found.length > 1) throw checkpointError(runDir, `several checkpoints here (${found.join(', ')}); keep one run per folder`);
  return path.join(runDir, found[0]);
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
  const baselineDir = path.join(runDir, 'baselines');
  const independent: ReportPoint[] = [];
  const independentFiles: string[] = [];
  let dense: ReportPoint | undefined;
  let denseFile: string | undefined;
  if (existsSync(baselineDir)) {
    for (const f of readdirSync(baselineDir).filter((n) => n.endsWith('.safetensors')).sort()) {
      const file = path.join(baselineDir, f);
      const m = await readMeta(file);
      if (m.training?.status !== 'complete' || m.levels.length === 0) continue;
      if (f === DENSE_BASELINE_NAME) {
        dense = point(m.levels[0]);
        denseFile = file;
      } else if (m.kind === 'independent') {
        independent.push({ ...point(m.levels[0]), level: meta.targets.indexOf(m.targets[0]) + 1 });
        independentFiles.push(file);
      }
    }
  }
  independent.sort((a, b) => b.targetSparsity - a.targetSparsity);
  const size = (f: string) => statSync(f).size;
  const storage: StorageLine[] = [{ label: `ELSA: one checkpoint, all ${meta.levels.length} levels`, bytes: size(checkpoint), files: [path.relative(runDir, checkpoint)] }];
  if (independentFiles.length || denseFile) {
    const files = [...independentFiles, ...(denseFile ? [denseFile] : [])];
    storage.push({ label: `Independent: ${files.length} separate networks`, bytes: files.reduce((n, f) => n + size(f), 0), files: files.map((f) => path.relative(runDir, f)) });
  }
  const config = meta.config as { model?: { type?: string } } | undefined;
  return {
    format: 'elsa-report/1',
    run: path.basename(runDir),
    createdAt: new Date().toISOString(),
    model: config?.model?.type,
    dataset: meta.provenance?.dataset,
    backend: meta.provenance?.backend,
    elsa: meta.levels.map(point),
    independent,
    dense,
    storage,
    smallParamBytes,
  };
}
