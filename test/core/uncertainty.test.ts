/** Error bars: the seed spread when there are seeds, else the binomial interval of the test-set size. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracyUncertainty, binomialInterval, describeUncertainty, sampleStd } from '../../src/protocol/uncertainty';

describe('accuracy uncertainty', () => {
  it('gives the 95 % Wilson interval of the test-set size for one seed', () => {
    const at85 = binomialInterval(0.85, 1000);
    // Textbook value (Wilson, z = 1.96): [0.8263, 0.8708].
    assert.ok(Math.abs(at85.low - 0.8263) < 5e-4 && Math.abs(at85.high - 0.8708) < 5e-4, JSON.stringify(at85));
    const half = (i: { low: number; high: number }) => (i.high - i.low) / 2;
    assert.ok(Math.abs(half(binomialInterval(0.5, 1000)) - 0.031) < 1e-3);
    assert.ok(Math.abs(half(binomialInterval(0.85, 300)) - 0.040) < 2e-3);
    assert.ok(half(binomialInterval(0.85, 10000)) < 0.008);
    const edge = binomialInterval(1, 50);
    assert.equal(edge.high, 1);
    assert.ok(edge.low > 0.9 && edge.low < 1, 'a perfect score still has a lower bound below 1');
    const u = accuracyUncertainty([0.85], 1000);
    assert.equal(u.kind, 'binomial-95');
    assert.equal(describeUncertainty(u, 1000), '±2.2 pt (95 % binomial, 1000 test images)');
  });

  it('gives mean ± sample std over seeds', () => {
    const u = accuracyUncertainty([0.88, 0.9, 0.92], 10000);
    assert.equal(u.kind, 'seed-std');
    assert.ok(Math.abs(u.value - 0.9) < 1e-12);
    assert.ok(Math.abs(u.high - u.value - 0.02) < 1e-12 && Math.abs(u.value - u.low - 0.02) < 1e-12);
    assert.equal(sampleStd([0.5]), 0);
    assert.equal(accuracyUncertainty([0.7], undefined).kind, 'none');
    assert.equal(accuracyUncertainty([NaN, 0.7, 0.9], 100).n, 2);
  });
});
