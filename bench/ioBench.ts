/**
 * Host-side throughput: level extraction `W ⊙ [code <= k]` (the project's extractLevelWeights) against a
 * plain copy of the same weights, and safetensors checkpoint save/load (src/core/io/safetensors.ts).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractLevelWeights } from '../src/core/io/elsaCheckpoint';
import { readSafetensorsHeader, readTensor, writeSafetensors } from '../src/core/io/safetensors';
import { median } from './stats';

export interface IoResult {
  weights: number;
  extractGBps: number;
  copyGBps: number;
  checkpointMB: number;
  saveMBps: number;
  loadMBps: number;
}

function timed(f: () => void, repeats: number): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function timedAsync(f: () => Promise<void>, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await f();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

export async function runIoBench(count = 16 * 1024 * 1024, repeats = 5): Promise<IoResult> {
  const weights = new Float32Array(count);
  const codes = new Uint8Array(count);
  let s = 12345;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    weights[i] = s / 2 ** 32 - 0.5;
    codes[i] = 1 + (s >>> 30); // levels 1..4 (K = 3 plus dense)
  }
  let sink = 0;
  extractLevelWeights(weights, codes, 2); // warm the JIT
  const extract = timed(() => {
    sink += extractLevelWeights(weights, codes, 2)[count - 1];
  }, repeats);
  const copy = timed(() => {
    sink += weights.slice()[count - 1];
  }, repeats);
  if (Number.isNaN(sink)) throw new Error('unreachable');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'elsa-bench-'));
  const file = path.join(dir, 'bench.safetensors');
  try {
    const tensors = { 'dense/kernel': { dtype: 'F32' as const, shape: [count / 1024, 1024], data: weights } };
    const save = await timedAsync(() => writeSafetensors(file, tensors), repeats);
    const bytes = statSync(file).size;
    const load = await timedAsync(async () => {
      const header = await readSafetensorsHeader(file);
      const t = await readTensor(file, header, 'dense/kernel');
      if (t.shape[0] !== count / 1024) throw new Error('bad read');
    }, repeats);
    const gb = (count * 4) / 1e9;
    return {
      weights: count,
      extractGBps: gb / extract,
      copyGBps: gb / copy,
      checkpointMB: bytes / 1e6,
      saveMBps: bytes / 1e6 / save,
      loadMBps: bytes / 1e6 / load,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
