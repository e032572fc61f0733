/**
 * Progress for a training run: on a TTY one bar redrawn in place; otherwise (a task terminal that is not a
 * TTY, a pipe, CI) exactly one plain line per epoch, so logs stay readable.
 */
import type { TrainProgress } from '../core/method/trainer';
import type { TrainingEvent } from '../protocol/events';
import { terminalInfo } from './supervisor';
import { formatPercent } from '../protocol/format';
import { phaseProgressLabel } from '../protocol/levels';

// A missing value keeps the column width of a number.
const pct = (x: number | undefined, digits = 1) => (x === undefined || Number.isNaN(x) ? '  –  ' : formatPercent(x, digits));

export function formatEpochLine(e: Extract<TrainingEvent, { type: 'epoch' }>, label: string): string {
  return (
    `[${label}] epoch ${e.epoch}  loss ${e.loss.toFixed(4)}  acc ${pct(e.accuracy)}` +
    (e.evalAccuracy !== undefined ? `  test acc ${pct(e.evalAccuracy)}` : '') +
    `  sparsity ${pct(e.sparsity)}  ${Math.round(e.samplesPerSecond)} samples/s  ${e.seconds.toFixed(1)}s`
  );
}

export class ProgressReporter {
  private lastDraw = 0;
  private readonly tty: boolean;
  private labels = new Map<number, string>();
  private barShown = false;
  private readonly columns: () => number;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly prefix = '',
  ) {
    // In the supervised worker, stdout is a pipe to the main thread: ask what the user's terminal is.
    const terminal = terminalInfo(out);
    this.tty = terminal.isTTY && !process.env.CI;
    this.columns = () => out.columns || terminal.columns || 100;
  }

  /** Called every step. */
  step(p: TrainProgress): void {
    this.labels.set(p.phase.index, phaseProgressLabel(p.phase.index, p.sparseLevelCount, p.phase.target));
    if (!this.tty) return;
    const t = Date.now();
    if (t - this.lastDraw < 100 && p.batch + 1 < p.batchesPerEpoch) return;
    this.lastDraw = t;
    const label = `${this.prefix}[${phaseProgressLabel(p.phase.index, p.sparseLevelCount, p.phase.target)}] epoch ${p.epoch + 1}/${p.phase.epochs} ${p.batch + 1}/${p.batchesPerEpoch} `;
    // The bar takes what the terminal has left, so the numbers are never cut off.
    const width = Math.max(0, Math.min(30, this.columns() - label.length - 1));
    const filled = Math.round(((p.batch + 1) / p.batchesPerEpoch) * width);
    this.out.write(`\r${label}${'█'.repeat(filled)}${'░'.repeat(width - filled)}\x1b[K`);
    this.barShown = true;
  }

  /** Called for every event of a run with `sparseLevelCount` = K sparse levels; prints the lines that matter. */
  event(e: TrainingEvent, sparseLevelCount: number): void {
    const line = this.lineFor(e, sparseLevelCount);
    if (!line) return;
    if (this.barShown) {
      this.out.write('\r\x1b[K');
      this.barShown = false;
    }
    this.out.write(this.prefix + line + '\n');
  }

  private lineFor(e: TrainingEvent, sparseLevelCount: number): string | undefined {
    switch (e.type) {
      case 'epoch': {
        const label = this.labels.get(e.phase) ?? phaseProgressLabel(e.phase, sparseLevelCount);
        return formatEpochLine(e, label);
      }
      case 'level-done':
        return `level ${e.level} done: target ${pct(e.targetSparsity)}  measured ${pct(e.sparsity, 2)}  test acc ${pct(e.accuracy, 2)}`;
      case 'run-end':
        return `run ${e.status} in ${e.seconds.toFixed(1)}s${e.message ? `: ${e.message}` : ''}`;
      default:
        return undefined;
    }
  }
}
