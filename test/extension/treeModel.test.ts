import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ElsaMetadata } from '../../src/protocol/checkpoint';
import {
  type ArtifactInfo, type FoundFile, type TreeNode, artifactChildren, artifactType, buildRoots, decorateArtifact,
} from '../../src/extension/treeModel';
import { formatBytes } from '../../src/protocol/format';
import { levelRowLabel as levelLabel } from '../../src/protocol/levels';

const ws = 'file:///ws';
const found = (...paths: string[]): FoundFile[] => paths.map((p) => ({ uri: `${ws}/${p}`, path: p }));

const meta: ElsaMetadata = {
  format: 'elsa/1',
  targets: [0.95, 0.9],
  codes: { 'dense/kernel': 'elsa.codes/dense/kernel', 'conv/kernel': 'elsa.codes/conv/kernel' },
  packing: 'bits2',
  levels: [
    { index: 1, targetSparsity: 0.95, sparsity: 0.9501, metrics: { accuracy: 0.8123 }, layerSparsity: { 'dense/kernel': 0.96, 'conv/kernel': 0.9 } },
    { index: 2, targetSparsity: 0.9, sparsity: 0.9, metrics: { accuracy: 0.841 }, layerSparsity: { 'dense/kernel': 0.91, 'conv/kernel': 0.85 } },
    { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: { accuracy: 0.88 }, layerSparsity: { 'dense/kernel': 0, 'conv/kernel': 0 } },
  ],
};
const okInfo: ArtifactInfo = {
  state: 'ok', format: 'safetensors', fileSize: 1234567, meta, tensorCount: 7,
  layers: [{ name: 'conv/kernel', shape: [3, 3, 1, 8], dtype: 'F32' }, { name: 'dense/kernel', shape: [784, 10], dtype: 'F32' }],
};

function flatten(nodes: TreeNode[]): TreeNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}

describe('artifactType', () => {
  it('tells checkpoints, run markers and TF.js models apart', () => {
    assert.equal(artifactType('runs/a/a.elsa.safetensors'), 'elsa');
    assert.equal(artifactType('x/model.SAFETENSORS'), 'safetensors');
    assert.equal(artifactType('runs/a/events.jsonl'), 'runMarker');
    assert.equal(artifactType('exports/l2/model.json'), 'tfjs');
    assert.equal(artifactType('package.json'), 'other');
  });
});

describe('buildRoots', () => {
  const files = found(
    'runs/demo/events.jsonl',
    'runs/demo/demo.elsa.safetensors',
    'runs/demo/baselines/independent-0.9.safetensors',
    'runs/demo/baselines/events.jsonl',
    'runs/demo/baselines/dense.safetensors',
    'runs/demo/exports/l2/model.json',
    'models/torch.safetensors',
    'runs/other/events.jsonl',
    'notes.txt',
  );
  const roots = buildRoots(files);

  it('puts each artifact under its outermost run folder (baselines/ is part of its run), loose files at the top level', () => {
    assert.deepEqual(roots.map((r) => r.label), ['demo', 'other', 'torch.safetensors']);
    const demo = roots[0];
    assert.equal(demo.contextValue, 'elsa.run');
    assert.equal(demo.uri, `${ws}/runs/demo`);
    assert.deepEqual(demo.children!.map((c) => c.label), ['demo.elsa.safetensors', 'Baselines', 'exports']);
    const baselines = demo.children![1];
    assert.deepEqual(baselines.children!.map((c) => c.label), ['dense.safetensors', 'independent-0.9.safetensors']);
    assert.equal(demo.children![2].children![0].label, 'l2/model.json');
    assert.deepEqual(roots[1].children, []);
  });

  it('gives every row a unique id and every artifact its file URI', () => {
    const all = flatten(roots);
    assert.equal(new Set(all.map((n) => n.id)).size, all.length);
    for (const n of all.filter((x) => x.kind === 'checkpoint' || x.kind === 'model')) assert.ok(n.uri?.startsWith(`${ws}/`));
    assert.equal(all.find((n) => n.label === 'demo.elsa.safetensors')!.contextValue, 'elsa.checkpoint.elsa');
    assert.equal(all.find((n) => n.label === 'torch.safetensors')!.contextValue, 'elsa.checkpoint.safetensors');
    assert.equal(all.find((n) => n.label === 'l2/model.json')!.contextValue, 'elsa.model');
  });

  it('treats a run marker at the workspace root as a run holding everything', () => {
    const r = buildRoots(found('events.jsonl', 'a.elsa.safetensors'));
    assert.equal(r.length, 1);
    assert.equal(r[0].label, '(workspace root)');
    assert.equal(r[0].children![0].label, 'a.elsa.safetensors');
  });
});

