/**
 * A quantized, sharded TF.js model as the tensorflowjs converter writes it (uint8 and uint16 with scale/min,
 * float16, two groups split into small shards, a nested Sequential block): our one reader must decode every weight
 * as stock tfjs does, and `elsa inspect` and the extension's store must show the same numbers for it.
 * tfjs (JS) has no quantizing writer — `quantization_bytes` is the Python converter's option — so the
 * topology and float weights come from stock `model.save`, quantized here with the converter's affine rule,
 * and the reference values come from stock `tf.io.decodeWeights`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isElsaError } from '../../../src/core/errors';
import { inspectFile } from '../../../src/core/io/inspect';
import { statsOf } from '../../../src/core/io/tensorStats';
import { fileShardOpener, readTfjsModel } from '../../../src/core/io/tfjsModel';
import { loadLayersModelFile } from '../../../src/core/models/layersFile';
import { summarizeStore } from '../../../src/core/inspectStore';
import { openTfjsStore } from '../../../src/core/tensorStore';
import { tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** A functional model with a nested Sequential block, so some weight names have three segments. */
function kerasStyleModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2], name: 'image' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv2d', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn', gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 4 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
  const block = tf.sequential({ name: 'head', layers: [tf.layers.dense({ units: 5, inputShape: [64], name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), biasInitializer: 'ones' })] });
  const out = block.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'keras_like' });
}

/** tensorflowjs/quantization.py's affine rule: scale over [min, max], min nudged so 0 stays exact. */
function quantize(values: Float32Array, bits: 8 | 16): { q: Uint8Array | Uint16Array; scale: number; min: number } {
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const levels = bits === 8 ? 255 : 65535;
  const scale = (hi - lo) / levels;
  const zero = Math.round(-lo / scale);
  lo = -zero * scale;
  const q = bits === 8 ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.max(0, Math.min(levels, Math.round((values[i] - lo) / scale)));
  return { q, scale, min: lo };
}

async function writeQuantizedModel(dir: string): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await kerasStyleModel().save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const stock = tf.io.decodeWeights(saved!.weightData!, saved!.weightSpecs!);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  saved!.weightSpecs!.forEach((spec, i) => {
    const values = stock[spec.name].dataSync() as Float32Array;
    const mode = i % 3; // uint8, uint16, float16 in turn
    if (mode === 2) {
      const half = new Uint16Array(values.length);
      for (let j = 0; j < values.length; j++) half[j] = toHalf(values[j]);
      specs.push({ ...spec, quantization: { dtype: 'float16' } });
      chunks.push(new Uint8Array(half.buffer));
    } else {
      const { q, scale, min } = quantize(values, mode === 0 ? 8 : 16);
      specs.push({ ...spec, quantization: { dtype: mode === 0 ? 'uint8' : 'uint16', scale, min } });
      chunks.push(new Uint8Array(q.buffer));
    }
  });
  const data = Buffer.concat(chunks);
  // Two groups, each cut into 100-byte shards (the converter cuts at 4 MB), so weights straddle files.
  const half = Math.ceil(specs.length / 2);
  const split = specs.slice(0, half).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * ({ uint8: 1, uint16: 2, float16: 2 } as Record<string, number>)[s.quantization!.dtype!], 0);
  const groups = [{ specs: specs.slice(0, half), bytes: data.subarray(0, split) }, { specs: specs.slice(half), bytes: data.subarray(split) }];
  const manifest = groups.map((g, gi) => {
    const count = Math.ceil(g.bytes.byteLength / 100);
    const paths = Array.from({ length: count }, (_, s) => `group${gi + 1}-shard${s + 1}of${count}.bin`);
    paths.forEach((p, s) => writeFileSync(path.join(dir, p), g.bytes.subarray(s * 100, (s + 1) * 100)));
    return { paths, weights: g.specs };
  });
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: saved!.modelTopology, weightsManifest: manifest,
  }));
  return { specs, data };
}

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  if (e <= 0) return sign;
  return sign | (e << 10) | ((x >>> 13) & 0x3ff);
}

describe('a quantized, sharded TF.js model', () => {
  const dir = tmp.file('quantized');
  mkdirSync(dir);
  const written = writeQuantizedModel(dir);

  it('decodes every weight exactly as stock tf.io.decodeWeights does', async () => {
    const { specs, data } = await written;
    const stock = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, specs);
    const ours = await readTfjsModel(path.join(dir, 'model.json'));
    assert.deepEqual(Object.keys(ours.weights), specs.map((s) => s.name));
    assert.ok(specs.some((s) => s.name === 'fc/kernel'), 'the nested block\'s weights are in the manifest');
    for (const s of specs) {
      assert.deepEqual(Array.from(ours.weights[s.name].data as Float32Array), Array.from(stock[s.name].dataSync()), s.name);
    }
  });

  it('elsa inspect and the extension store show the same numbers', async () => {
    await written;
    const file = path.join(dir, 'model.json');
    const report = await inspectFile(file);
    const { readFileSync, statSync } = await import('node:fs');
    const store = await openTfjsStore(readFileSync(file, 'utf8'), 'model.json', statSync(file).size, fileShardOpener(file));
    try {
      assert.equal(report.fileSize, store.fileSize);
      assert.equal(report.tensorCount, store.tensorCount);
      assert.ok(report.tensors.some((t) => t.dtype === 'float32/uint8') && report.tensors.some((t) => t.dtype === 'float32/float16'), 'stored dtypes shown');
      const summary = await summarizeStore(store, { uri: 'u', fileName: 'model.json' });
      for (const l of store.layers) {
        const t = report.tensors.find((r) => r.name === l.name)!;
        assert.equal(l.dtype, t.dtype, l.name);
        assert.deepEqual(l.shape, t.shape);
        const shown = statsOf(Float32Array.from(await store.readValues(l.name)), l.shape);
        assert.deepEqual(shown, t.stats, l.name);
        const layer = summary.layers.find((s) => s.name === l.name)!;
        assert.equal(layer.levelSparsity[0], t.stats!.zeroShare, l.name);
        assert.equal(layer.nm?.holds, t.stats!.nm?.holds, l.name);
        assert.deepEqual(layer.nm?.patterns.map((p) => p.share), t.stats!.nm?.patterns.map((p) => p.share), l.name);
      }
      // The real parameter count, not the byte count of the shards.
      assert.equal(report.totalParams, kerasStyleModel().countParams());
    } finally {
      await store.close();
    }
  });

  it('training refuses it in one line rather than starting from dequantized weights silently', async () => {
    await written;
    const file = path.join(dir, 'model.json');
    await assert.rejects(loadLayersModelFile(file), (e) => isElsaError(e) && e.kind === 'ModelError' && /weights are quantized \(uint8\); training needs float32 weights/.test(e.problem));
  });
});
