/**
 * "Is it really sparse": N:M structured sparsity (at most N nonzeros in every group of M consecutive fan-in
 * weights, e.g. 2:4 as sparse tensor cores run it). Values arrive in chunks in memory order, so a
 * multi-gigabyte tensor costs O(last dimension) memory. The layout of a foreign tensor is unknown, so both
 * fan-in orders are tried:
 * - `last`: groups of M neighbours in memory (PyTorch `[out, in, ...]`: the axes after the first; for a 2-D
 *   weight, the last axis);
 * - `first`: groups of M elements one row of the last axis apart (TF.js `[..., in, out]`: the axes before
 *   the last; for a 2-D kernel, the first axis).
 */

export interface NmPatternShare {
  /** `N:M`. */
  pattern: string;
  n: number;
  m: number;
  /** The fan-in order that fits best (the higher share; `last` on a tie). */
  axis: 'last' | 'first';
  /** Groups of M that hold at most N nonzeros, over the groups seen. */
  share: number;
  groups: number;
}

export interface NmReport {
  /** Per pattern, the better of the two fan-in orders. */
  patterns: NmPatternShare[];
  /** The sparsest pattern every group satisfies (1:4 before 2:4 before 4:8), or undefined. */
  holds?: string;
}

/** The patterns tested, sparsest first. */
export const NM_PATTERNS: readonly { n: number; m: number }[] = [{ n: 1, m: 4 }, { n: 2, m: 4 }, { n: 4, m: 8 }];

/**
 * One fan-in order: groups of 4 (for 1:4 and 2:4) and of 8 (4:8, two consecutive groups of 4) counted in one
 * pass — this runs per weight. `stride` 1 is the `last` order; otherwise the `first`, one column per counter.
 */
class AxisTracker {
  private readonly open4: Uint8Array;
  private readonly open8: Uint8Array;
  /** Groups of 4 with ≤ 1 and ≤ 2 nonzeros; groups of 8 with ≤ 4. */
  readonly sat = [0, 0, 0];
  total4 = 0;
  total8 = 0;
  /** False once a gap in the stream made the groups unknowable (sampled statistics of a huge tensor). */
  valid = true;
  constructor(readonly axis: 'last' | 'first', private readonly stride: number, readonly has8: boolean) {
    this.open4 = new Uint8Array(stride);
    this.open8 = new Uint8Array(stride);
  }

  /** Values of elements [start, start + data.length), in memory order. */
  add(start: number, data: ArrayLike<number>): void {
    const { stride, open4, open8, sat } = this;
    const len = data.length;
    let col = stride === 1 ? 0 : start % stride;
    // Position within the group of 8 (its low two bits: within the group of 4).
    let pos = (stride === 1 ? start : Math.floor(start / stride)) % 8;
    for (let i = 0; i < len; i++) {
      const z = data[i] === 0 ? 1 : 0;
      const z4 = (pos & 3) === 0 ? z : open4[col] + z;
      const z8 = pos === 0 ? z : open8[col] + z;
      open4[col] = z4;
      open8[col] = z8;
      if ((pos & 3) === 3) {
        this.total4++;
        if (z4 >= 3) sat[0]++;
        if (z4 >= 2) sat[1]++;
        if (pos === 7) {
          this.total8++;
          if (z8 >= 4) sat[2]++;
        }
      }
      if (stride === 1) pos = (pos + 1) & 7;
      else if (++col === stride) { col = 0; pos = (pos + 1) & 7; }
    }
  }
}

/** Streams one tensor's values (in memory order) and reports the N:M shares; rank < 2 tensors have none. */
export class NmAccumulator {
  private readonly trackers: AxisTracker[] = [];
  private next = 0;

  constructor(shape: readonly number[]) {
    if (shape.length < 2) return;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count === 0) return;
    const last = shape[shape.length - 1];
    const rowLength = count / shape[0]; // PyTorch fan-in: everything after the first axis
    const rows = count / last; // TF.js fan-in: everything before the last axis
    // Groups never cross a row (`last`) or a column (`first`): the fan-in length must be a multiple of M.
    if (rowLength % 4 === 0) this.trackers.push(new AxisTracker('last', 1, rowLength % 8 === 0));
    if (rows % 4 === 0) this.trackers.push(new AxisTracker('first', last, rows % 8 === 0));
  }

  /** Values of elements [start, start + data.length). A gap (start != where the last chunk ended) is allowed
   *  only where it does not cut a group; otherwise that order is dropped. */
  add(start: number, data: ArrayLike<number>): void {
    if (this.trackers.length === 0) return;
    const gap = start !== this.next;
    for (const t of this.trackers) {
      if (!t.valid) continue;
      if (gap && (t.axis === 'first' || start % 8 !== 0 || this.next % 8 !== 0)) { t.valid = false; continue; }
      t.add(start, data);
    }
    this.next = start + data.length;
  }

  result(): NmReport | undefined {
    const patterns: NmPatternShare[] = [];
    NM_PATTERNS.forEach((p, k) => {
      let best: NmPatternShare | undefined;
      for (const t of this.trackers) {
        const groups = p.m === 4 ? t.total4 : t.has8 ? t.total8 : 0;
        if (!t.valid || groups === 0) continue;
        const share = t.sat[k] / groups;
        if (!best || share > best.share) best = { pattern: `${p.n}:${p.m}`, n: p.n, m: p.m, axis: t.axis, share, groups };
      }
      if (best) patterns.push(best);
    });
    if (patterns.length === 0) return undefined;
    const holds = patterns.find((p) => p.share === 1)?.pattern;
    return { patterns, ...(holds ? { holds } : {}) };
  }
}

/** N:M shares of a whole tensor in memory. */
export function nmPatternOf(shape: readonly number[], data: ArrayLike<number>): NmReport | undefined {
  const acc = new NmAccumulator(shape);
  acc.add(0, data);
  return acc.result();
}
