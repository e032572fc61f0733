/**
 * The PyTorch engine's TypeScript side, without Python: the `engine` field of run configs (schema + resolved
 * config), the torchrun command line the `elsa` task runs, the interpreter choice, and New Training Run's draft.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { requireBuiltinEngine, resolveRunConfig, schemaProblems, torchrunArgs } from '../../src/core/config';
import { choosePython, torchEngineOf, torchProcess } from '../../src/extension/pythonRuntime';
import { EXAMPLE_ENTRY, entryProblem, withTorchEngine } from '../../src/extension/torchRunDraft';

const base = { name: 'r', levels: [0.9, 0.5] };

describe('run config engine field', () => {
  it('a torch engine resolves with nproc defaulting to 1; the built-in engine leaves the config as before', () => {
    const torch = resolveRunConfig({ ...base, engine: { type: 'torch', entry: 'train.py:main' } }, '/w/r.elsa.json');
    assert.deepEqual(torch.engine, { type: 'torch', entry: 'train.py:main', nproc: 1 });
    const builtin = resolveRunConfig({ ...base, engine: { type: 'builtin' } }, '/w/r.elsa.json');
    assert.equal(builtin.engine, undefined);
    assert.equal('engine' in resolveRunConfig(base, '/w/r.elsa.json'), false, 'old configs resolve exactly as before');
  });

  it('the schema refuses incomplete or unknown engines', () => {
    assert.deepEqual(schemaProblems({ ...base, engine: { type: 'torch', entry: 'm:f', nproc: 2 } }), []);
    assert.ok(schemaProblems({ ...base, engine: { type: 'torch' } }).some((p) => p.includes('entry')));
    assert.ok(schemaProblems({ ...base, engine: { type: 'torch', entry: 'm:f', nproc: 0 } }).some((p) => p.includes('nproc')));
    assert.ok(schemaProblems({ ...base, engine: { type: 'jax', entry: 'm:f' } }).length > 0);
    assert.ok(schemaProblems({ ...base, engine: { type: 'torch', entry: 'm:f', python: '/x' } }).some((p) => p.includes('python')), 'the interpreter is a user setting, not part of a run');
  });

  it('the built-in trainer refuses a torch config in one line that says how to start it', () => {
    const config = resolveRunConfig({ ...base, engine: { type: 'torch', entry: 'm:f', nproc: 2 } }, '/w/r.elsa.json');
    assert.throws(() => requireBuiltinEngine(config, 'r.elsa.json'), (e: Error) =>
      e.name === 'ConfigError' && !e.message.includes('\n') && e.message.includes('--nproc_per_node 2 -m elsa_torch launch r.elsa.json'));
    const builtin = resolveRunConfig(base, '/w/r.elsa.json');
    assert.equal(requireBuiltinEngine(builtin, 'r.elsa.json'), builtin);
  });
});

describe('the PyTorch task command line', () => {
  it('runs elsa_torch.torchrun standalone with the nproc of the config and the bundled package first on PYTHONPATH', () => {
    const p = torchProcess('/venv/bin/python', { type: 'torch', entry: 'm:f', nproc: 4 }, '/w/r.elsa.json', '/ext/python', '/mine');
    assert.equal(p.command, '/venv/bin/python');
    assert.deepEqual(p.args, torchrunArgs({ type: 'torch', entry: 'm:f', nproc: 4 }, '/w/r.elsa.json'));
    assert.deepEqual(p.args, ['-m', 'elsa_torch.torchrun', '--standalone', '--nnodes', '1', '--nproc_per_node', '4', '-m', 'elsa_torch', 'launch', '/w/r.elsa.json']);
    assert.equal(p.env.PYTHONPATH, ['/ext/python', '/mine'].join(path.delimiter));
    assert.equal(torchProcess('py', { type: 'torch', entry: 'm:f', nproc: 1 }, 'c', '/ext/python', undefined).env.PYTHONPATH, '/ext/python');
  });

  it('reads the engine from a config text; anything else is the built-in engine', () => {
    assert.deepEqual(torchEngineOf('{"engine":{"type":"torch","entry":"a.py","nproc":3}}'), { type: 'torch', entry: 'a.py', nproc: 3 });
    assert.deepEqual(torchEngineOf('{"engine":{"type":"torch","entry":"a.py","nproc":0}}')?.nproc, 1);
    for (const text of ['{}', '{"engine":{"type":"builtin"}}', '{"engine":{"type":"torch"}}', 'not json', 'null']) assert.equal(torchEngineOf(text), undefined, text);
  });

  it('interpreter: the Python extension\'s selection, else elsa.pythonPath, else python3', () => {
    assert.deepEqual(choosePython('/env/bin/python', '/usr/bin/python3'), { command: '/env/bin/python', source: 'python-extension' });
    assert.deepEqual(choosePython(undefined, ' /usr/bin/python3 '), { command: '/usr/bin/python3', source: 'setting' });
    assert.deepEqual(choosePython('  ', ''), { command: process.platform === 'win32' ? 'python' : 'python3', source: 'default' });
  });
});

describe('New Training Run on the PyTorch engine', () => {
  it('replaces the built-in model by the engine and validates entries', () => {
    const config = withTorchEngine({ name: 'x', model: { type: 'resnet' }, levels: [0.9] }, ` ${EXAMPLE_ENTRY} `, 2);
    assert.deepEqual(config, { name: 'x', levels: [0.9], engine: { type: 'torch', entry: EXAMPLE_ENTRY, nproc: 2 } });
    assert.deepEqual(schemaProblems(config), []);
    for (const good of ['train.py', 'sub/dir/train.py:main', 'pkg.module:train', 'module']) assert.equal(entryProblem(good), undefined, good);
    for (const bad of ['', 'a b:c', 'mod:', 'x.py:1f', ':f']) assert.ok(entryProblem(bad), bad);
    assert.throws(() => withTorchEngine({}, 'm:f', 0));
  });
});
