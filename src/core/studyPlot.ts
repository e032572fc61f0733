/**
 * The study's accuracy-vs-sparsity chart as an SVG string: one curve per method with an error bar on every
 * point (std over seeds, else the binomial 95 % interval). Pure and deterministic (fixed decimals, no clock,
 * no fonts measured), so the same study.json gives the same bytes — what docs/results.md embeds.
 */
import { METHOD_LABELS, type StudyGroup, type StudyMethod, type StudyPoint, type StudySummary } from '../protocol/study';
import { formatPercent, formatTargetPercent } from '../protocol/format';
import { DENSE_LABEL } from '../protocol/levels';

const COLORS: Record<StudyMethod, string> = { elsa: '#1f77b4', 'independent-strict': '#ff7f0e', 'independent-cheap': '#8c8c8c', dense: '#2ca02c' };
const DASH: Record<StudyMethod, string> = { elsa: '', 'independent-strict': '6 4', 'independent-cheap': '2 3', dense: '4 3' };
/** Methods sit side by side around each level (pixels) so their error bars do not hide each other. */
const NUDGE: Record<StudyMethod, number> = { elsa: -12, 'independent-strict': -4, 'independent-cheap': 4, dense: 12 };

const f = (x: number) => (Math.round(x * 100) / 100).toFixed(2);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round-number ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

export function studyGroupSvg(summary: Pick<StudySummary, 'name' | 'testCount'>, group: StudyGroup, size = { width: 720, height: 440 }): string {
  const { width, height } = size;
  const m = { left: 64, right: 20, top: 44, bottom: 96 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = group.series.flatMap((s) => s.points);
  const lows = all.map((p) => (Number.isFinite(p.low) ? p.low : p.mean));
  const highs = all.map((p) => (Number.isFinite(p.high) ? p.high : p.mean));
  let yLo = lows.length ? Math.min(...lows) : 0;
  let yHi = highs.length ? Math.max(...highs) : 1;
  const pad = Math.max((yHi - yLo) * 0.08, 0.005);
  yLo = Math.max(0, yLo - pad);
  yHi = Math.min(1, yHi + pad);
  // One evenly spaced column per level, densest left: the levels that matter (90 %, 95 %) would crowd on a linear axis.
  const columns = [...new Set(all.map((p) => +p.targetSparsity.toFixed(6)))].sort((a, b) => a - b);
  const X = (target: number) => m.left + ((Math.max(0, columns.indexOf(+target.toFixed(6))) + 0.5) * pw) / Math.max(columns.length, 1);
  const Y = (a: number) => m.top + (1 - (a - yLo) / (yHi - yLo || 1)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const seeds = group.seeds.length;
  const bars = seeds >= 2 ? `error bars: ±1 std over ${seeds} seeds` : `error bars: 95 % binomial interval, ${summary.testCount ?? '?'} test images`;
  out.push(`<text x="${m.left}" y="18" font-size="14" font-weight="bold">${esc(`${summary.name}: ${group.model} / ${group.sparsifier}`)}</text>`);
  out.push(`<text x="${m.left}" y="34" fill="#444">${esc(`accuracy vs sparsity, mean over ${seeds} seed${seeds === 1 ? '' : 's'}; ${bars}`)}</text>`);
  // Grid and axes.
  for (const t of ticks(yLo, yHi)) {
    out.push(`<line x1="${f(m.left)}" y1="${f(Y(t))}" x2="${f(m.left + pw)}" y2="${f(Y(t))}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${f(m.left - 6)}" y="${f(Y(t) + 4)}" text-anchor="end">${formatTargetPercent(t)}</text>`);
  }
  for (const t of columns) {
    out.push(`<line x1="${f(X(t))}" y1="${f(m.top)}" x2="${f(X(t))}" y2="${f(m.top + ph)}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${f(X(t))}" y="${f(m.top + ph + 16)}" text-anchor="middle">${t === 0 ? DENSE_LABEL : formatTargetPercent(t)}</text>`);
  }
  out.push(`<rect x="${f(m.left)}" y="${f(m.top)}" width="${f(pw)}" height="${f(ph)}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${f(m.left + pw / 2)}" y="${f(m.top + ph + 34)}" text-anchor="middle">target sparsity (share of weights that are zero)</text>`);
  out.push(`<text transform="translate(16 ${f(m.top + ph / 2)}) rotate(-90)" text-anchor="middle">test accuracy</text>`);
  // Curves with error bars.
  for (const s of group.series) {
    const c = COLORS[s.method];
    const pts = [...s.points].sort((a, b) => a.targetSparsity - b.targetSparsity);
    const px = (p: StudyPoint) => X(p.targetSparsity) + NUDGE[s.method];
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${DASH[s.method] ? ` stroke-dasharray="${DASH[s.method]}"` : ''} points="${pts.map((p) => `${f(px(p))},${f(Y(p.mean))}`).join(' ')}"/>`);
    for (const p of pts) {
      const x = px(p);
      if (Number.isFinite(p.low) && Number.isFinite(p.high) && p.high > p.low) {
        out.push(`<path d="M${f(x)} ${f(Y(p.low))}V${f(Y(p.high))}M${f(x - 4)} ${f(Y(p.low))}H${f(x + 4)}M${f(x - 4)} ${f(Y(p.high))}H${f(x + 4)}" stroke="${c}" stroke-width="1.5" fill="none"/>`);
      }
      out.push(`<circle cx="${f(x)}" cy="${f(Y(p.mean))}" r="3.5" fill="${c}"><title>${esc(`${METHOD_LABELS[s.method]}: ${formatPercent(p.mean, 2)} [${(p.low * 100).toFixed(2)}, ${(p.high * 100).toFixed(2)}] at ${formatPercent(p.sparsity)} sparsity, ${p.epochs} epochs, ${p.n} seed(s)`)}</title></circle>`);
    }
  }
  // Legend under the plot, with the epochs behind each method.
  group.series.forEach((s, i) => {
    const col = i % 2;
    const row = Math.floor(i / 2);
    const x = m.left + col * (pw / 2);
    const y = m.top + ph + 54 + row * 18;
    const epochs = [...new Set(s.points.map((p) => p.epochs))].join('/');
    out.push(`<line x1="${f(x)}" y1="${f(y - 4)}" x2="${f(x + 24)}" y2="${f(y - 4)}" stroke="${COLORS[s.method]}" stroke-width="2"${DASH[s.method] ? ` stroke-dasharray="${DASH[s.method]}"` : ''}/>`);
    out.push(`<text x="${f(x + 30)}" y="${f(y)}">${esc(`${METHOD_LABELS[s.method]} (${epochs} epochs)`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
