/** Magnitude selection among free weights, shared by the magnitude-based sparsifiers. */
import { checkLayerTargetNames, layerSparsityCurve, type LayerSparsityOf, type LayerTargets } from './layerTargets';
import type { SparsifiableTensor } from './types';

/** Keep the `keep` largest |w| among the free entries of `candidates` (ties: lower index first). */
function keepLargest(entries: { tensor: number; index: number; magnitude: number }[], keep: number, out: Uint8Array[]) {
  if (keep <= 0) return;
  if (keep >= entries.length) {
    for (const e of entries) out[e.tensor][e.index] = 1;
    return;
  }
  entries.sort((a, b) => b.magnitude - a.magnitude || a.tensor - b.tensor || a.index - b.index);
  for (let i = 0; i < keep; i++) out[entries[i].tensor][entries[i].index] = 1;
}

function frozenMasks(tensors: SparsifiableTensor[]): Uint8Array[] {
  return tensors.map((t) => Uint8Array.from(t.frozen));
}

function frozenCount(t: SparsifiableTensor): number {
  let n = 0;
  for (let i = 0; i < t.frozen.length; i++) n += t.frozen[i];
  return n;
}

/** The k-th smallest value (0-based) of `a`, which it reorders: quickselect, median-of-three pivots. */
export function kthSmallest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three to `mid`, then Hoare partition around its value.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Global magnitude ranking: the whole network reaches `sparsity` (kept = round((1-s)·N)). */
export function selectGlobalMagnitude(tensors: SparsifiableTensor[], sparsity: number): Uint8Array[] {
  const out = frozenMasks(tensors);
  const total = tensors.reduce((n, t) => n + t.values.length, 0);
  const frozen = tensors.reduce((n, t) => n + frozenCount(t), 0);
  const keep = Math.round((1 - sparsity) * total) - frozen;
  if (keep <= 0) return out;
  // Typed arrays for the ranking: magnitudes and packed (tensor, index) ids, sorted by an index permutation.
  const free = total - frozen;
  const mags = new Float32Array(free);
  const tensorOf = new Uint32Array(free);
  const indexOf = new Uint32Array(free);
  let j = 0;
  tensors.forEach((t, ti) => {
    for (let i = 0; i < t.values.length; i++) {
      if (t.frozen[i]) continue;
      mags[j] = Math.abs(t.values[i]);
      tensorOf[j] = ti;
      indexOf[j] = i;
      j++;
    }
  });
  if (keep >= free) {
    for (let i = 0; i < free; i++) out[tensorOf[i]][indexOf[i]] = 1;
    return out;
  }
  // Threshold = the keep-th largest magnitude (linear-time selection); keep everything above it, then ties in
  // index order until the count is exact.
  const threshold = kthSmallest(Float32Array.from(mags), free - keep);
  let kept = 0;
  for (let i = 0; i < free; i++) {
    if (mags[i] > threshold) {
      out[tensorOf[i]][indexOf[i]] = 1;
      kept++;
    }
  }
  for (let i = 0; i < free && kept < keep; i++) {
    if (mags[i] === threshold) {
      out[tensorOf[i]][indexOf[i]] = 1;
      kept++;
    }
  }
  return out;
}

/**
 * Layer-wise magnitude ranking: every tensor reaches `sparsity` on its own, or the sparsity `perLayer` gives
 * it for that overall value (per-layer targets).
 */
export function selectLayerMagnitude(tensors: SparsifiableTensor[], sparsity: number, perLayer?: LayerSparsityOf): Uint8Array[] {
  const out = frozenMasks(tensors);
  tensors.forEach((t, ti) => {
    const s = perLayer ? perLayer(t.name, sparsity) : sparsity;
    const keep = Math.round((1 - s) * t.values.length) - frozenCount(t);
    const entries: { tensor: number; index: number; magnitude: number }[] = [];
    for (let i = 0; i < t.values.length; i++) if (!t.frozen[i]) entries.push({ tensor: ti, index: i, magnitude: Math.abs(t.values[i]) });
    keepLargest(entries, keep, out);
  });
  return out;
}

/**
 * N:M selection: in every group of `m` consecutive fan-in weights of one output unit, keep `n` (frozen ones
 * count towards n). A trailing partial group keeps round(n·len/m).
 */
export function selectNM(tensors: SparsifiableTensor[], n: number, m: number): Uint8Array[] {
  const out = frozenMasks(tensors);
  tensors.forEach((t, ti) => {
    const cols = t.shape[t.shape.length - 1];
    const rows = t.values.length / cols;
    for (let c = 0; c < cols; c++) {
      for (let r0 = 0; r0 < rows; r0 += m) {
        const len = Math.min(m, rows - r0);
        const want = len === m ? n : Math.round((n * len) / m);
        const entries: { tensor: number; index: number; magnitude: number }[] = [];
        let kept = 0;
        for (let r = r0; r < r0 + len; r++) {
          const i = r * cols + c;
          if (t.frozen[i]) kept++;
          else entries.push({ tensor: ti, index: i, magnitude: Math.abs(t.values[i]) });
        }
        keepLargest(entries, want - kept, out);
      }
    }
  });
  return out;
}

export function selectMagnitude(tensors: SparsifiableTensor[], sparsity: number, scope: 'global' | 'layer', perLayer?: LayerSparsityOf): Uint8Array[] {
  return scope === 'global' ? selectGlobalMagnitude(tensors, sparsity) : selectLayerMagnitude(tensors, sparsity, perLayer);
}

/** The magnitude selection of a sparsifier spec: layer-wise ones honour `layerTargets`, checked on first use. */
export function magnitudeSelector(options: { scope: 'global' | 'layer'; layerTargets?: LayerTargets }): (tensors: SparsifiableTensor[], sparsity: number) => Uint8Array[] {
  const perLayer = options.layerTargets ? layerSparsityCurve(options.layerTargets) : undefined;
  let checked = false;
  return (tensors, sparsity) => {
    if (options.layerTargets && !checked) {
      checkLayerTargetNames(options.layerTargets, tensors.map((t) => t.name));
      checked = true;
    }
    return selectMagnitude(tensors, sparsity, options.scope, perLayer);
  };
}