describe('study folders', () => {
  const roots = buildRoots(found(
    'studies/out/study.json',
    'studies/out/mlp-gmp-s1/events.jsonl',
    'studies/out/mlp-gmp-s1/mlp-gmp-s1.elsa.safetensors',
    'studies/out/mlp-gmp-s1/baselines/events.jsonl',
    'studies/out/mlp-gmp-s1/baselines/dense-4ep.safetensors',
    'studies/out/mlp-gmp-s2/events.jsonl',
    'runs/demo/events.jsonl',
  ));

  it('lists a study folder on top, holding its cells as runs', () => {
    assert.equal(artifactType('studies/out/study.json'), 'studyMarker');
    assert.deepEqual(roots.map((r) => [r.kind, r.label]), [['study', 'out'], ['run', 'demo']]);
    const study = roots[0];
    assert.equal(study.contextValue, 'elsa.study');
    assert.equal(study.uri, `${ws}/studies/out`);
    assert.equal(study.description, 'study · 2 cells');
    assert.deepEqual(study.children!.map((c) => c.label), ['mlp-gmp-s1', 'mlp-gmp-s2']);
    assert.deepEqual(study.children![0].children!.map((c) => c.label), ['mlp-gmp-s1.elsa.safetensors', 'Baselines']);
  });
});

describe('artifact rows', () => {
  const node = buildRoots(found('a.elsa.safetensors'))[0];

  it('describe an ELSA checkpoint by its levels and size', () => {
    const d = decorateArtifact(node, okInfo);
    assert.equal(d.description, '2 levels + dense · 1.18 MiB');
    assert.equal(d.contextValue, 'elsa.checkpoint.elsa');
    assert.equal(d.isError, undefined);
  });

  it('show a training snapshot as such', () => {
    const d = decorateArtifact(node, { ...okInfo, meta: { ...meta, training: { status: 'training', phase: 1, epoch: 2, step: 10 } } } as ArtifactInfo);
    assert.equal(d.description, 'training · phase 1/2 → 95 % · 1.18 MiB');
  });

  it('show a corrupt file as one error row with the one-line message', () => {
    const message = 'CheckpointError: a.elsa.safetensors: header length 9e18 exceeds file size 4096';
    const d = decorateArtifact(node, { state: 'error', message });
    assert.equal(d.isError, true);
    assert.equal(d.description, message);
    assert.equal(d.collapsible, 'none');
    assert.equal(d.contextValue, 'elsa.checkpoint.elsa.error');
    assert.ok(!d.description!.includes('\n'));
  });

  it('expand to levels with the stable label format, then a Layers group', () => {
    const kids = artifactChildren(node, okInfo);
    assert.deepEqual(kids.map((k) => k.label), [
      'Level 1 · 95.0 % sparse · acc 81.2 %',
      'Level 2 · 90.0 % sparse · acc 84.1 %',
      'Level 3 · 0.0 % sparse · acc 88.0 %',
      'Layers (2)',
    ]);
    assert.deepEqual(kids.map((k) => k.description), ['target 95.0 %', 'target 90.0 %', 'dense', 'sparsity per level']);
    assert.deepEqual(kids.map((k) => k.contextValue), ['elsa.level', 'elsa.level', 'elsa.level.dense', 'elsa.group.layers']);
    assert.equal(kids[1].level, 2);
    assert.deepEqual(kids[0].children!.map((c) => `${c.label} ${c.description}`), ['conv/kernel [3, 3, 1, 8] · 90.0 % sparse', 'dense/kernel [784, 10] · 96.0 % sparse']);
    assert.deepEqual(kids[3].children!.map((c) => c.description), ['[3, 3, 1, 8] · 90.0 / 85.0 / 0.0 % sparse', '[784, 10] · 96.0 / 91.0 / 0.0 % sparse']);
  });

  it('list levels still to train as pending', () => {
    const partial = { ...okInfo, meta: { ...meta, levels: meta.levels.slice(0, 1) } } as ArtifactInfo;
    const kids = artifactChildren(node, partial);
    assert.deepEqual(kids.map((k) => k.label), ['Level 1 · 95.0 % sparse · acc 81.2 %', 'Level 2 · pending', 'Layers (2)']);
  });

  it('expand a foreign file to its tensors', () => {
    const plain = buildRoots(found('m.safetensors'))[0];
    const kids = artifactChildren(plain, { state: 'ok', format: 'safetensors', fileSize: 10, tensorCount: 1, layers: [{ name: 'fc.weight', shape: [4, 2], dtype: 'F16' }] });
    assert.deepEqual(kids.map((k) => `${k.label} ${k.description}`), ['fc.weight [4, 2] · F16']);
  });
});

describe('formatting', () => {
  it('formats sizes and levels without accuracy', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(2048), '2.00 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
    assert.equal(levelLabel({ index: 4, targetSparsity: 0.5, sparsity: 0.5, metrics: {} }), 'Level 4 · 50.0 % sparse');
  });
});
