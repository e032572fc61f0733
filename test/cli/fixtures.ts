/**
 * Large inputs for the CLI's signal tests, made without training: a complete ELSA checkpoint of a wide MLP
 * (weights, level codes, per-level small parameters, topology, config) and an uncompressed IDX dataset.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { levelSparsity, writeElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import type { HostTensor } from '../../src/core/io/dtype';
import { saveLayersModelFile } from '../../src/core/models/layersFile';
import { listModelWeights, modelTopology } from '../../src/core/models/weights';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A complete ELSA checkpoint (levels 0.9, 0.5, dense) of a 784-hidden-hidden-10 MLP, at `file`. */
export async function writeWideCheckpoint(file: string, hidden: number): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(path.dirname(file), { recursive: true });
  const model = tf.sequential({
    name: 'wide',
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten' }),
      tf.layers.dense({ units: hidden, activation: 'relu', name: 'dense1' }),
      tf.layers.dense({ units: hidden, activation: 'relu', name: 'dense2' }),
      tf.layers.dense({ units: 10, name: 'logits' }),
    ],
  });
  const rand = lcg(7);
  const weights: Record<string, HostTensor> = {};
  const codes: Record<string, Uint8Array> = {};
  const small: Record<string, HostTensor> = {};
  for (const w of listModelWeights(model)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const scale = 1 / Math.sqrt(w.shape[0]);
    for (let i = 0; i < size; i++) data[i] = (rand() * 2 - 1) * scale;
    weights[w.name] = { dtype: 'F32', shape: w.shape, data };
    if (w.sparsifiable) codes[w.name] = Uint8Array.from({ length: size }, () => 1 + Math.floor(rand() * 3));
    else small[w.name] = weights[w.name];
  }
  const all = Object.values(codes);
  const total = all.reduce((a, c) => a + c.length, 0);
  const sparsity = (level: number) => all.reduce((a, c) => a + levelSparsity(c, level) * c.length, 0) / total;
  const targets = [0.9, 0.5];
  await writeElsaCheckpoint(file, {
    weights,
    codes,
    levelParams: { 1: small, 2: small, 3: small },
    meta: {
      format: 'elsa/1',
      targets,
      kind: 'elsa',
      smallParamsMode: 'perLevel',
      levels: [1, 2, 3].map((index) => ({ index, targetSparsity: targets[index - 1] ?? 0, sparsity: sparsity(index), metrics: { accuracy: 0.1 }, ...(index === 3 ? { dense: true } : {}) })),
      topology: modelTopology(model),
      config: { name: 'wide', model: { type: 'mlp' }, data: { name: 'fashion-mnist-small', limitTest: 100 }, levels: targets, outDir: '.' },
      provenance: { tool: 'elsa-studio', version: '0.1.0', backend: 'cpu', createdAt: '2026-11-30T00:00:00Z', seed: 1 },
      training: { status: 'complete', phase: 3, epoch: 1, step: 1 },
    },
  });
  model.dispose();
}

/** An uncompressed IDX dataset folder: `train` and `test` random 28x28 images with labels 0..9. */
export function writeIdxDataset(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const rand = lcg(11);
  const write = (prefix: string, n: number) => {
    const images = Buffer.alloc(16 + n * 784);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(n, 4);
    images.writeUInt32BE(28, 8);
    images.writeUInt32BE(28, 12);
    for (let i = 16; i < images.length; i++) images[i] = Math.floor(rand() * 256);
    const labels = Buffer.alloc(8 + n);
    labels.writeUInt32BE(0x801, 0);
    labels.writeUInt32BE(n, 4);
    for (let i = 8; i < labels.length; i++) labels[i] = Math.floor(rand() * 10);
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), images);
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), labels);
  };
  write('train', train);
  write('t10k', test);
}

/**
 * A Keras-style classifier for 28x28x1 images saved as a TF.js Layers model.json (+ weights.bin) at `file`:
 * conv → pool → flatten → dense → dense(10) whose output is softmax, either as the last Dense layer's own
 * activation (`'activation'`) or as a separate Softmax layer (`'layer'`).
 */
export async function writeSoftmaxModel(file: string, softmax: 'activation' | 'layer'): Promise<void> {
  await tf.setBackend('cpu');
  const layers = [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ units: 32, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    tf.layers.dense({ units: 10, activation: softmax === 'activation' ? 'softmax' : 'linear', name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ...(softmax === 'layer' ? [tf.layers.softmax({ name: 'probs' })] : []),
  ];
  const model = tf.sequential({ name: 'keras_style', layers });
  await saveLayersModelFile(model, file);
  model.dispose();
}
