/**
 * The Compare messages both ways: `getCompare` requests are bounded, and a `compare` answer is dropped unless its
 * numbers are consistent (set algebra of the masks, histogram totals, shares in [0, 1], bin counts).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { compareStores } from '../../src/core/compare';
import { type CompareResult, isCompareResult } from '../../src/protocol/compare';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/validate';
import { elsaStore, plainStore } from '../helpers/compareFixture';

const request = (body: unknown) => ({ id: 3, type: 'request', body });
const response = (body: unknown) => ({ id: 4, type: 'response', inReplyTo: 3, body });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('getCompare request', () => {
  it('accepts levels 0..256 and bins 2..1024', () => {
    for (const body of [{ kind: 'getCompare', levelA: 1, levelB: 2, bins: 40 }, { kind: 'getCompare', levelA: 0, levelB: 0, bins: 2 }, { kind: 'getCompare', levelA: 256, levelB: 5, bins: 1024 }]) {
      assert.deepEqual(parseWebviewMessage(request(body))?.body, body);
    }
  });
  it('drops missing, negative, fractional or oversized levels and bins, and extra fields', () => {
    for (const body of [
      { kind: 'getCompare', levelA: 1, bins: 40 },
      { kind: 'getCompare', levelA: -1, levelB: 2, bins: 40 },
      { kind: 'getCompare', levelA: 1.5, levelB: 2, bins: 40 },
      { kind: 'getCompare', levelA: 257, levelB: 2, bins: 40 },
      { kind: 'getCompare', levelA: 1, levelB: 2, bins: 1 },
      { kind: 'getCompare', levelA: 1, levelB: 2, bins: 1025 },
      { kind: 'getCompare', levelA: '1', levelB: 2, bins: 40 },
    ]) assert.equal(parseWebviewMessage(request(body)), undefined, JSON.stringify(body));
    const extra = parseWebviewMessage(request({ kind: 'getCompare', levelA: 1, levelB: 2, bins: 40, file: '/etc/passwd' }));
    assert.deepEqual(extra?.body, { kind: 'getCompare', levelA: 1, levelB: 2, bins: 40 });
  });
});

describe('compare response', () => {
  let real: CompareResult;
  before(async () => {
    const a = await elsaStore();
    real = await compareStores({ store: a, level: 2 }, { store: await plainStore() }, { bins: 6 });
  });

  it('accepts what the core computes, and a compare target kind in init', () => {
    assert.ok(isCompareResult(real));
    assert.ok(parseHostMessage(response({ kind: 'compare', compare: real })));
    assert.ok(parseHostMessage({ id: 1, type: 'notification', body: { kind: 'init', target: { uri: 'file:///a', label: 'a ↔ b', kind: 'compare' } } }));
    assert.equal(parseHostMessage({ id: 1, type: 'notification', body: { kind: 'init', target: { uri: 'file:///a', label: 'a', kind: 'diff' } } }), undefined);
  });

  const tampered: [string, (r: CompareResult) => void][] = [
    ['an intersection larger than a mask', (r) => { r.layers[0].intersection = r.layers[0].keptA + 1; }],
    ['a union that is not |A| + |B| − |A∩B|', (r) => { r.layers[0].union += 1; r.layers[0].diff.total += 1; r.layers[0].diff.zero += 1; }],
    ['a Jaccard index above 1', (r) => { r.layers[0].jaccard = 1.5; }],
    ['a share of A above 1', (r) => { r.layers[0].sharedOfA = 2; }],
    ['histogram counts that do not add up to the union', (r) => { r.layers[0].diff.both[0] += 1; }],
    ['a histogram with another bin count', (r) => { r.layers[0].diff.onlyA.push(0); }],
    ['decreasing edges', (r) => { r.layers[0].diff.edges.reverse(); }],
    ['a negative count', (r) => { r.layers[0].diff.zero = -1; }],
    ['level targets that do not match the levels', (r) => { r.a.levelTargets.pop(); }],
    ['an unknown side kind', (r) => { (r.a as { kind: string }).kind = 'mystery'; }],
    ['another format', (r) => { (r as { format: string }).format = 'elsa-compare/0'; }],
    ['a non-numeric total', (r) => { (r.total as { jaccard: unknown }).jaccard = 'high'; }],
    ['bins out of range', (r) => { r.bins = 5000; }],
  ];
  for (const [name, spoil] of tampered) {
    it(`drops ${name}`, () => {
      const r = clone(real);
      spoil(r);
      assert.equal(isCompareResult(r), false);
      assert.equal(parseHostMessage(response({ kind: 'compare', compare: r })), undefined);
    });
  }
});
