import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { chooseRuntime, findNodeOnPath, nodeMajor } from '../../src/extension/nodeRuntime';
import { cliArgsFor, type ElsaTaskDefinition, isElsaTaskDefinition, taskName } from '../../src/extension/taskModel';

describe('elsa task definitions', () => {
  it('run the CLI commands the CLI documents', () => {
    assert.deepEqual(cliArgsFor({ type: 'elsa', command: 'train', config: 'demo.elsa.json' }), ['train', 'demo.elsa.json']);
    assert.deepEqual(cliArgsFor({ type: 'elsa', command: 'baseline', config: 'demo.elsa.json' }), ['baseline', 'demo.elsa.json']);
    assert.deepEqual(
      cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'runs/d/d.elsa.safetensors', level: 2, format: 'tfjs', out: 'exports/l2' }),
      ['extract', 'runs/d/d.elsa.safetensors', '--level', '2', '--format', 'tfjs', '--out', 'exports/l2'],
    );
    assert.deepEqual(
      cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'c', level: '0.9', out: 'o.safetensors' }),
      ['extract', 'c', '--level', '0.9', '--format', 'safetensors', '--out', 'o.safetensors'],
    );
  });

  it('say what is missing or wrong in a hand-written tasks.json', () => {
    assert.match(cliArgsFor({ type: 'elsa', command: 'train' }) as string, /needs "config"/);
    assert.match(cliArgsFor({ type: 'elsa', command: 'train', config: 42 } as unknown as ElsaTaskDefinition) as string, /needs "config"/);
    assert.match(cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'c', out: 'o' }) as string, /"level" must be/);
    assert.match(cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'c', level: -1, out: 'o' }) as string, /"level" must be/);
    assert.match(cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'c', level: 1, out: 'o', format: 'pdf' } as unknown as ElsaTaskDefinition) as string, /"format" must be/);
    assert.deepEqual(cliArgsFor({ type: 'elsa', command: 'extract', checkpoint: 'c', level: 1, out: 'o.onnx', format: 'onnx' }), ['extract', 'c', '--level', '1', '--format', 'onnx', '--out', 'o.onnx']);
  });

  it('recognize only elsa task types', () => {
    assert.equal(isElsaTaskDefinition({ type: 'elsa', command: 'train' }), true);
    assert.equal(isElsaTaskDefinition({ type: 'elsa', command: 'rm' }), false);
    assert.equal(isElsaTaskDefinition({ type: 'npm', command: 'train' }), false);
  });

  it('name tasks after what they do', () => {
    assert.equal(taskName({ type: 'elsa', command: 'train', config: 'a.elsa.json' }), 'train a.elsa.json');
    assert.equal(taskName({ type: 'elsa', command: 'extract', checkpoint: 'c', level: 3, format: 'sparse', out: 'o' }), 'extract level 3 of c (sparse)');
  });
});

describe('CLI runtime', () => {
  it('prefers the configured node, then a recent node on PATH, then the editor runtime as node', () => {
    assert.deepEqual(chooseRuntime(' /opt/node ', '/usr/bin/node', '/app/code', 20), { command: '/opt/node', env: {}, kind: 'configured' });
    assert.deepEqual(chooseRuntime('', '/usr/bin/node', '/app/code', 22), { command: '/usr/bin/node', env: {}, kind: 'path' });
    assert.deepEqual(chooseRuntime(undefined, '/usr/bin/node', '/app/code', 16), { command: '/app/code', env: { ELECTRON_RUN_AS_NODE: '1' }, kind: 'editor' });
    assert.deepEqual(chooseRuntime(undefined, undefined, '/app/code'), { command: '/app/code', env: { ELECTRON_RUN_AS_NODE: '1' }, kind: 'editor' });
    assert.equal(nodeMajor('v20.11.1\n'), 20);
    assert.equal(nodeMajor('garbage'), undefined);
  });

  it('finds an executable node on PATH and skips folders and non-executables', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'elsa-path-'));
    try {
      const a = path.join(dir, 'a');
      const b = path.join(dir, 'b');
      const c = path.join(dir, 'c');
      mkdirSync(path.join(a, 'node'), { recursive: true });
      mkdirSync(b);
      writeFileSync(path.join(b, 'node'), '');
      chmodSync(path.join(b, 'node'), 0o644);
      mkdirSync(c);
      writeFileSync(path.join(c, 'node'), '#!/bin/sh\n');
      chmodSync(path.join(c, 'node'), 0o755);
      const found = findNodeOnPath([a, b, c].join(path.delimiter), 'linux');
      assert.equal(found, path.join(c, 'node'));
      assert.equal(findNodeOnPath([a].join(path.delimiter), 'linux'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
