/** The paired tests of src/protocol/uncertainty.ts against values worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mcnemarExact, normalTwoSidedP } from '../../src/protocol/uncertainty';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('McNemar exact test', () => {
  it('is 1 with no discordant images or an even split, symmetric in the two sides', () => {
    assert.equal(mcnemarExact(0, 0), 1);
    assert.equal(mcnemarExact(5, 5), 1);
    assert.equal(mcnemarExact(3, 9), mcnemarExact(9, 3));
  });

  it('gives the binomial tail: 10 vs 0 is 2/1024, 1 vs 9 is 2·11/1024', () => {
    close(mcnemarExact(10, 0), 2 / 1024, 1e-15, '10 vs 0');
    close(mcnemarExact(1, 9), 22 / 1024, 1e-15, '1 vs 9');
  });

  it('does not underflow on a 10,000-image test set and agrees with the normal approximation there', () => {
    const p = mcnemarExact(1100, 1000);
    assert.ok(p > 0 && p < 1, `p = ${p}`);
    close(p, normalTwoSidedP((1100 - 1000) / Math.sqrt(2100)), 0.005, 'exact vs normal at m = 2100');
  });
});

describe('normal two-sided p', () => {
  it('is 1 at 0, 0.05 at 1.96 and 0.0027 at 3', () => {
    close(normalTwoSidedP(0), 1, 1e-6, 'z = 0');
    close(normalTwoSidedP(1.959963984540054), 0.05, 1e-6, 'z = 1.96');
    close(normalTwoSidedP(-3), 0.0026998, 1e-6, 'z = −3');
  });
});
