/**
 * A Hugging Face sharded model is one row of the Checkpoints tree, its index: the shards beside the index are
 * its parts. Shard-named files without an index, and other safetensors beside an index, stay rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FoundFile, type TreeNode, buildRoots } from '../../src/extension/treeModel';

const ws = 'file:///w';
const found = (...paths: string[]): FoundFile[] => paths.map((p) => ({ uri: `${ws}/${p}`, path: p }));
const labels = (nodes: readonly TreeNode[]): string[] => nodes.flatMap((n) => [`${n.kind}:${n.uri ?? n.label}`, ...labels(n.children ?? [])]);

describe('sharded models in the tree', () => {
  it('lists the index and hides the shards it sits with', () => {
    const roots = buildRoots(found(
      'big/model.safetensors.index.json', 'big/model-00001-of-00002.safetensors', 'big/model-00002-of-00002.safetensors',
      'big/extra.safetensors',
      'lone/model-00001-of-00002.safetensors',
      'runs/r/events.jsonl', 'runs/r/model.safetensors.index.json', 'runs/r/model-00001-of-00001.safetensors',
    ));
    const shown = labels(roots);
    assert.ok(shown.includes(`checkpoint:${ws}/big/model.safetensors.index.json`), shown.join(' '));
    assert.ok(shown.includes(`checkpoint:${ws}/big/extra.safetensors`), 'a safetensors file that is not shard-named stays');
    assert.ok(shown.includes(`checkpoint:${ws}/lone/model-00001-of-00002.safetensors`), 'a shard without an index beside it stays');
    assert.ok(shown.includes(`checkpoint:${ws}/runs/r/model.safetensors.index.json`), 'inside a run folder too');
    assert.equal(shown.filter((l) => /-0000\d-of-0000\d\.safetensors$/.test(l) && !l.includes('/lone/')).length, 0, shown.join(' '));
  });
});
