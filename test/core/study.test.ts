/** Study files, the aggregation over seeds, and the SVG plot — without training anything. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { studyRows, summarizeStudy, type CellState } from '../../src/core/study';
import { loadStudyConfig, resolveStudyConfig } from '../../src/core/studyConfig';
import { studyGroupSvg } from '../../src/core/studyPlot';
import { REPORT_FORMAT, type ReportPoint, type RunReport } from '../../src/protocol/report';

const root = path.resolve(__dirname, '../..');

describe('study config', () => {
  it('expands the committed Fashion-MNIST study into 24 valid cells, seed-major, N:M with its own levels', () => {
    const s = loadStudyConfig(path.join(root, 'studies/fashion-mnist.study.json'));
    assert.equal(s.cells.length, 24);
    assert.deepEqual(s.cells.slice(0, 8).map((c) => c.name), ['mlp-gmp-s1', 'mlp-acdc-s1', 'cnn-gmp-s1', 'cnn-acdc-s1', 'resnet-gmp-s1', 'resnet-acdc-s1', 'cnn-magnitude-s1', 'cnn-nm1of4-2of4-s1']);
    const nm = s.cells.find((c) => c.name === 'cnn-nm1of4-2of4-s2');
    assert.deepEqual(nm?.config.levels, [0.75, 0.5]);
    assert.deepEqual(nm?.config.sparsifier.type, 'nm');
    assert.equal(nm?.config.seed, 2);
    assert.equal(nm?.config.outDir, path.join(s.outDir, 'cnn-nm1of4-2of4-s2'));
    assert.deepEqual(s.cells[0].config.lrSchedule, { type: 'cosine', minFactor: 0.01 });
    assert.equal(s.cells[0].config.data.path, '/usr/share/datasets/fashion-mnist');
  });

  it('every committed study file expands into valid cells, each a cell name the file can be resumed by', () => {
    const dir = path.join(root, 'studies');
    const files = readdirSync(dir).filter((f) => f.endsWith('.study.json'));
    assert.ok(files.length >= 8, `studies/ holds ${files.length} study files`);
    for (const f of files) {
      const s = loadStudyConfig(path.join(dir, f));
      assert.ok(s.cells.length > 0, f);
      assert.equal(new Set(s.cells.map((c) => c.name)).size, s.cells.length, `${f}: cell names are unique`);
      for (const c of s.cells) assert.equal(c.config.data.path, '/usr/share/datasets/fashion-mnist', `${f}: ${c.name} trains on the full data`);
    }
    // the long grid's rest: small CNN × AC/DC, one-shot, N:M and residual CNN × GMP, AC/DC, 12 epochs per phase
    const rest = loadStudyConfig(path.join(dir, 'fashion-mnist-long.study.json'));
    assert.deepEqual([...new Set(rest.cells.map((c) => c.name.replace(/-s\d+$/, '')))].sort(), ['cnn-acdc', 'cnn-magnitude', 'cnn-nm1of4-2of4', 'resnet-acdc', 'resnet-gmp']);
    assert.ok(rest.cells.every((c) => c.config.epochs.perPhase === 12 && c.config.epochs.dense === 12));
  });

  it('names the study file and the cell for bad values, relative paths are the study file’s', () => {
    const ok = { name: 's', base: { levels: [0.9], data: { path: 'data' } }, models: ['mlp'], sparsifiers: [{ type: 'gmp' }], seeds: [1] };
    assert.equal(resolveStudyConfig(ok, '/w/x/s.study.json').cells[0].config.data.path, '/w/x/data');
    assert.throws(() => resolveStudyConfig({ ...ok, sparsifiers: [{ type: 'nm', m: 4 }] }, '/w/s.study.json'), /s\.study\.json: cell mlp-nm-s1: N:M with m=4 cannot reach sparsity 0\.9/);
    assert.throws(() => resolveStudyConfig({ ...ok, sparsifiers: [{ type: 'gmp' }, { type: 'gmp', scope: 'layer' }] }, '/w/s.study.json'), /two cells are named "mlp-gmp-s1"/);
    assert.throws(() => resolveStudyConfig({ ...ok, seeds: [] }, '/w/s.study.json'), /\/seeds must NOT have fewer than 1 items/);
    // a bounded study: 2 seeds × (1 + 600 extra grids) cells is refused before any cell is expanded
    const grids = Array.from({ length: 600 }, (_, i) => ({ models: ['mlp'], sparsifiers: [{ type: 'gmp', label: `g${i}` }] }));
    assert.throws(() => resolveStudyConfig({ ...ok, seeds: [1, 2], extraGrids: grids }, '/w/s.study.json'), /s\.study\.json: 1202 cells \(seeds × models × sparsifiers, extraGrids included\): at most 1000 in one study/);
    assert.equal(resolveStudyConfig({ ...ok, seeds: [1], extraGrids: grids.slice(0, 499) }, '/w/s.study.json').cells.length, 500);
    assert.throws(() => resolveStudyConfig({ ...ok, base: { levels: [0.9], name: 'x' } }, '/w/s.study.json'), /\/base has unknown property "name"/);
    assert.throws(() => resolveStudyConfig({ ...ok, sparsifiers: [{ type: 'gmp', prune: 3 }] }, '/w/s.study.json'), /cell mlp-gmp-s1: \/sparsifier has unknown property "prune"/);
  });
});

const pt = (level: number, targetSparsity: number, accuracy: number, epochs: number): ReportPoint => ({ level, targetSparsity, sparsity: targetSparsity, accuracy, epochs });

function report(seed: number, shift: number): RunReport {
  return {
    format: REPORT_FORMAT, run: `mlp-gmp-s${seed}`, createdAt: 'x', testCount: 1000, seeds: [seed],
    elsa: [pt(1, 0.9, 0.8 + shift, 3), pt(2, 0.5, 0.85 + shift, 5), pt(3, 0, 0.87 + shift, 6)],
    independent: [pt(1, 0.9, 0.8 + shift, 3), pt(2, 0.5, 0.86, 5)],
    independentCheap: [pt(1, 0.9, 0.8 + shift, 3), pt(2, 0.5, 0.84, 3)],
    dense: pt(3, 0, 0.88, 6),
    storage: [], notes: [],
  };
}

describe('study summary', () => {
  const study = resolveStudyConfig({ name: 's', base: { levels: [0.9, 0.5] }, models: ['mlp'], sparsifiers: [{ type: 'gmp' }], seeds: [1, 2, 3] }, '/w/s.study.json');
  const states = (n: number): CellState[] =>
    study.cells.map((cell, i) => (i < n ? { cell, report: report(cell.seed, [-0.01, 0, 0.01][i]), record: { format: 'elsa-study-cell/1', name: cell.name, identity: '', status: 'complete', seconds: { elsa: 10 * (i + 1), baselines: 30 } } } : { cell }));

  it('gives mean ± sample std over seeds per level per method, with the epochs behind each', () => {
    const s = summarizeStudy(study, states(3));
    const [g] = s.groups;
    assert.deepEqual(g.seeds, [1, 2, 3]);
    const elsa = g.series.find((x) => x.method === 'elsa')!.points;
    assert.deepEqual(elsa.map((p) => [p.level, p.epochs, p.n, p.interval]), [[1, 3, 3, 'seed-std'], [2, 5, 3, 'seed-std'], [3, 6, 3, 'seed-std']]);
    assert.ok(Math.abs(elsa[1].mean - 0.85) < 1e-12 && Math.abs(elsa[1].std - 0.01) < 1e-12);
    const strict = g.series.find((x) => x.method === 'independent-strict')!.points;
    assert.equal(strict[1].std, 0);
    assert.deepEqual(g.series.find((x) => x.method === 'dense')!.points.map((p) => [p.level, p.epochs]), [[3, 6]]);
    assert.equal(g.seconds.elsa, 20);
    const rows = studyRows(g);
    assert.deepEqual(rows[1], ['2', '50.0 %', '50.00 %', '85.00 ± 1.00', '5', '86.00 ± 0.00', '5', '-1.00', '84.00 ± 0.00', '3']);
    assert.deepEqual(rows[2].slice(0, 8), ['3 (dense)', '0.0 %', '0.00 %', '87.00 ± 1.00', '6', '88.00 ± 0.00', '6', '-1.00']);
  });

  it('uses the binomial interval with one seed, and leaves pending cells out', () => {
    const s = summarizeStudy(study, states(1));
    assert.deepEqual(s.cells.map((c) => c.status), ['complete', 'pending', 'pending']);
    const p = s.groups[0].series[0].points[0];
    assert.equal(p.interval, 'binomial-95');
    assert.ok(Math.abs((p.high - p.low) / 2 - 0.0248) < 1e-3, `±${(p.high - p.low) / 2} at 79 % on 1,000 images`);
  });

  it('plots every point with its error bar, deterministically', () => {
    const s = summarizeStudy(study, states(3));
    const a = studyGroupSvg(s, s.groups[0]);
    assert.equal(a, studyGroupSvg(s, s.groups[0]));
    assert.equal((a.match(/<circle /g) ?? []).length, 3 + 2 + 2 + 1);
    // Std 0 (the baselines here) draws no bar; the three ELSA points and level-1 strict/cheap do.
    assert.equal((a.match(/<path d="M/g) ?? []).length, 3 + 1 + 1);
    assert.match(a, /error bars: ±1 std over 3 seeds/);
    assert.match(a, /ELSA \(one checkpoint\) \(3\/5\/6 epochs\)/);
  });
});
