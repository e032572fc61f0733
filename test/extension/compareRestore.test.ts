/** What a Compare panel remembers to come back after a window reload (src/extension/compareRestore.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparisonForTitle, rememberComparison } from '../../src/extension/compareRestore';

const sides = (n: number) => ({ a: { uri: `file:///w/${n}.elsa.safetensors`, level: 1 }, b: { uri: `file:///w/${n}.safetensors` } });

describe('the Compare panel after a reload', () => {
  it('finds the two sides, levels included, by the panel title', () => {
    const map = rememberComparison(undefined, 'ELSA: 1.elsa.safetensors@1 ↔ 1.safetensors', sides(1));
    assert.deepEqual(comparisonForTitle(map, 'ELSA: 1.elsa.safetensors@1 ↔ 1.safetensors'), sides(1));
    assert.equal(comparisonForTitle(map, 'ELSA: another'), undefined);
    assert.equal(comparisonForTitle(map, 'constructor'), undefined, 'no inherited property is a comparison');
  });

  it('keeps the newest comparisons, at most the bound, and re-remembering moves a title to the newest place', () => {
    let map: unknown = {};
    for (let i = 0; i < 5; i++) map = rememberComparison(map, `t${i}`, sides(i), 3);
    assert.deepEqual(Object.keys(map as object), ['t2', 't3', 't4']);
    map = rememberComparison(map, 't2', sides(9), 3);
    assert.deepEqual(Object.keys(map as object), ['t3', 't4', 't2']);
    assert.deepEqual(comparisonForTitle(map, 't2'), sides(9), 'the newer sides win');
  });

  it('ignores a state it did not write (missing side, bad level, not an object)', () => {
    const foreign = {
      noB: { a: { uri: 'file:///x' } },
      badLevel: { a: { uri: 'file:///x', level: -1 }, b: { uri: 'file:///y' } },
      fracLevel: { a: { uri: 'file:///x', level: 1.5 }, b: { uri: 'file:///y' } },
      emptyUri: { a: { uri: '' }, b: { uri: 'file:///y' } },
      text: 'hello',
    };
    for (const title of Object.keys(foreign)) assert.equal(comparisonForTitle(foreign, title), undefined, title);
    assert.equal(comparisonForTitle(['x'], '0'), undefined);
    assert.deepEqual(Object.keys(rememberComparison(foreign, 'new', sides(1))), ['new'], 'unreadable entries are dropped when writing');
  });
});
