/**
 * The ELSA rule in one place (docs/architecture.md §1): per sparsifiable weight, its level code (1..K+1) and
 * whether it is active in the current phase's mask. Phase k may move only weights that are not frozen
 * (code > k-1) and active; the sparsifier chooses among free weights; at the end of sparse phase k every
 * active weight that still has the dense code gets code k and is frozen from then on. The trainer
 * (`trainer.ts`) runs the phases and asks this book what may move and what was kept.
 */
import type { LevelInfo } from '../../protocol/checkpoint';
import { levelSparsity } from '../io/elsaCheckpoint';
import { totalSparsity } from './levels';
import type { Phase } from './phases';

/** What the book needs of a parameter: its name and element count. */
export interface BookParam {
  name: string;
  size: number;
}

export class LevelBook {
  /** Per weight tensor: the sparsest level holding each weight (denseLevel until a sparse phase keeps it). */
  readonly codes: Map<string, Uint8Array>;
  /** Per weight tensor: 1 where the weight is in the current phase's mask. */
  readonly active: Map<string, Uint8Array>;

  constructor(private readonly params: readonly BookParam[], readonly denseLevel: number) {
    this.codes = new Map(params.map((p) => [p.name, new Uint8Array(p.size).fill(denseLevel)]));
    this.active = new Map(params.map((p) => [p.name, new Uint8Array(p.size).fill(1)]));
  }

  /** Continue from a saved run (a missing active mask means every weight was active). */
  restore(codes: Record<string, Uint8Array>, active: Record<string, Uint8Array | undefined>): void {
    for (const p of this.params) {
      this.codes.set(p.name, codes[p.name]);
      this.active.set(p.name, active[p.name] ?? new Uint8Array(p.size).fill(1));
    }
  }

  /** 1 where the weight belongs to a level finished before `phase` (it must not change again). */
  frozen(name: string, phase: Phase): Uint8Array {
    const c = this.code(name);
    const frozen = new Uint8Array(c.length);
    for (let i = 0; i < c.length; i++) frozen[i] = c[i] <= phase.index - 1 ? 1 : 0;
    return frozen;
  }

  /** The optimizer's update mask in `phase`: free and active weights move, nothing else; null = all (warm-up). */
  updateMask(name: string, phase: Phase): Uint8Array | null {
    if (phase.kind === 'warmup') return null;
    const c = this.code(name);
    const a = this.activeOf(name);
    const m = new Uint8Array(c.length);
    for (let i = 0; i < c.length; i++) m[i] = a[i] && c[i] > phase.index - 1 ? 1 : 0;
    return m;
  }

  /** The sparsifier's new mask for a tensor. */
  setActive(name: string, mask: Uint8Array): void {
    this.active.set(name, mask);
  }

  /** A new phase: every free weight trains again from where it is (pruned ones restart at zero). */
  activateAll(): void {
    for (const p of this.params) this.active.set(p.name, new Uint8Array(p.size).fill(1));
  }

  /** End of sparse phase k: the active weights that no earlier level holds get code k (and are frozen). */
  assignLevel(level: number): void {
    const denseLevel = this.denseLevel;
    for (const p of this.params) {
      const c = this.code(p.name);
      const a = this.activeOf(p.name);
      for (let i = 0; i < p.size; i++) if (a[i] && c[i] === denseLevel) c[i] = level;
    }
  }

  /** Share of inactive weights over all tensors (the network's sparsity right now). */
  currentSparsity(): number {
    let off = 0;
    let total = 0;
    for (const a of this.active.values()) {
      for (let i = 0; i < a.length; i++) off += a[i] ? 0 : 1;
      total += a.length;
    }
    return total === 0 ? 0 : off / total;
  }

  /** Per tensor, the share of inactive weights. */
  layerSparsity(): Record<string, number> {
    return Object.fromEntries([...this.active].map(([name, a]) => [name, 1 - a.reduce((n, v) => n + v, 0) / a.length]));
  }

  /** The checkpoint's record of a finished level, measured from the codes (what extraction will give). */
  levelInfo(phase: Phase, metrics: LevelInfo['metrics']): LevelInfo {
    return {
      index: phase.index,
      targetSparsity: phase.target,
      sparsity: totalSparsity([...this.codes.values()], phase.index),
      metrics,
      layerSparsity: Object.fromEntries([...this.codes].map(([name, c]) => [name, levelSparsity(c, phase.index)])),
      ...(phase.kind === 'dense' ? { dense: true } : {}),
    };
  }

  private code(name: string): Uint8Array {
    return this.codes.get(name) as Uint8Array;
  }

  private activeOf(name: string): Uint8Array {
    return this.active.get(name) as Uint8Array;
  }
}
