/**
 * Runs scripts/experiments/level-gap.ts with its arguments, and prints on stderr every update mask the optimizer
 * finally receives (after the probes' own wrapping), one line per call: `MASK <tensor> <trainable> <size>` or
 * `MASK <tensor> all` for no mask. Used by test/scripts/levelGapProbes.test.ts to see which weights a probe trains.
 */
import { MaskedOptimizer } from '../../src/core/method/optimizer';

const original = MaskedOptimizer.prototype.setUpdateMask;
MaskedOptimizer.prototype.setUpdateMask = function (this: MaskedOptimizer, tensor: string, mask: Uint8Array | null) {
  process.stderr.write(mask ? `MASK ${tensor} ${mask.reduce((s, m) => s + (m ? 1 : 0), 0)} ${mask.length}\n` : `MASK ${tensor} all\n`);
  return original.call(this, tensor, mask);
};
void import('../../scripts/experiments/level-gap');
