/** Run configs: the shipped schema is what validates them; defaults are filled; problems name the file. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRunConfig, portableConfig, resolveRunConfig, schemaProblems } from '../../src/core/config';

const root = path.resolve(__dirname, '../..');

describe('run config', () => {
  it('accepts the demo config and fills defaults', () => {
    const c = loadRunConfig(path.join(root, 'examples/demo.elsa.json'));
    assert.deepEqual(c.levels, [0.95, 0.9, 0.75, 0.5]);
    assert.equal(c.sparsifier.type, 'gmp');
    assert.equal(c.sparsifier.scope, 'global');
    assert.equal(c.smallParams, 'perLevel');
    assert.equal(c.outDir, path.join(root, 'runs/demo'));
    assert.equal(portableConfig(c).outDir, '../runs/demo');
  });

  it('is validated by the schema file that ships for the editor', () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'schemas/elsa-run.schema.json'), 'utf8'));
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schemaProblems({ name: 'x', levels: [0.9] }), []);
    assert.match(schemaProblems({ name: 'x', levels: [1.5] }).join(), /\/levels\/0 must be < 1/);
    assert.match(schemaProblems({ name: 'x', levels: [0.9], epoch: 3 }).join(), /unknown property "epoch"/);
    assert.match(schemaProblems({ levels: [0.9] }).join(), /must have required property 'name'/);
  });

  it('rejects levels that are not sparsest first, and N:M levels that M cannot express', () => {
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.5, 0.9] }, 'a.elsa.json'), /a\.elsa\.json: levels must be strictly decreasing/);
    assert.throws(() => resolveRunConfig({ name: 'x', levels: [0.9], sparsifier: { type: 'nm', m: 4 } }, 'b.elsa.json'), /N:M with m=4 cannot reach sparsity 0.9/);
    assert.doesNotThrow(() => resolveRunConfig({ name: 'x', levels: [0.75, 0.5], sparsifier: { type: 'nm', m: 4 } }, 'c.elsa.json'));
  });

  it('resolves relative paths against the config file', () => {
    const c = resolveRunConfig({ name: 'x', levels: [0.9], model: { type: 'layers-json', path: 'm/model.json' }, data: { path: 'd' } }, '/w/cfg/x.elsa.json');
    assert.deepEqual(c.model, { type: 'layers-json', path: '/w/cfg/m/model.json' });
    assert.equal(c.data.path, '/w/cfg/d');
    assert.equal(c.outDir, '/w/cfg/runs/x');
  });
});

describe('backend override', () => {
  it('is validated and does not make a different run', async () => {
    const { withBackend, sameRun, portableConfig } = await import('../../src/core/config');
    const c = resolveRunConfig({ name: 'x', levels: [0.9] }, '/w/x.elsa.json');
    assert.throws(() => withBackend(c, 'gpu'), /--backend must be one of auto, node, wasm, cpu, got "gpu"/);
    const cpu = withBackend(c, 'cpu');
    assert.equal(cpu.backend, 'cpu');
    assert.ok(sameRun(portableConfig(c), cpu));
    assert.ok(!sameRun(portableConfig(c), { ...cpu, levels: [0.8] }));
  });
});
