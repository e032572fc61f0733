/** Run configs: the shipped schema is what validates them; defaults are filled; problems name the file. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRunConfig, portableConfig, resolveRunConfig, sameRun, schemaProblems } from '../../src/core/config';
import { JsoncError, parseJsonc } from '../../src/core/jsonc';

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

describe('JSONC run configs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'elsa-jsonc-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('accepts comments, trailing commas and a BOM, as VS Code settings do', () => {
    const text = '\uFEFF// my run\n{\n  "name": "c", /* inline */ "levels": [0.9, 0.5,],\n  "data": {"path": "a//b/*c*/"}, // url-like strings stay\n}\n';
    const c = loadRunConfig(write('c.elsa.json', text));
    assert.deepEqual(c.levels, [0.9, 0.5]);
    assert.equal(c.name, 'c');
    assert.equal(c.data.path, path.resolve(dir, 'a//b/*c*/'));
  });

  it('reports the line and column of a syntax error', () => {
    assert.throws(() => loadRunConfig(write('bad.elsa.json', '{\n  "name": "x",\n  "levels": [0.9] "seed": 1\n}')), /bad\.elsa\.json: invalid JSON: expected "," or "}", found """ at line 3, column 19/);
    assert.throws(() => loadRunConfig(write('open.elsa.json', '{ "name": "x" /* never closed')), /unterminated \/\* comment at line 1, column 15/);
    assert.throws(() => loadRunConfig(write('deep.elsa.json', '['.repeat(100_000))), /nested deeper than 256 levels/);
    assert.throws(() => loadRunConfig(dir), /is a folder, not a run config/);
    assert.throws(() => loadRunConfig(write('r.elsa.safetensors', '{}')), /r\.elsa\.safetensors: is a checkpoint, not a run config \(\*\.elsa\.json\)/);
    // The generator takes 32 bits: 2^32 + 1 would train exactly what seed 1 trains.
    assert.throws(() => loadRunConfig(write('seed.elsa.json', '{"name": "s", "seed": 4294967297}')), /seed must be <= 4294967295/);
    assert.equal(loadRunConfig(write('seed2.elsa.json', '{"name": "s", "levels": [0.5], "seed": 4294967295}')).seed, 4294967295);
    for (const bad of ['{"a":1}}', '{"a":01}', '{"a":"\\q"}', "{'a':1}", '{"a":1,,}', '']) assert.throws(() => parseJsonc(bad), JsoncError, bad);
  });

  it('parses exactly what JSON.parse parses for plain JSON', () => {
    for (const text of ['{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}}', '[]', '"s"', '0', '{"__proto__":{"x":1}}']) {
      assert.deepEqual(parseJsonc(text), JSON.parse(text), text);
    }
  });
});

describe('portable paths', () => {
  it('stores model and data paths relative to the config, and a moved project is the same run', () => {
    const raw = { name: 'x', levels: [0.9], model: { type: 'layers-json', path: 'm/model.json' }, data: { path: '../data/fm' } };
    const here = resolveRunConfig(structuredClone(raw), '/w/cfg/x.elsa.json');
    const stored = portableConfig(here);
    assert.deepEqual(stored.model, { type: 'layers-json', path: 'm/model.json' });
    assert.deepEqual(stored.data, { path: '../data/fm' });
    const moved = resolveRunConfig(structuredClone(raw), '/elsewhere/clone/cfg/x.elsa.json');
    assert.ok(sameRun(stored, moved));
    // Checkpoints written before paths were relative stored absolute ones: still the same run where they point.
    assert.ok(sameRun({ ...stored, model: { type: 'layers-json', path: '/w/cfg/m/model.json' } }, here));
    assert.ok(!sameRun({ ...stored, model: { type: 'layers-json', path: 'other/model.json' } }, moved));
  });
});
