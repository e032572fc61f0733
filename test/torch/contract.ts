/**
 * The checkpoint and events contract (docs/format.md), checked the same way on a file from either engine:
 * the metadata the TypeScript reader accepts, codes in 1..K+1 whose level sparsities match the recorded ones,
 * the tightest packing, per-level small parameters, extraction (+0 outside the mask), `elsa inspect`, the
 * dashboard's summary / heatmaps / histograms, and an events.jsonl whose every line has its event's shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ElsaMetadata } from '../../src/protocol/checkpoint';
import { summarizeStore, heatmapFromStore, histogramFromStore } from '../../src/core/inspectStore';
import { fileByteSource } from '../../src/core/io/byteSource';
import { packingFor } from '../../src/core/io/codePacking';
import { levelSparsity, readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { inspectFile } from '../../src/core/io/inspect';
import { extractLevel } from '../../src/core/method/extract';
import { openSafetensorsStore } from '../../src/core/tensorStore';
import { foldProgress, type RunProgress } from '../../src/extension/progressModel';
import { parseTrainingEvent, type TrainingEvent } from '../../src/protocol/events';

type Shape = Record<string, 'string' | 'number' | 'object' | 'number?' | 'object?' | 'string?' | 'array'>;
const POINT: Shape = { time: 'string', phase: 'number', epoch: 'number', step: 'number', loss: 'number', accuracy: 'number' };
const SHAPES: Record<TrainingEvent['type'], Shape> = {
  'run-start': { time: 'string', run: 'string', kind: 'string', targets: 'array', backend: 'string', config: 'object' },
  'phase-start': { time: 'string', phase: 'number', targetSparsity: 'number', epochs: 'number' },
  epoch: { ...POINT, evalLoss: 'number?', evalAccuracy: 'number?', sparsity: 'number', layerSparsity: 'object?', seconds: 'number', samplesPerSecond: 'number', learningRate: 'number' },
  step: POINT,
  'level-done': { time: 'string', level: 'number', targetSparsity: 'number', sparsity: 'number', accuracy: 'number', loss: 'number' },
  checkpoint: { time: 'string', path: 'string', phase: 'number', epoch: 'number' },
  'run-end': { time: 'string', status: 'string', seconds: 'number', message: 'string?' },
};

/** Every field of the event's interface in src/protocol/events.ts, with its type; problems as text. */
export function eventProblems(e: TrainingEvent): string[] {
  const out: string[] = [];
  const rec = e as unknown as Record<string, unknown>;
  for (const [key, want] of Object.entries(SHAPES[e.type])) {
    const v = rec[key];
    const optional = want.endsWith('?');
    if (v === undefined && optional) continue;
    const base = want.replace('?', '');
    const good = base === 'array' ? Array.isArray(v) : base === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === base && v !== null;
    if (!good) out.push(`${e.type}.${key} is ${JSON.stringify(v)}, expected ${want}`);
  }
  if (e.type === 'run-end' && !['complete', 'failed', 'cancelled'].includes(e.status)) out.push(`run-end.status ${e.status}`);
  if (e.type === 'run-start' && !['elsa', 'independent', 'dense'].includes(e.kind)) out.push(`run-start.kind ${e.kind}`);
  return out;
}

