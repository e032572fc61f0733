import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../../../src/core/io/dtype';
import { readTfjsModel, writeTfjsModel } from '../../../src/core/io/tfjsModel';
import { expectCheckpointError, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

function smallModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, inputShape: [5], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.batchNormalization({ movingMeanInitializer: 'randomNormal' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

/** The model's weights under the names TF.js saves them with, in its order. */
function namedWeights(model: tf.LayersModel): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const w of model.weights) out[w.originalName] = { dtype: 'F32', shape: w.shape as number[], data: w.read().dataSync() as Float32Array };
  return out;
}

/** Stock `tf.io.http` loader, fetching from the temp folder instead of a server. */
function fileServer(root: string) {
  return tf.io.http('http://models.local/m/model.json', {
    fetchFunc: async (url: RequestInfo | URL) => {
      const rel = decodeURIComponent(new URL(String(url)).pathname.replace(/^\/m\//, ''));
      return new Response(readFileSync(path.join(root, rel)));
    },
  });
}

describe('TF.js Layers model files', () => {
  it('writes model.json + weights.bin that stock tf.loadLayersModel loads, with the same predictions', async () => {
    const model = smallModel();
    const dir = tmp.file('export');
    (await import('node:fs')).mkdirSync(dir);
    await writeTfjsModel(path.join(dir, 'model.json'), { topology: model.toJSON(null, false), weights: namedWeights(model) }, { weightsFileName: 'level 2.weights.bin' });
    const loaded = await tf.loadLayersModel(fileServer(dir));
    const x = tf.randomNormal([16, 5], 0, 1, 'float32', 3);
    const want = (model.predict(x) as tf.Tensor).dataSync();
    const got = (loaded.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(got), Array.from(want));
    const back = await readTfjsModel(path.join(dir, 'model.json'));
    assert.deepEqual(Object.keys(back.weights), model.weights.map((w) => w.originalName));
    assert.equal(back.format, 'layers-model');
  });

  it('reads a model saved by TF.js, across several shards', async () => {
    const model = smallModel();
    const dir = tmp.file('saved');
    (await import('node:fs')).mkdirSync(dir);
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
      writeFileSync(path.join(dir, 'group1-shard1of2.bin'), data.subarray(0, 37));
      writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(37));
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
        modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: null,
        weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: artifacts.weightSpecs }],
      }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const back = await readTfjsModel(path.join(dir, 'model.json'));
    const want = namedWeights(model);
    assert.deepEqual(Object.keys(back.weights), Object.keys(want));
    for (const [name, t] of Object.entries(want)) {
      assert.deepEqual(back.weights[name].shape, t.shape);
      assert.deepEqual(Array.from(back.weights[name].data as Float32Array), Array.from(t.data as Float32Array), name);
    }
  });

  it('gives one-line errors for broken or unsupported model.json files', async () => {
    const dir = tmp.file('broken');
    (await import('node:fs')).mkdirSync(dir);
    const file = path.join(dir, 'model.json');
    const manifest = (weights: unknown[], paths = ['w.bin']) => JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths, weights }] });
    writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(8));
    const fs = await import('node:fs');
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero'));
    fs.mkdirSync(path.join(dir, 'sub'));
    (await import('node:child_process')).execFileSync('mkfifo', [path.join(dir, 'fifo')]); // must not block the open
    writeFileSync(tmp.file('outside.bin'), new Uint8Array(8));
    fs.symlinkSync(tmp.file('outside.bin'), path.join(dir, 'escape.bin'));
    const cases: [string, RegExp][] = [
      ['{"modelTopology": ', /not valid JSON/],
      [JSON.stringify({ format: 'graph-model', modelTopology: {} }), /is a TF.js graph model/],
      [JSON.stringify({ format: 'tfjs-other', modelTopology: {}, weightsManifest: [] }), /format "tfjs-other" is not a TF.js Layers model/],
      [JSON.stringify({ weightsManifest: [] }), /no modelTopology/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8' } }]), /weight "k": uint8 quantization needs finite numbers scale and min/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32', quantization: { dtype: 'int4' } }]), /quantization must be/],
      [manifest([{ name: 'k', shape: [2], dtype: 'string' }]), /dtype "string"; supported: float32, int32, bool/],
      [manifest([{ name: 'k', shape: [4], dtype: 'float32' }]), /hold 8 bytes, the manifest describes 16/],
      [manifest([{ name: 'k', shape: [1], dtype: 'float32' }]), /hold 8 bytes, the manifest describes 4/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['gone.bin']), /weight file "gone.bin": cannot open \(ENOENT\)/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['../broken/w.bin']), /leaves the model's folder/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['%2E%2E/x.bin']), /leaves the model's folder/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['/dev/zero']), /absolute path/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['zero']), /weight file "zero": resolves \(through a link\) outside/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['sub']), /weight file "sub": not a regular file \(a directory\)/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['fifo']), /weight file "fifo": not a regular file \(a device, pipe or socket\)/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }], ['escape.bin']), /outside the model's folder/],
      [manifest([{ name: 'k', shape: [2], dtype: 'float32' }, { name: 'k', shape: [0], dtype: 'float32' }]), /weight "k" appears twice/],
      [manifest([{ name: 'x'.repeat(5000), shape: [2], dtype: 'float32' }]), /weight name of 5000 characters/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(file, text);
      assert.match(await expectCheckpointError(readTfjsModel(file), 'model.json'), re);
    }
    writeFileSync(file, manifest([{ name: 'k', shape: [2], dtype: 'float32' }]));
    assert.deepEqual(Array.from((await readTfjsModel(file)).weights.k.data as Float32Array), [0, 0]);
  });

  it('refuses to write dtypes TF.js models cannot hold', async () => {
    await assert.rejects(
      writeTfjsModel(tmp.file('x.json'), { topology: {}, weights: { k: { dtype: 'F64', shape: [1], data: new Float64Array(1) } } }),
      /weight "k" is F64; TF.js models hold float32, int32 or bool/,
    );
  });
});
