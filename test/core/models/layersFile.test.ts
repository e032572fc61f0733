import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { BUILTIN_MODEL_TYPES, buildModel } from '../../../src/core/models/builders';
import { loadLayersModelFile, saveLayersModelFile } from '../../../src/core/models/layersFile';
import { listModelWeights } from '../../../src/core/models/weights';

const dir = mkdtempSync(path.join(tmpdir(), 'elsa-layers-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const predict = (model: tf.LayersModel, x: tf.Tensor) => tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

function modelErrorFor(file: string, pattern: RegExp) {
  return (e: unknown) => isElsaError(e) && e.kind === 'ModelError' && e.file === file && pattern.test(e.problem);
}

test('save then load gives the same weight names and bit-identical predictions', async () => {
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3);
  for (const type of BUILTIN_MODEL_TYPES) {
    const model = buildModel({ type }, [28, 28, 1], 10, 11);
    const file = path.join(dir, `${type}.json`);
    await saveLayersModelFile(model, file);
    const loaded = await loadLayersModelFile(file);
    assert.deepEqual(listModelWeights(loaded).map((w) => w.name), listModelWeights(model).map((w) => w.name));
    assert.deepEqual(predict(loaded, x), predict(model, x), type);
  }
  x.dispose();
});

test('the saved files are a standard Layers model.json + weights.bin that stock tfjs loads', async () => {
  const model = buildModel({ type: 'cnn' }, [8, 8, 1], 3, 2);
  const file = path.join(dir, 'stock', 'model.json');
  mkdirSync(path.dirname(file), { recursive: true });
  await saveLayersModelFile(model, file);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
  const bin = readFileSync(path.join(path.dirname(file), 'weights.bin'));
  const stock = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }),
  );
  const x = tf.ones([1, 8, 8, 1]);
  assert.deepEqual(predict(stock, x), predict(model, x));
  x.dispose();
});

test('weights split over several shards load in manifest order', async () => {
  const model = buildModel({ type: 'mlp' }, [6, 6, 1], 4, 8);
  const file = path.join(dir, 'sharded.json');
  await saveLayersModelFile(model, file, { weightsFileName: 'sharded.bin' });
  const bin = readFileSync(path.join(dir, 'sharded.bin'));
  const cut = 1000;
  writeFileSync(path.join(dir, 'sharded-1.bin'), bin.subarray(0, cut));
  writeFileSync(path.join(dir, 'sharded-2.bin'), bin.subarray(cut));
  const json = JSON.parse(readFileSync(file, 'utf8'));
  json.weightsManifest[0].paths = ['sharded-1.bin', 'sharded-2.bin'];
  writeFileSync(file, JSON.stringify(json));
  const x = tf.ones([2, 6, 6, 1]);
  assert.deepEqual(predict(await loadLayersModelFile(file), x), predict(model, x));
  x.dispose();
});

test('broken model files are ModelErrors naming the file to fix', async () => {
  const model = buildModel({ type: 'mlp' }, [4, 4, 1], 3, 1);
  const good = path.join(dir, 'good.json');
  await saveLayersModelFile(model, good, { weightsFileName: 'good.bin' });
  const goodJson = JSON.parse(readFileSync(good, 'utf8'));

  const missingShard = path.join(dir, 'missing-shard.json');
  writeFileSync(missingShard, JSON.stringify({ ...goodJson, weightsManifest: [{ ...goodJson.weightsManifest[0], paths: ['nope.bin'] }] }));
  await assert.rejects(loadLayersModelFile(missingShard), modelErrorFor(missingShard, /weight file "nope.bin": cannot open \(ENOENT\)/));

  const badJson = path.join(dir, 'bad.json');
  writeFileSync(badJson, '{"format": "layers-model", ');
  await assert.rejects(loadLayersModelFile(badJson), modelErrorFor(badJson, /not valid JSON/));

  const graph = path.join(dir, 'graph.json');
  writeFileSync(graph, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
  await assert.rejects(loadLayersModelFile(graph), modelErrorFor(graph, /graph model/));

  const noTopology = path.join(dir, 'notopo.json');
  writeFileSync(noTopology, JSON.stringify({ weightsManifest: [] }));
  await assert.rejects(loadLayersModelFile(noTopology), modelErrorFor(noTopology, /no modelTopology/));

  const short = path.join(dir, 'short.json');
  writeFileSync(path.join(dir, 'short.bin'), readFileSync(path.join(dir, 'good.bin')).subarray(0, 100));
  writeFileSync(short, JSON.stringify({ ...goodJson, weightsManifest: [{ ...goodJson.weightsManifest[0], paths: ['short.bin'] }] }));
  await assert.rejects(loadLayersModelFile(short), modelErrorFor(short, /weight shards \[short.bin\] hold 100 bytes, the manifest describes \d+/));

  const renamed = path.join(dir, 'renamed.json');
  const specs = goodJson.weightsManifest[0].weights.map((w: { name: string }, i: number) => (i === 0 ? { ...w, name: 'other/kernel' } : w));
  writeFileSync(renamed, JSON.stringify({ ...goodJson, weightsManifest: [{ paths: ['good.bin'], weights: specs }] }));
  await assert.rejects(loadLayersModelFile(renamed), modelErrorFor(renamed, /not a loadable TF.js Layers model/));

  const absent = path.join(dir, 'absent.json');
  await assert.rejects(loadLayersModelFile(absent), modelErrorFor(absent, /cannot open: ENOENT/));
  unlinkSync(missingShard);
});

test('buildModel loads a layers-json model and checks it fits the data', async () => {
  const model = buildModel({ type: 'cnn' }, [28, 28, 1], 10, 4);
  const file = path.join(dir, 'imported.json');
  await saveLayersModelFile(model, file, { weightsFileName: 'imported.bin' });
  const imported = await buildModel({ type: 'layers-json', path: file }, [28, 28, 1], 10, 99);
  const x = tf.ones([1, 28, 28, 1]);
  assert.deepEqual(predict(imported, x), predict(model, x));
  x.dispose();
  await assert.rejects(async () => buildModel({ type: 'layers-json', path: file }, [32, 32, 3], 10, 1), modelErrorFor(file, /model input is \[28, 28, 1\], the dataset's images are \[32, 32, 3\]/));
  await assert.rejects(async () => buildModel({ type: 'layers-json', path: file }, [28, 28, 1], 5, 1), modelErrorFor(file, /model output is \[\?, 10\], expected \[\?, 5\]/));
});
