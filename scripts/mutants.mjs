// Mutation cases for the method's tests: each mutant is a sabotage a broken trainer could ship (issue 8). For
// every one, a scratch copy of the repo gets the patch and the named test files run; they must go red.
//
//   node scripts/mutants.mjs            all mutants
//   node scripts/mutants.mjs frozen     mutants whose name contains a word
//
// Prints mutant -> killed / SURVIVED and exits 1 if any survives (or a patch anchor is missing: the mutant
// would otherwise silently test nothing).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const T = (name) => `test/core/method/${name}.test.ts`;

/** name, why, [file, anchor, replacement] patches, the tests that must fail. */
const MUTANTS = [
  {
    name: 'empty-frozen-set',
    why: 'the trainer passes no frozen weights to the sparsifier',
    patches: [['src/core/method/trainer.ts', 'frozen[i] = c[i] <= phase.index - 1 ? 1 : 0;', 'frozen[i] = 0;']],
    tests: [T('nesting')],
  },
  {
    name: 'gmp-as-one-shot',
    why: 'the trainer ignores the schedule and jumps to the target',
    patches: [['src/core/method/trainer.ts', ': sparsifier.sparsityAt(stepInPhase / stepsInPhase, 0, phase.target);', ': phase.target;']],
    tests: [T('nesting')],
  },
  {
    name: 'frozen-bn-not-repinned',
    why: '"smallParams": "frozen" stops re-pinning batch-norm statistics after each step',
    patches: [['src/core/method/trainer.ts', 'for (const f of frozenSmall) f.param.variable.assign(f.value);', '']],
    tests: [T('exactness')],
  },
  {
    name: 'resume-not-refrozen',
    why: 'a frozen-mode run resumed after phase 1 trains its small parameters again',
    patches: [['src/core/method/trainer.ts', "if (config.smallParams === 'frozen' && position.phase >= 2) freezeSmallParams();", '']],
    tests: [T('resume')],
  },
  {
    name: 'index-order-selection',
    why: 'one-shot and N:M select at the first step of a phase, when every free weight is +0 (ties by index)',
    patches: [
      ['src/core/method/trainer.ts', "if (phase.kind === 'sparse' && stepInPhase > 0) {", "if (phase.kind === 'sparse') {"],
      ['src/core/method/trainer.ts', 'const due = sparsifier.updateEvery === 1 ||', 'const due = stepInPhase === 0 || sparsifier.updateEvery === 1 ||'],
      ['src/core/method/sparsifiers/magnitude.ts', 'return progress < rampFraction ? start : target;', 'return target;'],
    ],
    tests: [T('selectionOrder'), T('nesting')],
  },
  {
    name: 'frozen-recoded',
    why: 'codes are reassigned to every active weight, frozen ones included',
    patches: [['src/core/method/trainer.ts', 'if (a[i] && c[i] === denseLevel) c[i] = phase.index;', 'if (a[i]) c[i] = phase.index;']],
    tests: [T('nesting')],
  },
  {
    name: 'selection-ignores-magnitude',
    why: 'the global ranking keeps the first free weights instead of the largest',
    patches: [['src/core/method/sparsifiers/select.ts', 'mags[j] = Math.abs(t.values[i]);', 'mags[j] = 0;']],
    tests: [T('selection'), T('selectionOrder')],
  },
  {
    name: 'baseline-dense-level',
    why: 'an independent baseline gets a spurious dense level from a 0-epoch dense phase',
    patches: [['src/core/method/trainer.ts', ".filter((p) => !(options.kind === 'independent' && p.kind === 'dense'))", '']],
    tests: [T('baseline')],
  },
];

function scratchCopy() {
  const dir = mkdtempSync(path.join(tmpdir(), 'elsa-mutant-'));
  for (const entry of ['src', 'test', 'schemas', 'data', 'package.json', 'tsconfig.json']) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function applyPatch(dir, [file, anchor, replacement]) {
  const target = path.join(dir, file);
  const text = readFileSync(target, 'utf8');
  const at = text.indexOf(anchor);
  if (at < 0 || text.indexOf(anchor, at + 1) >= 0) throw new Error(`anchor ${at < 0 ? 'not found' : 'not unique'} in ${file}: ${anchor}`);
  writeFileSync(target, text.slice(0, at) + replacement + text.slice(at + anchor.length));
}

const filters = process.argv.slice(2);
const chosen = MUTANTS.filter((m) => filters.length === 0 || filters.some((w) => m.name.includes(w)));
if (chosen.length === 0) {
  console.error(`mutants.mjs: no mutant matches ${filters.join(', ')} (known: ${MUTANTS.map((m) => m.name).join(', ')})`);
  process.exit(2);
}
const rows = [];
let bad = false;
for (const m of chosen) {
  const dir = scratchCopy();
  const started = Date.now();
  let verdict;
  let reasons = [];
  try {
    for (const p of m.patches) applyPatch(dir, p);
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...m.tests], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    // The failing tests and their first error line, so that a kill can be checked to be for the right reason.
    const lines = (r.stdout ?? '').split('\n');
    reasons = lines.flatMap((l, i) => {
      const hit = /^ {4}not ok \d+ - (.*)/.exec(l);
      if (!hit) return [];
      const at = lines.slice(i + 1, i + 12).findIndex((x) => /^ {6}error:/.test(x));
      let err = at < 0 ? '' : lines[i + 1 + at].trim().slice(7);
      if (err === '|-') err = (lines[i + 2 + at] ?? '').trim();
      return [`    ✗ ${hit[1]}${err ? ` — ${err.slice(0, 160)}` : ''}`];
    });
    if (r.error) verdict = `ERROR (${r.error.message})`;
    else if (r.status !== 0) verdict = 'killed';
    else verdict = 'SURVIVED';
    if (verdict !== 'killed') bad = true;
    rows.push([m.name, verdict, `${((Date.now() - started) / 1000).toFixed(0)} s`, m.tests.map((t) => path.basename(t)).join(' '), m.why]);
  } catch (e) {
    bad = true;
    rows.push([m.name, `ERROR (${e.message})`, '', '', m.why]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const last = rows[rows.length - 1];
  console.log(`${last[0].padEnd(28)} ${last[1].padEnd(10)} ${last[2].padStart(5)}  ${last[3]} — ${last[4]}`);
  for (const line of reasons) console.log(line);
}
console.log(`\n${rows.filter((r) => r[1] === 'killed').length}/${rows.length} mutants killed`);
process.exit(bad ? 1 : 0);
