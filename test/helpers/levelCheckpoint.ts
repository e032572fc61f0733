/**
 * An ELSA checkpoint of a built-in model without training: seeded weights, BN statistics moved away from
 * their 0/1 initial values (so a wrong BN conversion shows), and random level codes whose level k keeps
 * about (1 - target_k) of every kernel. Fast enough for unit tests of whatever reads checkpoints.
 */
import { writeElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import type { HostTensor } from '../../src/core/io/dtype';
import { buildBuiltinModel } from '../../src/core/models/builders';
import { listModelWeights, modelTopology } from '../../src/core/models/weights';
import { createRng } from '../../src/core/random';

export interface LevelCheckpointOptions {
  type: 'mlp' | 'cnn' | 'resnet';
  shape: [number, number, number];
  numClasses: number;
  targets: number[];
  seed: number;
  /** Stored as the run config (so commands find the dataset). */
  config?: unknown;
}

export async function writeLevelCheckpoint(file: string, o: LevelCheckpointOptions): Promise<{ sparseNames: string[] }> {
  const model = buildBuiltinModel({ type: o.type }, o.shape, o.numClasses, o.seed);
  const rng = createRng(o.seed + 1000);
  const weights: Record<string, HostTensor> = {};
  const codes: Record<string, Uint8Array> = {};
  const K = o.targets.length;
  try {
    for (const w of listModelWeights(model)) {
      const data = new Float32Array(w.variable.read().dataSync());
      const short = w.name.split('/').pop();
      // Kernels keep their seeded init; biases and BN parameters get random values so none is a no-op.
      if (short === 'moving_variance') for (let i = 0; i < data.length; i++) data[i] = 0.5 + rng.next();
      else if (short !== 'kernel' && short !== 'depthwise_kernel') for (let i = 0; i < data.length; i++) data[i] = 0.2 * rng.normal();
      weights[w.name] = { dtype: 'F32', shape: w.shape, data };
      if (!w.sparsifiable) continue;
      const c = new Uint8Array(data.length);
      for (let i = 0; i < c.length; i++) {
        // Code k: the weight joins at level k. A weight is in level k with probability 1 - targets[k-1].
        const u = rng.next();
        let code = K + 1;
        for (let k = 1; k <= K; k++) if (u >= o.targets[k - 1]) { code = k; break; }
        c[i] = code;
      }
      codes[w.name] = c;
    }
    // Record the sparsity the random codes actually give: the checkpoint contract checks it on open.
    const all = Object.values(codes);
    const total = all.reduce((n, c) => n + c.length, 0);
    const measured = (level: number) => all.reduce((n, c) => n + c.filter((v) => v > level).length, 0) / total;
    const levels = [...o.targets, 0].map((t, i) => ({
      index: i + 1, targetSparsity: t, sparsity: measured(i + 1), metrics: { accuracy: 0.5 },
      layerSparsity: Object.fromEntries(Object.entries(codes).map(([n, c]) => [n, c.filter((v) => v > i + 1).length / c.length])),
      ...(i === K ? { dense: true } : {}),
    }));
    await writeElsaCheckpoint(file, {
      weights, codes,
      meta: { format: 'elsa/1', targets: o.targets, levels, kind: 'elsa', topology: modelTopology(model), ...(o.config !== undefined ? { config: o.config } : {}) },
    });
    return { sparseNames: Object.keys(codes) };
  } finally {
    model.dispose();
  }
}
