/**
 * Where one training step's time goes, per kernel (tf.profile), through the same training code as the
 * benchmark: `node --import tsx bench/profileStep.ts [cnn|mlp|resnet] [steps] [--shapes]`. Prints one table, the
 * kernels (with `--shapes`: per input shapes) sorted by total milliseconds over the profiled steps, divided by the number of steps.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/core/engine/backend';
import { loadDataset } from '../src/core/data/dataset';
import { createBenchTrainer, type BenchModel } from './trainBench';

async function main(): Promise<void> {
  const model = (process.argv[2] ?? 'resnet') as BenchModel;
  const steps = Number(process.argv[3] ?? 5);
  const byShape = process.argv.includes('--shapes');
  const engine = await initEngine();
  const dataset = await loadDataset({ name: 'fashion-mnist' });
  const trainer = createBenchTrainer(dataset, model, 64);
  trainer.run(20);
  const wall = trainer.run(steps) / steps;
  const info = await tf.profile(() => {
    trainer.run(steps);
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const key = byShape ? `${k.name} ${k.inputShapes.map((sh) => `[${sh ?? ''}]`).join(' ')}` : k.name;
    const slot = byName.get(key) ?? { ms: 0, calls: 0 };
    slot.ms += ms;
    slot.calls += 1;
    byName.set(key, slot);
    total += ms;
  }
  console.log(`${engine.detail}\nmodel ${model}: wall ${(wall * 1000).toFixed(1)} ms/step unprofiled (${((64 / wall) | 0)} samples/s); ` +
    `kernel time ${(total / steps).toFixed(1)} ms/step in ${info.kernels.length / steps} kernels`);
  console.log('| kernel | ms/step | calls/step |\n|---|---:|---:|');
  for (const [name, s] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`| ${name} | ${(s.ms / steps).toFixed(2)} | ${s.calls / steps} |`);
  }
  trainer.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
