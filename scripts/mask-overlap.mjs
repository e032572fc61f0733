// Mask overlap of ELSA's levels with the independent networks of the same sparsity, over a study folder
// (docs/results.md, "Mask overlap"). Only reads: every number comes from `elsa compare --json` (dist/cli.js).
//
//   node scripts/mask-overlap.mjs <study-dir> [<study-dir> …]
//
// Per architecture × sparsifier, level and layer, the mean ± sample std over seeds of the Jaccard index of the
// kept weights: ELSA level k (seed s) vs the strict-budget independent network of the same sparsity (seed s, the
// same initialisation and warm-up), the same independent network of two different seeds (the overlap a different
// initialisation gives), and what random masks of these densities would give.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) throw new Error('build first: npm run build');
const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error('usage: node scripts/mask-overlap.mjs <study-dir> [<study-dir> …]');

const compare = (a, b) => JSON.parse(execFileSync(process.execPath, [cli, 'compare', a, b, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
const pctName = (s) => String(+(s * 100).toFixed(2)).replace('.', '_');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (xs) => (xs.length === 0 ? '–' : xs.length === 1 ? xs[0].toFixed(3) : `${mean(xs).toFixed(3)} ± ${std(xs).toFixed(3)}`);

/** The strict independent network of target s in a cell (level 1's file serves both budgets). */
function strictFile(cell, s) {
  const dir = path.join(cell, 'baselines');
  if (!existsSync(dir)) return undefined;
  const re = new RegExp(`^independent-${pctName(s)}-(cheap-)?strict-\\d+ep\\.safetensors$`);
  const f = readdirSync(dir).find((n) => re.test(n));
  return f ? path.join(dir, f) : undefined;
}

for (const study of dirs) {
  const cells = readdirSync(study, { withFileTypes: true }).filter((d) => d.isDirectory() && /-s\d+$/.test(d.name)).map((d) => path.join(study, d.name)).sort();
  const groups = new Map();
  for (const cell of cells) {
    const ckpt = readdirSync(cell).find((n) => n.endsWith('.elsa.safetensors'));
    if (!ckpt) continue;
    const group = path.basename(cell).replace(/-s\d+$/, '');
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push({ cell, ckpt: path.join(cell, ckpt) });
  }
  for (const [group, members] of groups) {
    // rows[level][layer] = { elsa: [], seeds: [], random: [], sparsity: [] }
    const rows = new Map();
    const row = (level, layer, target) => {
      const key = `${level}\u0000${layer}`;
      if (!rows.has(key)) rows.set(key, { level, layer, target, elsa: [], seeds: [], random: [], keptByIndependent: [] });
      return rows.get(key);
    };
    let testCount;
    for (const { cell, ckpt } of members) {
      const first = compare(`${ckpt}@1`, `${ckpt}@1`);
      first.a.levels.forEach((level, i) => {
        const s = first.a.levelTargets[i];
        const strict = s > 0 ? strictFile(cell, s) : undefined;
        if (!strict) return;
        const r = compare(`${ckpt}@${level}`, strict);
        testCount ??= r.a.testCount;
        for (const l of [...r.layers, { name: 'all', ...r.total }]) {
          const x = row(level, l.name, s);
          x.elsa.push(l.jaccard);
          x.random.push(l.jaccardIfRandom);
          x.keptByIndependent.push(l.sharedOfA ?? NaN);
        }
      });
    }
    // Independent networks of the same target, two different seeds: every pair of cells.
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        for (const x of [...rows.values()].filter((r) => r.layer === 'all')) {
          const a = strictFile(members[i].cell, x.target);
          const b = strictFile(members[j].cell, x.target);
          if (!a || !b) continue;
          const r = compare(a, b);
          for (const l of [...r.layers, { name: 'all', ...r.total }]) row(x.level, l.name, x.target).seeds.push(l.jaccard);
        }
      }
    }
    console.log(`\n### ${path.basename(study)} / ${group} (${members.length} seeds${testCount ? `, accuracies on ${testCount} test images` : ''})\n`);
    console.log('| level | layer | ELSA vs independent, same seed | independent vs independent, two seeds | random masks | independent keeps of ELSA\'s weights |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const x of rows.values()) {
      console.log(`| ${x.level} (${+(x.target * 100).toFixed(2)} %) | ${x.layer} | ${fmt(x.elsa)} | ${fmt(x.seeds)} | ${fmt(x.random)} | ${x.keptByIndependent.length ? `${(mean(x.keptByIndependent) * 100).toFixed(1)} %` : '–'} |`);
    }
  }
}
