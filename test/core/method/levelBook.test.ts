/**
 * The ELSA rule as the level book applies it, on a hand-worked 6-weight tensor with K = 2 (codes 1..3):
 * frozen = code <= k-1, update mask = active and not frozen, and at the end of phase k only active weights
 * still on the dense code take code k.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LevelBook } from '../../../src/core/method/levelBook';
import { planPhases } from '../../../src/core/method/phases';

const phases = planPhases([0.5, 0.25], { warmup: 1, perPhase: 1, dense: 1 });
const arr = (a: Uint8Array | null) => (a ? [...a] : a);

describe('level book', () => {
  it('freezes earlier levels, moves only free active weights and codes kept weights once', () => {
    const book = new LevelBook([{ name: 'w', size: 6 }], 3);
    assert.deepEqual(arr(book.codes.get('w')!), [3, 3, 3, 3, 3, 3], 'everything starts on the dense code K+1');
    assert.equal(book.updateMask('w', phases[0]), null, 'the warm-up moves every weight');

    // Phase 1 keeps weights 0 and 1.
    book.setActive('w', Uint8Array.from([1, 1, 0, 0, 0, 0]));
    assert.deepEqual(arr(book.frozen('w', phases[1])), [0, 0, 0, 0, 0, 0], 'nothing is frozen in phase 1');
    assert.deepEqual(arr(book.updateMask('w', phases[1])), [1, 1, 0, 0, 0, 0]);
    assert.equal(book.currentSparsity(), 4 / 6);
    book.assignLevel(1);
    assert.deepEqual(arr(book.codes.get('w')!), [1, 1, 3, 3, 3, 3]);
    assert.equal(book.levelInfo(phases[1], {}).sparsity, 4 / 6);

    // Phase 2: all active again; the sparsifier keeps 0, 1 (frozen) and 2, 3.
    book.activateAll();
    assert.deepEqual(arr(book.frozen('w', phases[2])), [1, 1, 0, 0, 0, 0], 'level 1 is frozen in phase 2');
    assert.deepEqual(arr(book.updateMask('w', phases[2])), [0, 0, 1, 1, 1, 1], 'frozen weights never move');
    book.setActive('w', Uint8Array.from([1, 1, 1, 1, 0, 0]));
    book.assignLevel(2);
    assert.deepEqual(arr(book.codes.get('w')!), [1, 1, 2, 2, 3, 3], 'level-1 weights keep code 1');

    // Dense phase: levels 1 and 2 frozen, the rest moves; it assigns no code (they stay K+1).
    book.activateAll();
    assert.deepEqual(arr(book.updateMask('w', phases[3])), [0, 0, 0, 0, 1, 1]);
    const dense = book.levelInfo(phases[3], { accuracy: 0.5 });
    assert.equal(dense.dense, true);
    assert.equal(dense.sparsity, 0);
    assert.deepEqual(dense.layerSparsity, { w: 0 });
  });

  it('restores codes and masks, a missing mask meaning all active', () => {
    const book = new LevelBook([{ name: 'w', size: 3 }], 2);
    book.restore({ w: Uint8Array.from([1, 2, 2]) }, {});
    assert.deepEqual(arr(book.active.get('w')!), [1, 1, 1]);
    assert.deepEqual(arr(book.frozen('w', phases[2])), [1, 0, 0]);
  });
});
