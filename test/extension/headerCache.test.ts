/** The Checkpoints tree's memory between refreshes: headers re-read when a file's mtime/size moves, and no refresh when nothing changed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ElsaMetadata } from '../../src/protocol/checkpoint';
import {
  HeaderCache, artifactRows, artifactsUnder, rowKey, rowNeedsRefresh, sameFileList, sameStamp,
} from '../../src/extension/headerCache';
import { type ArtifactInfo, type FoundFile, type TreeNode, buildRoots, decorateArtifact } from '../../src/extension/treeModel';

const ws = 'file:///ws';
const found = (...paths: string[]): FoundFile[] => paths.map((p) => ({ uri: `${ws}/${p}`, path: p }));

const meta: ElsaMetadata = {
  format: 'elsa/1',
  targets: [0.9, 0.5],
  codes: { 'dense/kernel': 'elsa.codes/dense/kernel' },
  packing: 'bits2',
  levels: [
    { index: 1, targetSparsity: 0.9, sparsity: 0.9, metrics: { accuracy: 0.8 } },
    { index: 2, targetSparsity: 0.5, sparsity: 0.5, metrics: { accuracy: 0.85 } },
    { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: { accuracy: 0.88 } },
  ],
};
const layers = [{ name: 'dense/kernel', shape: [784, 10], dtype: 'F32' }];
const complete: ArtifactInfo = { state: 'ok', format: 'safetensors', fileSize: 220_000, meta, layers, tensorCount: 4 };
const training: ArtifactInfo = {
  ...complete, meta: { ...meta, levels: meta.levels.slice(0, 1), training: { status: 'training', phase: 2, epoch: 1, step: 40 } },
} as ArtifactInfo;

describe('HeaderCache', () => {
  it('re-reads a checkpoint rewritten under the same path (training → complete): fresh only under the stamp it was read with', () => {
    const cache = new HeaderCache<ArtifactInfo>();
    const uri = `${ws}/runs/a/a.elsa.safetensors`;
    cache.set(uri, { mtime: 1000, size: 200_000 }, training);
    assert.equal(cache.isFresh(uri, { mtime: 1000, size: 200_000 }), true);
    assert.equal(cache.isFresh(uri, { mtime: 2000, size: 200_000 }), false, 'new mtime');
    assert.equal(cache.isFresh(uri, { mtime: 1000, size: 220_000 }), false, 'new size');
    assert.equal(cache.isFresh(uri, undefined), false, 'cannot stat');
    // The stale header is still what the row shows until the new one is in.
    assert.equal(cache.get(uri), training);
    cache.set(uri, { mtime: 2000, size: 220_000 }, complete);
    assert.equal(cache.isFresh(uri, { mtime: 2000, size: 220_000 }), true);
    assert.equal(cache.get(uri), complete);
  });

  it('agrees with a model of itself over random sequences of reads, rewrites, expiries and deletes', () => {
    let seed = 12345;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let run = 0; run < 50; run++) {
      const cache = new HeaderCache<number>();
      const model = new Map<string, { stamp?: { mtime: number; size: number }; value: number }>();
      for (let op = 0; op < 200; op++) {
        const uri = `u${rnd(4)}`;
        const stamp = rnd(5) === 0 ? undefined : { mtime: rnd(3), size: rnd(3) };
        switch (rnd(4)) {
          case 0: cache.set(uri, stamp, op); model.set(uri, { stamp, value: op }); break;
          case 1: cache.expire(uri); if (model.has(uri)) model.get(uri)!.stamp = undefined; break;
          case 2: cache.delete(uri); model.delete(uri); break;
          default: break;
        }
        const m = model.get(uri);
        assert.equal(cache.get(uri), m?.value);
        assert.equal(cache.isFresh(uri, stamp), sameStamp(m?.stamp, stamp));
      }
      cache.expireAll();
      for (const uri of cache.keys()) assert.equal(cache.isFresh(uri, { mtime: 0, size: 0 }), false);
    }
  });
});

describe('refreshing only what changed', () => {
  const files = found('runs/a/events.jsonl', 'runs/a/a.elsa.safetensors', 'runs/a/baselines/dense.safetensors', 'runs/b/events.jsonl', 'runs/b/b.elsa.safetensors', 'm.safetensors');
  const roots = buildRoots(files);

  it('tells an unchanged file list from a changed one', () => {
    assert.equal(sameFileList(files, found(...files.map((f) => f.path))), true);
    assert.equal(sameFileList(files, files.slice(1)), false);
    assert.equal(sameFileList(files, [...files.slice(0, -1), { uri: `${ws}/n.safetensors`, path: 'n.safetensors' }]), false);
  });

  it('finds each artifact row by URI (the same object the tree holds) and the ones inside a run folder', () => {
    const rows = artifactRows(roots);
    assert.deepEqual([...rows.keys()].sort(), [`${ws}/m.safetensors`, `${ws}/runs/a/a.elsa.safetensors`, `${ws}/runs/a/baselines/dense.safetensors`, `${ws}/runs/b/b.elsa.safetensors`]);
    assert.equal(rows.get(`${ws}/m.safetensors`), roots.find((r) => r.label === 'm.safetensors'));
    assert.deepEqual(artifactsUnder(rows, `${ws}/runs/a`).sort(), [`${ws}/runs/a/a.elsa.safetensors`, `${ws}/runs/a/baselines/dense.safetensors`]);
    assert.deepEqual(artifactsUnder(rows, `${ws}/runs/b`), [`${ws}/runs/b/b.elsa.safetensors`]);
  });

  it('refreshes a shown row when training completes, not when the same header is read again, never a row not shown', () => {
    const row = artifactRows(roots).get(`${ws}/runs/a/a.elsa.safetensors`)!;
    const shownTraining = rowKey(decorateArtifact(row, training));
    assert.match(decorateArtifact(row, training).description!, /^training · phase 2\/2 → 50 %/);
    assert.equal(rowNeedsRefresh(shownTraining, row, training, complete), true);
    assert.equal(rowNeedsRefresh(shownTraining, row, training, structuredClone(training)), false);
    assert.equal(rowNeedsRefresh(undefined, row, training, complete), false);
    const reading = rowKey(decorateArtifact(row, { state: 'loading' }));
    assert.equal(rowNeedsRefresh(reading, row, undefined, complete), true);
    // Same row text, but a level's accuracy below it changed: its children must be fetched again.
    const shownComplete = rowKey(decorateArtifact(row, complete));
    const remeasured = { ...complete, meta: { ...meta, levels: [{ ...meta.levels[0], metrics: { accuracy: 0.81 } }, ...meta.levels.slice(1)] } } as ArtifactInfo;
    assert.equal(rowNeedsRefresh(shownComplete, row, complete, remeasured), true);
    // A new training snapshot that only moves the step count shows nothing new: no refresh.
    const nextStep = { ...training, meta: { ...training.state === 'ok' && training.meta, training: { status: 'training', phase: 2, epoch: 1, step: 80 } } } as ArtifactInfo;
    assert.notDeepEqual(nextStep, training);
    assert.equal(rowNeedsRefresh(shownTraining, row, training, nextStep), false);
  });

  it('keeps every row id stable across rebuilds and unique, derived from the file URI and the node kind', () => {
    const again = buildRoots(found(...[...files].reverse().map((f) => f.path)));
    const ids = (ns: TreeNode[]): string[] => ns.flatMap((n) => [n.id, ...ids(n.children ?? [])]);
    assert.deepEqual(ids(again).sort(), ids(roots).sort());
    assert.equal(new Set(ids(roots)).size, ids(roots).length);
    for (const [uri, row] of artifactRows(roots)) assert.equal(row.id, `file:${uri}`);
  });
});
