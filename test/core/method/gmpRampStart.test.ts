/**
 * GMP's optional ramp start (Zhu & Gupta's t0), used by the level-gap experiment (docs/experiments/level-gap.md):
 * no pruning before `rampStart`, the same cubic shape compressed into [rampStart, rampFraction] after it, and
 * rampStart 0 is exactly the plain schedule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gmpSparsity } from '../../../src/core/method/sparsifiers/gmp';

describe('GMP rampStart', () => {
  it('holds the start sparsity until rampStart, then ramps cubically to the target at rampFraction', () => {
    for (const p of [0, 0.1, 0.2, 0.3333]) assert.equal(gmpSparsity(p, 0, 0.9, 0.75, 1 / 3), 0, `progress ${p}`);
    assert.ok(gmpSparsity(0.34, 0, 0.9, 0.75, 1 / 3) > 0, 'pruning starts right after rampStart');
    assert.equal(gmpSparsity(0.75, 0, 0.9, 0.75, 1 / 3), 0.9);
    // Halfway through the ramp the cubic is at 1 - 0.5³ of the way, as the plain schedule is halfway through its ramp.
    const mid = 1 / 3 + (0.75 - 1 / 3) / 2;
    assert.ok(Math.abs(gmpSparsity(mid, 0, 0.9, 0.75, 1 / 3) - gmpSparsity(0.375, 0, 0.9, 0.75)) < 1e-12);
    assert.ok(Math.abs(gmpSparsity(0.375, 0, 0.9, 0.75) - 0.9 * (1 - 0.5 ** 3)) < 1e-12);
  });

  it('rampStart 0 is the plain schedule', () => {
    for (let p = 0; p <= 1; p += 0.05) assert.equal(gmpSparsity(p, 0.2, 0.9, 0.75, 0), gmpSparsity(p, 0.2, 0.9, 0.75));
  });
});
