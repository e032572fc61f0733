/**
 * The phase plan of a run (docs/architecture.md §1): phase 0 dense warm-up, phases 1..K sparsify to s_1 > … > s_K with
 * the weights of earlier levels frozen, phase K+1 trains the remaining free weights densely.
 */
export interface Phase {
  index: number;
  /** 'warmup' (phase 0), 'sparse' (1..K), 'dense' (K+1). */
  kind: 'warmup' | 'sparse' | 'dense';
  epochs: number;
  /** Sparsity this phase ends at (0 for warm-up and dense). */
  target: number;
}

export function planPhases(targets: number[], epochs: { warmup: number; perPhase: number; dense: number }): Phase[] {
  const phases: Phase[] = [{ index: 0, kind: 'warmup', epochs: epochs.warmup, target: 0 }];
  targets.forEach((s, i) => phases.push({ index: i + 1, kind: 'sparse', epochs: epochs.perPhase, target: s }));
  phases.push({ index: targets.length + 1, kind: 'dense', epochs: epochs.dense, target: 0 });
  return phases;
}
