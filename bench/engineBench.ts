/**
 * The engine side of `npm run bench`, bundled by bench/run.mjs into dist/bench-engine.js (beside the wasm
 * binaries and the optional native addon, exactly like the CLI). One task per process, one JSON line out:
 *   node dist/bench-engine.js train <cnn|resnet|mlp> <repeats> <steps>
 *   node dist/bench-engine.js epoch <cnn|mlp>
 *   node dist/bench-engine.js io
 *   node dist/bench-engine.js sparse
 *   node dist/bench-engine.js engine     (the engine line and the OpenBLAS kernel set it pinned, for the PyTorch side)
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/core/engine/backend';
import { loadDataset } from '../src/core/data/dataset';
import { runIoBench } from './ioBench';
import { runSparseBench } from './sparseBench';
import { createBenchTrainer, type BenchModel } from './trainBench';

const BATCH = 64;
/** Warm-up until both hold: V8 and the wasm heap need about a second to settle (the first MLP steps run at half speed). */
const WARMUP = { steps: 20, seconds: 2 };

async function main(): Promise<void> {
  const [task, ...args] = process.argv.slice(2);
  const engine = await initEngine();
  const out: Record<string, unknown> = { task, engine: engine.detail };
  if (task === 'train' || task === 'epoch') {
    const model = (args[0] ?? 'cnn') as BenchModel;
    const dataset = await loadDataset({ name: 'fashion-mnist' });
    Object.assign(out, { model, batch: BATCH, dataset: `${dataset.name} (${dataset.source}, ${dataset.train.count} train)` });
    const trainer = createBenchTrainer(dataset, model, BATCH);
    for (let spent = 0, steps = 0; steps < WARMUP.steps || spent < WARMUP.seconds; steps += 10) spent += trainer.run(10);
    if (task === 'train') {
      const repeats = Number(args[1] ?? 5);
      const steps = Number(args[2] ?? 60);
      out.samplesPerSecond = Array.from({ length: repeats }, () => (steps * BATCH) / trainer.run(steps));
    } else {
      Object.assign(out, trainer.epoch());
    }
    trainer.dispose();
    out.tensorsLeft = tf.memory().numTensors;
  } else if (task === 'engine') {
    out.openblasCoretype = process.env.OPENBLAS_CORETYPE ?? null;
  } else if (task === 'io') {
    Object.assign(out, await runIoBench());
  } else if (task === 'sparse') {
    const dataset = await loadDataset({ name: 'fashion-mnist' });
    out.rows = runSparseBench([
      { name: 'mlp dense1 784→300 (real images)', inDim: 784, outDim: 300, inputs: dataset.test.images },
      { name: 'cnn dense1 1568→128', inDim: 1568, outDim: 128 },
    ]);
  } else {
    throw new Error(`unknown task ${task} (train | epoch | io | sparse | engine)`);
  }
  console.log(JSON.stringify(out));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
