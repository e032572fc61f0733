/**
 * A Keras model that ends in softmax trains on its logits (the softmax split off), so the loss is not capped by
 * softmax applied twice; the run log and the console say so; the checkpoint and the TF.js export keep the
 * softmax; `elsa eval` computes the same loss as training on the split-off model.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { loadLayersModelFile } from '../../src/core/models/layersFile';
import { withoutFinalSoftmax } from '../../src/core/models/softmax';
import type { LayersTopology } from '../../src/core/models/weights';
import { parseTrainingEvents } from '../../src/protocol/events';
import { tempDir } from '../helpers/synthetic';
import { writeSoftmaxModel } from './fixtures';
import { ensureCliBuilt, runElsa } from '../helpers/cli';

/** The lowest mean cross-entropy reachable with softmax applied twice to C classes: log(e + C - 1) - 1. */
const doubleSoftmaxFloor = (classes: number) => Math.log(Math.E + classes - 1) - 1;

const elsa = runElsa;

describe('a model that ends in softmax', () => {
  const dir = tempDir('elsa-softmax-');

  before(() => {
    ensureCliBuilt();
  });

  it('finds the final softmax in every form and leaves other models alone', async () => {
    for (const form of ['activation', 'layer'] as const) {
      const file = path.join(dir, `unit-${form}`, 'model.json');
      await writeSoftmaxModel(file, form);
      const model = await loadLayersModelFile(file);
      const topology = model.toJSON(undefined, false) as unknown as LayersTopology;
      const split = withoutFinalSoftmax(topology);
      assert.ok(split, `${form}: softmax found`);
      assert.equal(withoutFinalSoftmax(split), undefined, `${form}: the split model has no softmax left`);
      // Functional form of the same model: output rewired to the Dense layer.
      const input = tf.input({ shape: [28, 28, 1] });
      let x: tf.SymbolicTensor = input;
      for (const layer of model.layers) x = layer.apply(x) as tf.SymbolicTensor;
      const functional = tf.model({ inputs: input, outputs: x }).toJSON(undefined, false) as unknown as LayersTopology;
      const fsplit = withoutFinalSoftmax(functional) as { config: { output_layers: unknown[][]; layers: unknown[] } } | undefined;
      assert.ok(fsplit, `${form}: functional softmax found`);
      assert.equal(fsplit.config.output_layers[0][0], 'out');
      model.dispose();
    }
    const plain = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
    assert.equal(withoutFinalSoftmax(plain.toJSON(undefined, false) as unknown as LayersTopology), undefined);
  });

  it('trains on logits: the loss falls below what double softmax allows; note logged; exports keep softmax', async () => {
    const modelFile = path.join(dir, 'models', 'keras', 'model.json');
    await writeSoftmaxModel(modelFile, 'activation');
    const config = path.join(dir, 'keras.elsa.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'keras',
        model: { type: 'layers-json', path: 'models/keras/model.json' },
        data: { name: 'fashion-mnist-small', limitTrain: 1000, limitTest: 200 },
        levels: [0.5],
        optimizer: { type: 'adam', learningRate: 0.003 },
        epochs: { warmup: 6, perPhase: 1, dense: 1 },
        batchSize: 32,
        seed: 5,
        backend: 'wasm',
      }),
    );
    const train = elsa(['train', config], dir);
    assert.equal(train.code, 0, train.stderr + train.stdout);
    const events = parseTrainingEvents(readFileSync(path.join(dir, 'runs', 'keras', 'events.jsonl'), 'utf8'));
    const warmup = events.filter((e) => e.type === 'epoch' && e.phase === 0).map((e) => (e.type === 'epoch' ? e.loss : NaN));
    const floor = doubleSoftmaxFloor(10);
    const last = warmup[warmup.length - 1];
    console.log(`warm-up training loss by epoch: ${warmup.map((l) => l.toFixed(3)).join(", ")} (double-softmax floor ${doubleSoftmaxFloor(10).toFixed(3)})`);
    assert.ok(last < floor - 0.4, `training loss ${last.toFixed(3)} must fall well below the double-softmax floor ${floor.toFixed(3)}`);
    assert.match(train.stdout, /Note: the model ends in softmax: it is trained on its logits/);
    const start = events.find((e) => e.type === 'run-start');
    assert.ok(start?.type === 'run-start' && start.notes?.some((n) => /softmax split off/.test(n)), 'run-start note');

    // The checkpoint stores the model as imported, softmax included; the export outputs probabilities.
    const checkpoint = path.join(dir, 'runs', 'keras', 'keras.elsa.safetensors');
    const ckpt = await readElsaCheckpoint(checkpoint);
    await ckpt.close();
    assert.match(JSON.stringify(ckpt.meta.topology), /"activation":"softmax"/);
    const out = path.join(dir, 'export');
    const extract = elsa(['extract', checkpoint, '--level', '1', '--format', 'tfjs', '--out', out], dir);
    assert.equal(extract.code, 0, extract.stderr);
    const exported = await loadLayersModelFile(path.join(out, 'model.json'));
    const sums = tf.tidy(() => tf.sum(exported.predict(tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 1)) as tf.Tensor, 1).arraySync() as number[]);
    for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5, `exported model outputs probabilities (row sum ${s})`);
    exported.dispose();

    // eval takes the loss on logits too: it matches what training recorded for the level.
    const ev = elsa(['eval', checkpoint, '--json'], dir);
    assert.equal(ev.code, 0, ev.stderr);
    const rows = (JSON.parse(ev.stdout) as { levels: { level: number; loss: number }[] }).levels;
    for (const level of ckpt.meta.levels) {
      const row = rows.find((r) => r.level === level.index);
      assert.ok(row && Math.abs(row.loss - (level.metrics.loss ?? NaN)) < 1e-3, `level ${level.index}: eval loss ${row?.loss} vs recorded ${level.metrics.loss}`);
    }
  });
});
