/** Reading what the `elsa` CLI prints, for notifications (pure, unit-tested). */
import { formatPercent } from '../protocol/format';

/** One line from `elsa eval --json` output: per-level accuracy when it has the usual shape, else a pointer to the log. */
export function evalSummary(stdout: string): string {
  try {
    const value: unknown = JSON.parse(stdout);
    const levels = Array.isArray(value) ? value : (value as { levels?: unknown })?.levels;
    if (Array.isArray(levels)) {
      const parts = levels
        .filter((l): l is { level: number; accuracy: number } => typeof l?.level === 'number' && typeof l?.accuracy === 'number')
        .map((l) => `L${l.level} ${formatPercent(l.accuracy)}`);
      if (parts.length > 0) return `accuracy ${parts.join(', ')}`;
    }
    const acc = (value as { accuracy?: unknown })?.accuracy;
    if (typeof acc === 'number') return `accuracy ${formatPercent(acc)}`;
  } catch {
    // not JSON: fall through
  }
  return 'evaluation finished (details in the log)';
}
