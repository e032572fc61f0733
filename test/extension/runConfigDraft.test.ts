import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveRunConfig, schemaProblems } from '../../src/core/config';
import {
  type DataChoice, EPOCH_PRESETS, type EpochPreset, LEVEL_PRESETS, type ModelChoice, type SparsifierChoice, buildRunConfig, relativeDataPath,
  uniqueRunName,
} from '../../src/extension/runConfigDraft';

describe('New Training Run config', () => {
  const models: ModelChoice[] = ['mlp', 'cnn', 'resnet'];
  const sparsifiers: SparsifierChoice[] = ['gmp', 'magnitude', 'nm', 'acdc'];
  const datas: DataChoice[] = [{ kind: 'debian' }, { kind: 'embedded' }, { kind: 'folder', path: '../data/fmnist' }];

  it('is schema-valid and accepted by the CLI for every combination of choices', () => {
    let n = 0;
    for (const model of models) for (const sparsifier of sparsifiers) for (const levelPreset of Object.keys(LEVEL_PRESETS))
      for (const epochs of Object.keys(EPOCH_PRESETS) as EpochPreset[]) for (const data of datas) {
        const config = buildRunConfig({ name: 'fashion-run', model, sparsifier, levelPreset, epochs, data });
        assert.deepEqual(schemaProblems(config), [], JSON.stringify(config));
        const resolved = resolveRunConfig(config, 'fashion-run.elsa.json', '/ws');
        assert.equal(resolved.outDir, '/ws/runs/fashion-run');
        assert.equal(resolved.sparsifier.type, sparsifier);
        n++;
      }
    assert.equal(n, 3 * 4 * 3 * 3 * 3);
  });

  it('uses the chosen levels and data, and limits data for a quick look', () => {
    const c = buildRunConfig({ name: 'q', model: 'cnn', sparsifier: 'gmp', levelPreset: 'paper', epochs: 'quick', data: { kind: 'embedded' } });
    assert.deepEqual(c.levels, [0.95, 0.9, 0.75, 0.5]);
    assert.deepEqual(c.data, { name: 'fashion-mnist-small', limitTrain: 6000, limitTest: 1000 });
    const s = buildRunConfig({ name: 'q', model: 'cnn', sparsifier: 'gmp', levelPreset: 'paper', epochs: 'standard', data: { kind: 'folder', path: 'd' } });
    assert.deepEqual(s.data, { path: 'd' });
  });
});

describe('uniqueRunName', () => {
  it('cleans names to the schema pattern and avoids taken ones', () => {
    assert.equal(uniqueRunName('fashion cnn!', new Set()), 'fashion-cnn');
    assert.equal(uniqueRunName('-x', new Set()), 'x');
    assert.equal(uniqueRunName('a', new Set(['a', 'a-2'])), 'a-3');
    for (const raw of ['', '***', 'ünïcode', 'a'.repeat(200), '.hidden']) {
      assert.match(uniqueRunName(raw, new Set()), /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/);
    }
  });
});

describe('relativeDataPath', () => {
  it('walks up from the config folder to the data folder', () => {
    assert.equal(relativeDataPath('', 'data/fmnist'), 'data/fmnist');
    assert.equal(relativeDataPath('configs', 'data/fmnist'), '../data/fmnist');
    assert.equal(relativeDataPath('a/b', 'a/c'), '../c');
    assert.equal(relativeDataPath('a', 'a'), '.');
  });
});
