/**
 * Optimizers with partial weight freezing. Every parameter may carry an update mask: where it is 0 the
 * weight is left exactly as it was (a select, not a multiply, so it holds bit for bit even when the update
 * is huge or NaN) and its optimizer state is zeroed, so stale momentum or Adam moments can never move it.
 * A whole parameter can also be frozen (non-sparsified parameters in `frozen` mode).
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../config';
import { adamUpdate, sgdMomentumUpdate } from '../engine/fusedUpdates';

export interface OptimizedParam {
  /** Stable tensor name, e.g. `conv1/kernel`. */
  name: string;
  variable: tf.Variable;
  /** Weight decay applies to sparsifiable kernels only (biases and normalisation are left alone). */
  decay: boolean;
}

interface Slot {
  param: OptimizedParam;
  first: tf.Variable;
  second?: tf.Variable;
  /** Bool tensor (1 = may change) or null (all may change). */
  updateMask: tf.Tensor | null;
  frozen: boolean;
}

export class MaskedOptimizer {
  private readonly slots = new Map<string, Slot>();
  private readonly byVariable = new Map<string, Slot>();
  private stepCount = 0;
  learningRate: number;

  constructor(
    readonly spec: OptimizerSpec,
    params: OptimizedParam[],
  ) {
    this.learningRate = spec.learningRate;
    for (const param of params) {
      const slot: Slot = {
        param,
        first: tf.variable(tf.zerosLike(param.variable), false),
        second: spec.type === 'adam' ? tf.variable(tf.zerosLike(param.variable), false) : undefined,
        updateMask: null,
        frozen: false,
      };
      this.slots.set(param.name, slot);
      this.byVariable.set(param.variable.name, slot);
    }
  }

  /** Variables that still train (for gradient computation). */
  trainableVariables(): tf.Variable[] {
    return [...this.slots.values()].filter((s) => !s.frozen).map((s) => s.param.variable);
  }

  /** 1 where the weight may change; null lifts the mask. */
  setUpdateMask(name: string, mask: Uint8Array | null): void {
    const slot = this.slot(name);
    slot.updateMask?.dispose();
    slot.updateMask = mask ? tf.tensor(mask, slot.param.variable.shape, 'bool') : null;
  }

  setFrozen(name: string, frozen: boolean): void {
    this.slot(name).frozen = frozen;
  }

  isFrozen(name: string): boolean {
    return this.slot(name).frozen;
  }

  /** Zero all optimizer state (at a phase start). */
  resetState(): void {
    this.stepCount = 0;
    for (const s of this.slots.values()) {
      s.first.assign(tf.zerosLike(s.first));
      s.second?.assign(tf.zerosLike(s.second));
    }
  }

  /** Apply gradients keyed by variable name (as `tf.variableGrads` returns them). */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.stepCount++;
    const { spec } = this;
    const lr = this.learningRate;
    tf.tidy(() => {
      for (const [varName, g0] of Object.entries(grads)) {
        const slot = this.byVariable.get(varName);
        if (!slot || slot.frozen) continue;
        const w = slot.param.variable;
        const weightDecay = slot.param.decay ? spec.weightDecay : 0;
        // one fused pass per parameter with the native kernels, the same tfjs ops otherwise (engine/fusedUpdates.ts)
        if (spec.type === 'sgd') {
          const r = sgdMomentumUpdate(w, slot.first, g0, slot.updateMask, { learningRate: lr, momentum: spec.momentum, weightDecay });
          w.assign(r.next);
          if (r.velocity) slot.first.assign(r.velocity);
        } else {
          const t = this.stepCount;
          const stepSize = (lr * Math.sqrt(1 - spec.beta2 ** t)) / (1 - spec.beta1 ** t);
          const r = adamUpdate(w, slot.first, slot.second as tf.Variable, g0, slot.updateMask, {
            stepSize, beta1: spec.beta1, beta2: spec.beta2, epsilon: spec.epsilon, weightDecay,
          });
          w.assign(r.next);
          slot.first.assign(r.first);
          (slot.second as tf.Variable).assign(r.second);
        }
      }
    });
  }

  /** Optimizer state as host arrays, for a resumable checkpoint. */
  async exportState(): Promise<{ step: number; tensors: Record<string, { shape: number[]; data: Float32Array }> }> {
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, s] of this.slots) {
      tensors[`${name}/first`] = { shape: s.first.shape, data: (await s.first.data()) as Float32Array };
      if (s.second) tensors[`${name}/second`] = { shape: s.second.shape, data: (await s.second.data()) as Float32Array };
    }
    return { step: this.stepCount, tensors };
  }

  importState(state: { step: number; tensors: Record<string, { data: Float32Array }> }): void {
    this.stepCount = state.step;
    for (const [name, s] of this.slots) {
      const first = state.tensors[`${name}/first`];
      if (first) s.first.assign(tf.tensor(first.data, s.first.shape));
      const second = state.tensors[`${name}/second`];
      if (second && s.second) s.second.assign(tf.tensor(second.data, s.second.shape));
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.first.dispose();
      s.second?.dispose();
      s.updateMask?.dispose();
    }
    this.slots.clear();
    this.byVariable.clear();
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw new Error(`no optimized parameter named ${name}`);
    return s;
  }
}
