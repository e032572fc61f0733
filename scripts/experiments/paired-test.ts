// Is a difference between ELSA's level and the independent network more than test-set sampling? (docs/results.md)
//
// The study tables give mean ± sd over seeds: that is the spread from training (initial weights, batch order).
// A second source of chance is which 10,000 images the test set holds. Both networks of a cell are evaluated on
// the same images, so the paired test is McNemar's: of the images exactly one of the two gets right, ELSA gets
// n₁₀ and the independent network n₀₁; with no real difference each such image is a fair coin.
//
//   node --import tsx scripts/experiments/paired-test.ts <study output folder> [--levels 2,3] [--cells resnet-gmp] [--json FILE]
//       (--cells: only the cell folders whose name starts so, e.g. one sparsifier of a study with two)
//   ... --merge OLD.json   add the rows of an earlier --json output for cells not evaluated now (seeds whose
//       checkpoints are on another machine): the per-level summary then sums every seed's counts
//   ... --gap <level-gap output folder> [--variant v0] [--level 2] [--json FILE]   a level-gap experiment: per seed folder s<n>,
//       level L of <variant>.elsa.safetensors against the strict reference file (independent-…-strict-…)
//
// Per cell and level: both accuracies (re-evaluated here from the files, as `elsa eval` does), n₁₀, n₀₁, the net
// difference in images and McNemar's exact two-sided p. Per level over the cells (seeds): the summed counts, the
// net difference in points, its test-set standard error √(n₁₀ + n₀₁)/N per seed averaged, and the normal
// approximation's two-sided p of the summed counts.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataset, type Dataset } from '../../src/core/data/dataset';
import { initEngine } from '../../src/core/engine/backend';
import { checkpointDataSpec } from '../../src/core/config';
import { readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { evaluateModel } from '../../src/core/method/evaluate';
import { loadLevelModel } from '../../src/core/method/extract';
import { mcnemarExact, normalTwoSidedP } from '../../src/protocol/uncertainty';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const gapDir = opt('gap');
const studyDir = gapDir ?? args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!studyDir || !existsSync(studyDir)) {
  console.error('usage: paired-test.ts <study output folder> [--levels 2,3] [--cells PREFIX] [--merge OLD.json] [--json FILE]\n       paired-test.ts --gap <level-gap output folder> [--variant v0] [--level 2] [--json FILE]');
  process.exit(2);
}
// Options of one mode given to the other would be ignored without a word; refuse them instead.
const wrongMode = gapDir ? ['merge', 'cells', 'levels'].filter((o) => opt(o) !== undefined) : ['variant', 'level'].filter((o) => opt(o) !== undefined);
if (wrongMode.length) {
  console.error(`paired-test.ts: ${wrongMode.map((o) => `--${o}`).join(', ')} ${wrongMode.length > 1 ? 'apply' : 'applies'} only ${gapDir ? 'to a study folder, not with --gap' : 'with --gap'}`);
  process.exit(2);
}
const onlyLevels = opt('levels')?.split(',').map(Number);

interface ReportRow {
  level: number;
  targetSparsity: number;
  accuracy: number;
  epochs: number;
  file: string;
}
interface CellReport {
  run: string;
  testCount: number;
  elsa: ReportRow[];
  independent: ReportRow[];
  dense?: ReportRow | ReportRow[];
}

export interface PairedRow {
  cell: string;
  level: number;
  accElsa: number;
  accIndependent: number;
  /** Images ELSA gets right and the independent network wrong, and the other way round. */
  n10: number;
  n01: number;
  n: number;
  p: number;
}

/** Which test images a file's level gets right. */
async function rightOnes(file: string, target: number, dataset: Dataset): Promise<Uint8Array> {
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  const levels = ckpt.meta.levels;
  const level = (levels.find((l) => Math.abs(l.targetSparsity - target) < 1e-9) ?? levels[levels.length - 1]).index;
  const { model } = await loadLevelModel(file, level, { logits: true });
  try {
    const ev = await evaluateModel(model, dataset.test, dataset.shape, { numClasses: dataset.numClasses, keepLogits: true });
    const logits = ev.logits as Float32Array;
    const c = dataset.numClasses;
    const right = new Uint8Array(dataset.test.count);
    for (let i = 0; i < right.length; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (logits[i * c + j] > logits[i * c + best]) best = j;
      right[i] = best === dataset.test.labels[i] ? 1 : 0;
    }
    return right;
  } finally {
    model.dispose();
  }
}

