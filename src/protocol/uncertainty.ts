/**
 * How sure an accuracy is: the one place the error bars of reports, studies, the dashboard and the SVG plots
 * come from.
 * - Several seeds: the mean, ± one sample standard deviation over seeds (how much a rerun moves the number).
 * - One seed: the 95 % Wilson score interval of a binomial proportion over the test-set size (how much the
 *   choice of test images moves it). On 1,000 images that is about ±2.2 pt at 85 % accuracy, ±3.1 pt at 50 %;
 *   on 10,000 images about ±0.7 pt.
 */

export interface Uncertainty {
  /** The accuracy shown: the mean over seeds, or the single measurement. */
  value: number;
  low: number;
  high: number;
  kind: 'seed-std' | 'binomial-95' | 'none';
  /** Seeds behind the value. */
  n: number;
}

const Z95 = 1.959963984540054;

/** 95 % Wilson score interval of `p` measured on `count` samples. */
export function binomialInterval(p: number, count: number): { low: number; high: number } {
  if (!(count > 0) || !Number.isFinite(p)) return { low: NaN, high: NaN };
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * count)) / (1 + z2 / count);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / count + z2 / (4 * count * count))) / (1 + z2 / count);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The uncertainty of an accuracy measured once per seed on a test set of `testCount` images. */
export function accuracyUncertainty(accuracies: readonly number[], testCount: number | undefined): Uncertainty {
  const xs = accuracies.filter(Number.isFinite);
  const value = mean(xs);
  if (xs.length >= 2) {
    const sd = sampleStd(xs);
    return { value, low: value - sd, high: value + sd, kind: 'seed-std', n: xs.length };
  }
  if (xs.length === 1 && testCount && testCount > 0) return { value, ...binomialInterval(value, testCount), kind: 'binomial-95', n: 1 };
  return { value, low: value, high: value, kind: 'none', n: xs.length };
}

/** "±2.2 pt (95 % binomial, 1,000 test images)" / "±0.3 pt (std over 3 seeds)". */
export function describeUncertainty(u: Uncertainty, testCount?: number): string {
  const half = ((u.high - u.low) / 2) * 100;
  if (u.kind === 'seed-std') return `±${half.toFixed(2)} pt (std over ${u.n} seeds)`;
  if (u.kind === 'binomial-95') return `±${half.toFixed(1)} pt (95 % binomial, ${testCount ?? '?'} test images)`;
  return 'no uncertainty known';
}

/** Train/test sizes from a checkpoint's provenance line, e.g. "fashion-mnist (…; 60000 train / 10000 test)" (core/run.ts writes it). */
export function datasetCounts(dataset: string | undefined): { train?: number; test?: number } {
  const m = dataset ? /(\d+) train \/ (\d+) test/.exec(dataset) : null;
  return m ? { train: Number(m[1]), test: Number(m[2]) } : {};
}

/**
 * McNemar's exact two-sided p for two classifiers on the same test images: of the images exactly one of them
 * gets right, the first gets `n10` and the second `n01`; with no real difference each such image is a fair coin,
 * so p = 2·P(X ≤ min(n10, n01)) for X ~ Bin(n10 + n01, ½), at most 1. Small p: the difference is more than the
 * choice of test images explains.
 */
export function mcnemarExact(n10: number, n01: number): number {
  const m = n10 + n01;
  if (!(m > 0)) return 1;
  const k = Math.min(n10, n01);
  // Terms in log space: C(m, i) / 2^m underflows for the thousands of discordant images of a 10,000-image test set.
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(m - i + 1) - Math.log(i);
    tail += Math.exp(logC - m * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

/** Two-sided p of a standard normal statistic z (Abramowitz–Stegun 7.1.26 for erfc; |error| < 1.5e-7). */
export function normalTwoSidedP(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return Math.min(1, erfc);
}
