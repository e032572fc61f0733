/**
 * One interface for every sparsifier: a schedule (how sparse the network should be at a point of a phase)
 * and a selection rule (which weights stay, chosen among the free ones only). A new sparsifier is one file.
 */

export interface SparsifiableTensor {
  name: string;
  /** Last dimension = output units; the rest is the reduction (fan-in) axis. */
  shape: number[];
  values: Float32Array;
  /** 1 where the weight is frozen in an earlier level: always kept, never chosen against. */
  frozen: Uint8Array;
}

export interface SelectionRequest {
  tensors: SparsifiableTensor[];
  /** Overall (or per-layer, for layer-wise rules) sparsity to reach. */
  sparsity: number;
}

export interface Sparsifier {
  readonly name: string;
  /**
   * Target sparsity at `progress` in [0, 1] through a phase that goes from `start` to `target`, or
   * `undefined` when the mask should not change at this point.
   */
  sparsityAt(progress: number, start: number, target: number): number;
  /**
   * Steps between mask updates (1 = every step). The trainer never selects at the first step of a phase (the
   * free weights have not trained yet) and always lands on the target by the end of the phase.
   */
  readonly updateEvery: number;
  /** Active masks (1 = kept), one per tensor; frozen weights are always kept. */
  select(request: SelectionRequest): Uint8Array[];
}