/** The pairs of a level-gap experiment folder: per seed, the variant's level L against the strict reference. */
async function gapPairs(root: string): Promise<{ cell: string; level: number; target: number; a: string; b: string; dataFrom: string }[]> {
  const variant = opt('variant') ?? 'v0';
  const level = Number(opt('level') ?? 2);
  const out = [];
  for (const seedDir of readdirSync(root).filter((d) => /^s\d+$/.test(d)).sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))) {
    const dir = path.join(root, seedDir);
    const a = path.join(dir, `${variant}.elsa.safetensors`);
    const ref = readdirSync(dir).find((f) => /^(independent-.*-strict|dense)-\d+ep\.safetensors$/.test(f));
    if (!existsSync(a) || !ref) continue;
    const ckpt = await readElsaCheckpoint(a);
    await ckpt.close();
    const target = ckpt.meta.levels.find((l) => l.index === level)?.targetSparsity;
    if (target === undefined) throw new Error(`${a}: no level ${level}`);
    out.push({ cell: `${seedDir} ${variant}`, level, target, a, b: path.join(dir, ref), dataFrom: a });
  }
  return out;
}

async function main(): Promise<void> {
  const root = path.resolve(studyDir as string);
  if (gapDir) {
    await initEngine('auto');
    const pairs = await gapPairs(root);
    if (!pairs.length) throw new Error(`${root}: no seed folder with the variant and a strict reference`);
    const first = await readElsaCheckpoint(pairs[0].dataFrom);
    await first.close();
    const dataset = await loadDataset({ ...checkpointDataSpec(pairs[0].dataFrom, first.meta.config), limitTrain: 1 });
    const rows: PairedRow[] = [];
    for (const p of pairs) rows.push(pairRow(p.cell, p.level, await rightOnes(p.a, p.target, dataset), await rightOnes(p.b, p.target, dataset)));
    print(rows);
    writeJson(rows);
    return;
  }
  // A damaged --merge file is reported before minutes of evaluation, not after.
  const merge = opt('merge');
  const earlierRows = merge ? readPairedRows(merge) : [];
  const cellFilter = opt('cells');
  const cells = readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'report.json')) && (!cellFilter || d.startsWith(cellFilter)))
    .sort();
  if (!cells.length) throw new Error(`${root}: no cell folder${cellFilter ? ` named ${cellFilter}…` : ''} with a report.json`);
  await initEngine('auto');
  let dataset: Dataset | undefined;
  const rows: PairedRow[] = [];
  for (const cell of cells) {
    const dir = path.join(root, cell);
    const report = readReport(path.join(dir, 'report.json'));
    const elsaFile = path.join(dir, report.elsa[0].file);
    if (!dataset) {
      const ckpt = await readElsaCheckpoint(elsaFile);
      await ckpt.close();
      dataset = await loadDataset({ ...checkpointDataSpec(elsaFile, ckpt.meta.config), limitTrain: 1 });
    }
    const dense = Array.isArray(report.dense) ? report.dense[0] : report.dense;
    const pairs = report.elsa.map((e) => ({ e, ref: e.targetSparsity === 0 ? dense : report.independent.find((r) => r.level === e.level) }));
    for (const { e, ref } of pairs) {
      if (!ref || (onlyLevels && !onlyLevels.includes(e.level)) || e.level === 1) continue;
      const row = pairRow(cell, e.level, await rightOnes(elsaFile, e.targetSparsity, dataset), await rightOnes(path.join(dir, ref.file), e.targetSparsity, dataset));
      rows.push(row);
      console.error(`${cell} level ${e.level}: ELSA ${pct(row.accElsa)} vs ${pct(row.accIndependent)} (report: ${pct(e.accuracy)} vs ${pct(ref.accuracy)}), n10 ${row.n10}, n01 ${row.n01}`);
    }
  }
  let mergedFrom = '';
  if (merge) {
    const fresh = new Set(rows.map((r) => r.cell));
    const earlier = earlierRows.filter((r) => !fresh.has(r.cell));
    rows.unshift(...earlier);
    mergedFrom = `cells ${[...new Set(earlier.map((r) => r.cell))].join(', ')} from ${merge} (evaluated earlier); `;
    rows.sort((a, b) => a.cell.localeCompare(b.cell) || a.level - b.level);
  }
  print(rows, mergedFrom);
  writeJson(rows);
}

/** `--json FILE`: the rows, for a later `--merge`. */
function writeJson(rows: PairedRow[]): void {
  const json = opt('json');
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2) + '\n');
}

