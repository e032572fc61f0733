/** Small synthetic datasets and run configs for fast method tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveRunConfig, type RunConfig } from '../../src/core/config';
import type { Dataset, Split } from '../../src/core/data/dataset';
import { createRng } from '../../src/core/random';

/** Images whose class is decided by which quadrant is brightest: learnable in a few steps. */
export function quadrantDataset(trainCount: number, testCount: number, seed: number, size = 8): Dataset {
  const rng = createRng(seed);
  const make = (count: number): Split => {
    const images = new Float32Array(count * size * size);
    const labels = new Int32Array(count);
    for (let n = 0; n < count; n++) {
      const label = rng.int(4);
      labels[n] = label;
      const qy = label >> 1;
      const qx = label & 1;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inQuadrant = (y < size / 2 ? 0 : 1) === qy && (x < size / 2 ? 0 : 1) === qx;
          images[n * size * size + y * size + x] = Math.min(1, Math.max(0, (inQuadrant ? 0.7 : 0.2) + 0.25 * rng.normal()));
        }
      }
    }
    return { images, labels, count };
  };
  return { name: 'quadrants', source: 'synthetic', train: make(trainCount), test: make(testCount), shape: [size, size, 1], numClasses: 4 };
}

export function tempDir(prefix = 'elsa-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function testConfig(overrides: Record<string, unknown>, dir = tempDir()): RunConfig {
  return resolveRunConfig(
    {
      name: 't',
      model: { type: 'mlp' },
      levels: [0.9, 0.5],
      sparsifier: { type: 'gmp', pruneEvery: 3 },
      optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0.001 },
      epochs: { warmup: 1, perPhase: 2, dense: 1 },
      batchSize: 32,
      seed: 3,
      outDir: 'run',
      backend: 'wasm',
      ...overrides,
    },
    path.join(dir, 'test.elsa.json'),
    dir,
  );
}
