/**
 * Model construction from an untrusted topology: wiring TF.js could never complete (it would loop forever
 * in Container.fromConfig, deaf to SIGTERM) is refused up front with one line; real topologies pass.
 * Each refusal runs in a child process with a time limit, so a regression shows as a failure, not a hang.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isElsaError } from '../../../src/core/errors';
import { buildModel } from '../../../src/core/models/builders';
import { checkLayersTopology } from '../../../src/core/models/topologyCheck';
import { modelTopology } from '../../../src/core/models/weights';

const cnn = () => modelTopology(buildModel({ type: 'cnn' }, [8, 8, 1], 4, 1));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
type Layer = { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[][][] };
const layersOf = (t: unknown) => (t as { config: { layers: Layer[] } }).config.layers;

/** Rebuilds `topology` with TF.js in a child process; returns its one output line, or 'TIMEOUT'. */
function rebuildInChild(topology: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'topo-')), 'topology.json');
  writeFileSync(file, JSON.stringify(topology));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'rebuildChild.ts'), file], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.signal) return 'TIMEOUT';
  return r.stdout.trim().split('\n').filter((l) => !/^=+$|^Hi, looks|^$/.test(l)).pop() ?? '';
}

describe('topology check before TF.js builds a model', () => {
  it('a layer renamed by one byte (conv1 -> cBnv1) fails in one line instead of spinning', () => {
    const t = cnn();
    const conv1 = layersOf(t).find((l) => l.name === 'conv1')!;
    conv1.name = 'cBnv1';
    conv1.config.name = 'cBnv1';
    const line = rebuildInChild(t);
    assert.equal(line, 'ModelError: ck.elsa.safetensors: model topology: layer "pool1" takes its input from "conv1", which is not a layer of the model');
  });

  it('refuses cycles, missing node indices, mismatched names, empty models and oversized layers', () => {
    const cases: [string, (t: unknown) => void, RegExp][] = [
      ['cycle', (t) => { const l = layersOf(t); l.find((x) => x.name === 'conv1')!.inbound_nodes = [[['pool1', 0, 0, {}]]]; }, /waits for node 0 of "(conv1|pool1)", which is never created/],
      ['node index', (t) => { const l = layersOf(t); l.find((x) => x.name === 'pool1')!.inbound_nodes = [[['conv1', 3, 0, {}]]]; }, /waits for node 3 of "conv1"/],
      ['name vs config', (t) => { layersOf(t)[2].config.name = 'other'; }, /is named "\w+" but its config says "other"/],
      ['duplicate', (t) => { layersOf(t)[2].name = layersOf(t)[1].name; layersOf(t)[2].config.name = layersOf(t)[1].name; }, /two layers are named/],
      ['output', (t) => { (t as { config: { output_layers: unknown[] } }).config.output_layers = [['nope', 0, 0]]; }, /output_layers names "nope"/],
      ['empty', (t) => { (t as { config: { layers: unknown[] } }).config.layers = []; }, /has no layers \(an empty model cannot be built\)/],
      ['units', (t) => { layersOf(t).find((x) => x.class_name === 'Dense')!.config.units = 1e9; }, /units 1000000000 exceeds 65536/],
      ['keras 3 nodes', (t) => { layersOf(t)[1].inbound_nodes = [{ args: [] }] as never; }, /not an array \(Keras 3 files are not supported\)/],
    ];
    for (const [what, mutate, re] of cases) {
      const t = clone(cnn());
      mutate(t);
      assert.throws(() => checkLayersTopology(t, 'f'), (e) => isElsaError(e) && e.kind === 'ModelError' && re.test(e.problem), what);
    }
    assert.throws(() => checkLayersTopology({ class_name: 'Sequential', config: { name: 's', layers: [] } }, 'f'), /Sequential model has no layers/);
  });

  it('lets real topologies through: the built-in models, a nested Sequential inside a functional model', () => {
    for (const type of ['mlp', 'cnn', 'resnet'] as const) checkLayersTopology(modelTopology(buildModel({ type }, [8, 8, 1], 4, 1)), type);
    const input = tf.input({ shape: [4] });
    const block = tf.sequential({ name: 'head', layers: [tf.layers.dense({ units: 3, inputShape: [4], name: 'fc' })] });
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const x = shared.apply(shared.apply(input)) as tf.SymbolicTensor; // one layer called twice: node index 1
    const m = tf.model({ inputs: input, outputs: block.apply(x) as tf.SymbolicTensor, name: 'outer' });
    const t = modelTopology(m);
    checkLayersTopology(t, 'nested');
    assert.equal(rebuildInChild(t), 'BUILT');
  });

  it('checks that a checkpoint\'s weights belong to layers of its topology', () => {
    assert.throws(() => checkLayersTopology(cnn(), 'f', ['conv1/kernel', 'cBnv1/bias']), /weight "cBnv1\/bias" belongs to no layer/);
    checkLayersTopology(cnn(), 'f', ['conv1/kernel', 'logits/bias']);
  });
});