/** A JSON file's value, or one line naming the file and why it cannot be read as `what`. */
function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable ${what} (${(e as Error).message})`);
  }
}

/** The rows of an earlier `--json` output, or one line naming the file and what is wrong with it. */
function readPairedRows(file: string): PairedRow[] {
  const raw = readJson(file, 'JSON file of paired rows');
  const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  const ok = (r: Partial<PairedRow>) =>
    r && typeof r.cell === 'string' && Number.isInteger(r.level) && count(r.n10) && count(r.n01) && count(r.n) && (r.n as number) >= (r.n10 as number) + (r.n01 as number) && (r.n as number) > 0 &&
    [r.accElsa, r.accIndependent, r.p].every((x) => typeof x === 'number' && x >= 0 && x <= 1);
  if (!Array.isArray(raw) || !raw.every(ok)) throw new Error(`${file}: not paired-test rows (each needs cell, level, n10, n01, n with n10 + n01 ≤ n, and accElsa, accIndependent, p in [0, 1])`);
  return raw as PairedRow[];
}

/** A cell's report.json, or one line naming the file and what is wrong with it. */
function readReport(file: string): CellReport {
  const raw = readJson(file, 'JSON report');
  const r = raw as Partial<CellReport>;
  const rowsOk = (rows: unknown) => Array.isArray(rows) && rows.every((x) => x && typeof x.file === 'string' && typeof x.level === 'number' && typeof x.targetSparsity === 'number');
  if (!rowsOk(r.elsa) || !r.elsa?.length || !rowsOk(r.independent)) throw new Error(`${file}: not an elsa report (no ELSA levels with their files)`);
  return r as CellReport;
}

/** One paired row from the two right/wrong vectors on the same images. */
function pairRow(cell: string, level: number, a: Uint8Array, b: Uint8Array): PairedRow {
  let n10 = 0;
  let n01 = 0;
  let accA = 0;
  let accB = 0;
  for (let i = 0; i < a.length; i++) {
    accA += a[i];
    accB += b[i];
    if (a[i] && !b[i]) n10++;
    if (!a[i] && b[i]) n01++;
  }
  return { cell, level, accElsa: accA / a.length, accIndependent: accB / a.length, n10, n01, n: a.length, p: mcnemarExact(n10, n01) };
}

const pct = (x: number) => (100 * x).toFixed(2);
const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/** The tables; `source` says where rows not evaluated in this run came from. */
function print(rows: PairedRow[], source = ''): void {
  // The folder as given, relative to where the script runs: the table reads the same on every machine.
  console.log(`Paired test on the same ${rows[0]?.n ?? 0} test images (McNemar): ${source}${path.relative(process.cwd(), path.resolve(studyDir as string)) || '.'}\n`);
  console.log('| cell | level | ELSA % | independent % | n₁₀ (only ELSA right) | n₀₁ (only indep. right) | net, images | McNemar p |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.cell} | ${r.level} | ${pct(r.accElsa)} | ${pct(r.accIndependent)} | ${r.n10} | ${r.n01} | ${signed(r.n10 - r.n01, 0)} | ${r.p.toFixed(3)} |`);
  console.log('\nPer level over the cells (seeds): summed counts, mean net difference, its test-set standard error for one seed (√(n₁₀ + n₀₁)/N, mean over seeds) and the two-sided p of the summed counts (normal approximation).\n');
  console.log('| level | cells | Δ ELSA − indep. (pt), mean | test-set SE of one seed\'s Δ (pt) | Σn₁₀ | Σn₀₁ | p (summed) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const level of [...new Set(rows.map((r) => r.level))].sort((a, b) => a - b)) {
    const rs = rows.filter((r) => r.level === level);
    const n10 = rs.reduce((s, r) => s + r.n10, 0);
    const n01 = rs.reduce((s, r) => s + r.n01, 0);
    const delta = rs.reduce((s, r) => s + (r.n10 - r.n01) / r.n, 0) / rs.length;
    const se = rs.reduce((s, r) => s + Math.sqrt(r.n10 + r.n01) / r.n, 0) / rs.length;
    const z = n10 + n01 ? (n10 - n01) / Math.sqrt(n10 + n01) : 0;
    console.log(`| ${level} | ${rs.length} | ${signed(100 * delta)} | ${(100 * se).toFixed(2)} | ${n10} | ${n01} | ${normalTwoSidedP(z).toFixed(3)} |`);
  }
}

void main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
