/**
 * Learning-rate schedules. Every phase (warm-up, each sparse phase, the dense phase, and a baseline's phases
 * alike) restarts the schedule at the base rate and decays it within the phase, so the last epoch of a phase
 * is trained at a small rate and its accuracy is not a random point of a noisy curve (README "Studies").
 * The rate is a pure function of where training is, so a resumed run continues on the same curve.
 */

export type LrScheduleSpec =
  | { type: 'constant' }
  /** Half a cosine from the base rate down to `minFactor` × base over each phase, updated every step. */
  | { type: 'cosine'; minFactor: number }
  /**
   * Multiply by `gamma` every `stepEpochs` epochs of a phase, or, without `stepEpochs`, at each of the
   * `milestones` (fractions of the phase, e.g. [0.5, 0.75]).
   */
  | { type: 'step'; gamma: number; stepEpochs?: number; milestones: readonly number[] };

export const CONSTANT_LR: LrScheduleSpec = { type: 'constant' };

/** Where a step is inside its phase. */
export interface PhasePosition {
  /** 0-based optimizer step within the phase. */
  stepInPhase: number;
  stepsInPhase: number;
  /** 0-based epoch within the phase. */
  epochInPhase: number;
}

/** Factor (0, 1] the base learning rate is multiplied by at this point of a phase. */
export function lrFactor(schedule: LrScheduleSpec, at: PhasePosition): number {
  const progress = at.stepsInPhase > 0 ? Math.min(Math.max(at.stepInPhase / at.stepsInPhase, 0), 1) : 0;
  switch (schedule.type) {
    case 'constant':
      return 1;
    case 'cosine':
      return schedule.minFactor + ((1 - schedule.minFactor) * (1 + Math.cos(Math.PI * progress))) / 2;
    case 'step': {
      const drops = schedule.stepEpochs
        ? Math.floor(at.epochInPhase / schedule.stepEpochs)
        : schedule.milestones.filter((m) => progress >= m).length;
      return schedule.gamma ** drops;
    }
  }
}

/** The learning rate of one step: base rate × the schedule's factor. */
export function learningRateAt(schedule: LrScheduleSpec, baseRate: number, at: PhasePosition): number {
  return baseRate * lrFactor(schedule, at);
}
