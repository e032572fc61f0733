/**
 * Regenerates the fuzz fixtures (committed, so `npm test` does not train): a real ELSA checkpoint of the
 * built-in CNN (K=2, trained a few steps on 8x8 synthetic images), that CNN as a TF.js model.json in two
 * shards with one weight stored uint8-quantized as the converter writes it, and as a plain float32 model.json.
 *   node --import tsx test/fuzz/makeFixtures.ts
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../src/core/engine/backend';
import { trainElsa } from '../../src/core/method/trainer';
import { buildModel } from '../../src/core/models/builders';
import { saveLayersModelFile } from '../../src/core/models/layersFile';
import { modelTopology } from '../../src/core/models/weights';
import { runPaths } from '../../src/core/run';
import { quadrantDataset, testConfig } from '../helpers/synthetic';

const out = path.join(import.meta.dirname, 'fixtures');

async function main(): Promise<void> {
  await initEngine('wasm');
  const config = testConfig({ model: { type: 'cnn' }, epochs: { warmup: 1, perPhase: 1, dense: 1 }, batchSize: 32 });
  const dataset = quadrantDataset(64, 32, 7);
  const model = await buildModel(config.model, dataset.shape, dataset.numClasses, config.seed);
  const paths = runPaths(config);
  await trainElsa({
    config, dataset, model, checkpointPath: paths.checkpoint, kind: 'elsa',
    provenance: { tool: 'fuzz-fixture', version: '0', backend: 'wasm', createdAt: '2026-01-01T00:00:00Z' },
    topology: modelTopology(model), emit: () => {},
  });
  writeFileSync(path.join(out, 'cnn.elsa.safetensors'), readFileSync(paths.checkpoint));

  // A float32 copy too: the trainer refuses quantized models, so its loader is fuzzed on this one.
  const floatDir = path.join(out, 'tfjs-float');
  rmSync(floatDir, { recursive: true, force: true });
  mkdirSync(floatDir, { recursive: true });
  await saveLayersModelFile(model, path.join(floatDir, 'model.json'));

  const dir = path.join(out, 'tfjs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await saveLayersModelFile(model, path.join(dir, 'model.json'));
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(path.join(dir, 'weights.bin'));
  // Store the last weight (the logits bias) uint8-quantized, then cut the data in two shards.
  const specs = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
  const last = specs[specs.length - 1];
  const lastCount = last.shape.reduce((a, b) => a * b, 1);
  const floats = new Float32Array(weights.buffer.slice(weights.byteOffset + weights.byteLength - 4 * lastCount, weights.byteOffset + weights.byteLength));
  const lo = Math.min(0, ...floats);
  const scale = (Math.max(0, ...floats) - lo) / 255 || 1;
  last.quantization = { dtype: 'uint8', scale, min: lo };
  const q = Uint8Array.from(floats, (v) => Math.round((v - lo) / scale));
  const data = Buffer.concat([weights.subarray(0, weights.byteLength - 4 * lastCount), q]);
  const cut = Math.floor(data.byteLength / 2) + 3;
  writeFileSync(path.join(dir, 'group1-shard1of2.bin'), data.subarray(0, cut));
  writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(cut));
  rmSync(path.join(dir, 'weights.bin'));
  json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  console.log(`fixtures written to ${out}`);
}

void main();