export async function checkCheckpointContract(file: string): Promise<ElsaMetadata> {
  const ck = await readElsaCheckpoint(file);
  const { meta } = ck;
  const K = meta.targets.length;
  try {
    assert.equal(meta.format, 'elsa/1');
    assert.equal(meta.training?.status, 'complete');
    assert.deepEqual(meta.levels.map((l) => l.index), Array.from({ length: K + 1 }, (_, i) => i + 1));
    assert.equal(meta.levels[K].dense, true);
    assert.equal(meta.packing, packingFor(K), 'the tightest bits<N> packing');
    assert.ok(ck.sparseWeightNames.length > 0);
    const all: Uint8Array[] = [];
    for (const name of ck.sparseWeightNames) {
      const codes = await ck.readCodes(name); // throws on codes outside 1..K+1
      all.push(codes);
      for (let k = 1; k <= K + 1; k++) {
        const recorded = meta.levels[k - 1].layerSparsity?.[name];
        assert.ok(recorded !== undefined && Math.abs(recorded - levelSparsity(codes, k)) < 1e-9, `${name}: level ${k} sparsity ${recorded} vs codes ${levelSparsity(codes, k)}`);
      }
    }
    for (let k = 1; k <= K + 1; k++) {
      const total = all.reduce((n, c) => n + c.length, 0);
      const out = all.reduce((n, c) => n + c.filter((v) => v > k).length, 0);
      assert.ok(Math.abs(meta.levels[k - 1].sparsity - out / total) < 1e-9, `level ${k}: recorded sparsity vs codes`);
    }
    // Per-level small parameters: every non-sparsified tensor has a copy for each level.
    const small = ck.weightNames.filter((n) => !ck.sparseWeightNames.includes(n));
    assert.ok(meta.smallParams, 'smallParams');
    for (const n of small) assert.equal(meta.smallParams.perLevel[n]?.length, K + 1, `smallParams.perLevel["${n}"]`);
    for (const k of [1, K + 1]) {
      const level = await extractLevel(file, k);
      const own = await ck.readLevelParams(k);
      for (const n of small) assert.deepEqual(Array.from(level.weights[n].data as Float32Array), Array.from(own[n].data as Float32Array));
      for (const n of ck.sparseWeightNames) {
        const codes = await ck.readCodes(n);
        const stored = (await ck.readWeight(n)).data as Float32Array;
        const bits = new Uint32Array((level.weights[n].data as Float32Array).buffer);
        const storedBits = new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
        for (let i = 0; i < codes.length; i++) assert.equal(bits[i], codes[i] <= k ? storedBits[i] : 0, `${n}[${i}] at level ${k}`);
      }
    }
  } finally {
    await ck.close();
  }
  // elsa inspect and the dashboard's three requests
  const report = await inspectFile(file);
  assert.equal(report.kind, 'elsa-checkpoint');
  assert.equal(report.elsa?.levels.length, K + 1);
  for (const t of report.tensors.filter((x) => x.role === 'weight')) assert.equal(t.levelSparsity?.length, K + 1);
  const source = fileByteSource(file);
  try {
    const store = await openSafetensorsStore(source);
    const summary = await summarizeStore(store, { uri: `file://${file}`, fileName: 'x.elsa.safetensors' });
    assert.equal(summary.nestingOk, true, JSON.stringify(summary.nestingProblems));
    for (const layer of store.layers) {
      const h = await heatmapFromStore(store, layer.name, 4096);
      assert.equal(h.codes.length, h.rows * h.cols);
      assert.ok(h.codes.every((c) => c >= 1 && c <= K + 1), `${layer.name}: heatmap codes`);
      const hist = await histogramFromStore(store, layer.name, 16);
      assert.ok(hist, layer.name);
    }
  } finally {
    await source.close?.();
  }
  return meta;
}

export function checkEventsContract(file: string, K: number): TrainingEvent[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const events = lines.map((l, i) => {
    const e = parseTrainingEvent(l);
    assert.ok(e, `events.jsonl line ${i + 1} is not an event: ${l.slice(0, 200)}`);
    assert.deepEqual(eventProblems(e), [], `line ${i + 1}`);
    return e;
  });
  assert.equal(events[0].type, 'run-start');
  const last = events.at(-1);
  assert.ok(last?.type === 'run-end' && last.status === 'complete', `last event ${JSON.stringify(last)}`);
  const phases = events.filter((e) => e.type === 'phase-start').map((e) => (e.type === 'phase-start' ? e.phase : -1));
  assert.deepEqual(phases, Array.from({ length: K + 2 }, (_, i) => i));
  const levels = events.filter((e) => e.type === 'level-done').map((e) => (e.type === 'level-done' ? e.level : -1));
  assert.deepEqual(levels, Array.from({ length: K + 1 }, (_, i) => i + 1));
  assert.ok(events.some((e) => e.type === 'epoch') && events.some((e) => e.type === 'checkpoint'));
  // the status bar's reading of the log ends where the run ended
  const progress = events.reduce<RunProgress>((p, e) => foldProgress(p, e), { status: 'starting' });
  assert.equal(progress.status, 'complete');
  return events;
}
