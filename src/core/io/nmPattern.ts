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

/** One fan-in order and one group size M: zero counts of the open groups, and the satisfied-group tallies. */
class GroupTracker {
  private readonly open: Uint8Array;
  readonly satisfied: number[];
  total = 0;
  /** False once a gap in the stream made the groups unknowable (sampled statistics of a huge tensor). */
  valid = true;
  constructor(private readonly m: number, private readonly stride: number, private readonly ns: number[]) {
    this.open = new Uint8Array(stride);
    this.satisfied = ns.map(() => 0);
  }

  /** `zero(i)` tells whether element `start + i` is exactly zero (NaN counts as nonzero). */
  add(start: number, len: number, isZero: (i: number) => boolean): void {
    const { m, stride, open } = this;
    for (let i = 0; i < len; i++) {
      const idx = start + i;
      // `last`: stride 1, element idx is position idx % m of group idx / m. `first`: column idx % stride,
      // row idx / stride; position (row % m) of that column's open group.
      const col = stride === 1 ? 0 : idx % stride;
      const pos = stride === 1 ? idx % m : Math.floor(idx / stride) % m;
      if (pos === 0) open[col] = 0;
      if (isZero(i)) open[col]++;
      if (pos === m - 1) {
        const zeros = open[col];
        this.total++;
        for (let p = 0; p < this.ns.length; p++) if (zeros >= m - this.ns[p]) this.satisfied[p]++;
      }
    }
  }
}

/** Streams one tensor's values (in memory order) and reports the N:M shares; rank < 2 tensors have none. */
export class NmAccumulator {
  private readonly trackers: { axis: 'last' | 'first'; m: number; t: GroupTracker }[] = [];
  private next = 0;

  constructor(shape: readonly number[]) {
    if (shape.length < 2) return;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count === 0) return;
    const last = shape[shape.length - 1];
    const rowLength = count / shape[0]; // PyTorch fan-in: everything after the first axis
    const rows = count / last; // TF.js fan-in: everything before the last axis
    for (const m of [...new Set(NM_PATTERNS.map((p) => p.m))]) {
      const ns = NM_PATTERNS.filter((p) => p.m === m).map((p) => p.n);
      if (rowLength % m === 0) this.trackers.push({ axis: 'last', m, t: new GroupTracker(m, 1, ns) });
      if (rows % m === 0) this.trackers.push({ axis: 'first', m, t: new GroupTracker(m, last, ns) });
    }
  }

  /** Values of elements [start, start + data.length). A gap (start != where the last chunk ended) is allowed
   *  only where it does not cut a group; otherwise that order is dropped. */
  add(start: number, data: ArrayLike<number>): void {
    if (this.trackers.length === 0) return;
    const gap = start !== this.next;
    for (const { t, m, axis } of this.trackers) {
      if (!t.valid) continue;
      if (gap && (axis === 'first' || start % m !== 0 || this.next % m !== 0)) { t.valid = false; continue; }
      t.add(start, data.length, (i) => data[i] === 0);
    }
    this.next = start + data.length;
  }

  result(): NmReport | undefined {
    const patterns: NmPatternShare[] = [];
    for (const p of NM_PATTERNS) {
      let best: NmPatternShare | undefined;
      for (const { t, m, axis } of this.trackers) {
        if (m !== p.m || !t.valid || t.total === 0) continue;
        const k = NM_PATTERNS.filter((q) => q.m === m).findIndex((q) => q.n === p.n);
        const share = t.satisfied[k] / t.total;
        if (!best || share > best.share) best = { pattern: `${p.n}:${p.m}`, n: p.n, m: p.m, axis, share, groups: t.total };
      }
      if (best) patterns.push(best);
    }
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
