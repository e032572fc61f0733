import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../src/core/random';

test('the same seed gives the same stream, different seeds differ', () => {
  for (const seed of [0, 1, 2, 42, -7, 2 ** 31 + 5]) {
    const a = createRng(seed);
    const b = createRng(seed);
    const xs = Array.from({ length: 50 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 50 }, () => b.next()));
    const c = createRng(seed + 1);
    assert.notDeepEqual(xs, Array.from({ length: 50 }, () => c.next()));
  }
});

test('next() stays in [0, 1) and int(n) in [0, n) covering every value', () => {
  const rng = createRng(3);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
    counts[rng.int(7)]++;
  }
  for (const c of counts) assert.ok(c > 800 && c < 1200, `int(7) counts ${counts.join(',')}`);
  assert.throws(() => rng.int(0), RangeError);
  assert.throws(() => rng.int(2.5), RangeError);
});

test('normal() has mean ~0 and variance ~1', () => {
  const rng = createRng(11);
  const n = 20000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const v = rng.normal();
    sum += v;
    sq += v * v;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1) < 0.05, `variance ${sq / n}`);
});

test('shuffle is a seeded permutation of typed and plain arrays', () => {
  for (let seed = 0; seed < 20; seed++) {
    const n = 1 + createRng(seed).int(200);
    const plain = Array.from({ length: n }, (_, i) => i);
    const typed = Int32Array.from(plain);
    createRng(seed).shuffle(plain);
    createRng(seed).shuffle(typed);
    assert.deepEqual(Array.from(typed), plain);
    assert.deepEqual([...plain].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  }
  const a = createRng(1).shuffle(Array.from({ length: 100 }, (_, i) => i));
  const b = createRng(2).shuffle(Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual(a, b);
});
