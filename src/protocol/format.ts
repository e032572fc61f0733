/**
 * How numbers read, the same in the CLI, the extension and the webview (docs/architecture.md, "Vocabulary").
 * Pure string functions.
 *
 * Percent: a share x (0..1) prints as its percentage with a fixed number of decimals (1 unless the caller
 * needs more, e.g. 2 in tables of measured sparsity), a space (U+0020), and `%`: `95.0 %`. It never rounds to
 * `100 %` unless x is exactly 1, nor to `0 %` unless exactly 0 — 0.999995 prints as `>99.99 %`, 1e-7 as
 * `<0.1 %` — so a layer with one weight left is not shown as empty. A missing or non-finite value is `–`.
 * A configured target (a level's planned sparsity) prints as written, without padding zeros: `95 %`,
 * `87.5 %`, `99.25 %` (`formatTargetPercent`).
 *
 * Bytes: binary units B, KiB, MiB, GiB, TiB; whole bytes below 1 KiB (`512 B`), else two decimals below 10
 * and one above (`1.50 KiB`, `12.3 MiB`). A negative or non-finite size is `–`.
 *
 * Counts: whole numbers with en-US thousands separators (`1,234,567`).
 */

/** What a missing value prints as. */
export const MISSING = '–';

/** A share 0..1 as `95.0 %` (see the rule above). */
export function formatPercent(x: number | null | undefined, digits = 1): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return MISSING;
  // Near 1, one decimal would hide the last weights: at least two decimals there.
  const d = x > 0.999 && x < 1 ? Math.max(digits, 2) : digits;
  const text = (100 * x).toFixed(d);
  if (x < 1 && Number(text) >= 100) return `>${(100 - 10 ** -d).toFixed(d)} %`;
  if (x > 0 && Number(text) <= 0) return `<${(10 ** -d).toFixed(d)} %`;
  return `${text} %`;
}

/** A planned sparsity as written in the config: `95 %`, `87.5 %`, `99.25 %` (at most two decimals). */
export function formatTargetPercent(s: number | null | undefined): string {
  if (s === undefined || s === null || !Number.isFinite(s)) return MISSING;
  return `${+(s * 100).toFixed(2)} %`;
}

/** A size in bytes as `512 B`, `1.50 KiB`, `12.3 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return MISSING;
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A count as `1,234,567`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : MISSING;
}
