// Fills docs/results.md's <!-- STUDY --> … <!-- /STUDY --> block from the study folders' study.md and copies
// their plots (`elsa study --plot` output) to docs/results/. Run after a study finished or progressed:
//
//   node scripts/experiments/assemble-results.mjs
//
// Only the block between the markers is rewritten; the discussion around it is written by hand from the tables.
// Each study's summary (study.md + study.json, a few KiB; the run folders with their checkpoints stay in the
// ignored runs/) is copied to docs/results/<study>/ so that the numbers outlive the machine that trained them;
// a study with no run folder here is built from that copy, and one with neither keeps its section as it is.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const studies = [
  ['fashion-mnist-mlp', 'MLP (LeNet-300-100), GMP and AC/DC, cosine schedule per phase'],
  ['fashion-mnist-cnn', 'Small CNN, GMP, cosine schedule per phase'],
  ['fashion-mnist-cnn-more', 'Small CNN, AC/DC, one-shot magnitude and N:M 1:4 ⊂ 2:4, cosine schedule per phase'],
  ['fashion-mnist-resnet', 'Residual CNN with batch norm, GMP and AC/DC, cosine schedule per phase'],
  ['fashion-mnist-mlp-long', 'MLP, GMP, 24 epochs per phase (the convergence check: every level trained about 4× longer)'],
  ['fashion-mnist-cnn-long', 'Small CNN, GMP, 12 epochs per phase (the convergence check for the CNN, every level; past ~26 epochs it over-fits)'],
  ['fashion-mnist-mlp-constant', 'MLP, GMP, constant learning rate (the control of the constant-rate comparison)'],
];

const file = path.join(root, 'docs/results.md');
const text = readFileSync(file, 'utf8');
/** The current block's section of each study, by its `### title` line (kept when nothing newer is here). */
const current = new Map(
  [...(/<!-- STUDY -->([\s\S]*?)<!-- \/STUDY -->/.exec(text)?.[1] ?? '').matchAll(/\n(### [^\n]+\n[\s\S]*?)(?=\n### |\s*$)/g)].map((m) => [
    m[1].split('\n')[0],
    m[1].trim() + '\n',
  ]),
);

const out = [];
mkdirSync(path.join(root, 'docs/results'), { recursive: true });
for (const [name, title] of studies) {
  const dir = path.join(root, 'runs/studies', name);
  const kept = path.join(root, 'docs/results', name);
  if (existsSync(path.join(dir, 'study.md'))) {
    mkdirSync(kept, { recursive: true });
    for (const f of ['study.md', 'study.json']) if (existsSync(path.join(dir, f))) copyFileSync(path.join(dir, f), path.join(kept, f));
  }
  const studyMd = path.join(kept, 'study.md');
  if (!existsSync(studyMd)) {
    const section = current.get(`### ${title}`);
    if (section) {
      out.push(section);
      console.log(`${name}: no study folder and no docs/results/${name}/study.md here; its section is kept as it was`);
    }
    continue;
  }
  const md = readFileSync(studyMd, 'utf8');
  const cells = /Cells complete: (\d+) of (\d+)/.exec(md);
  out.push(`### ${title}\n`);
  out.push(`\`studies/${name}.study.json\` — cells complete: ${cells ? `${cells[1]} of ${cells[2]}` : 'unknown'}.\n`);
  for (const m of `${md}\n## `.matchAll(/(## [^\n]+ \/ [^\n]+\n[\s\S]*?)(?=\n## )/g)) {
    const [head, ...rest] = m[1].split('\n');
    const body = rest.join('\n');
    const label = head.slice(3);
    if (body.includes('No complete cell yet')) {
      out.push(`#### ${label}\n\nNo complete cell yet.\n`);
      continue;
    }
    out.push(`#### ${label}\n\n${body.trim()}\n`);
    const key = label.split(' (')[0].replace(' / ', '-');
    const svg = path.join(dir, 'plots', `${key}.svg`);
    if (existsSync(svg)) {
      const dst = `${name.replace('fashion-mnist-', '')}-${key.split('-').slice(1).join('-')}.svg`;
      copyFileSync(svg, path.join(root, 'docs/results', dst));
      out.push(`![${title}: ${label}](results/${dst})\n`);
    }
  }
  const cellRows = /## Cells\n\n([\s\S]*)/.exec(md);
  if (cellRows) {
    out.push(
      `Cells (wall time in seconds on this shared 2-core machine; cells that ran beside other jobs took longer):\n\n${cellRows[1].trim()}\n`,
    );
  }
}

const block = `<!-- STUDY -->\n## The study tables\n\n${out.join('\n')}\n<!-- /STUDY -->`;
const next = /<!-- STUDY -->[\s\S]*?<!-- \/STUDY -->/.test(text)
  ? text.replace(/<!-- STUDY -->[\s\S]*?<!-- \/STUDY -->/, () => block)
  : text.replace('<!-- STUDY -->', () => block);
writeFileSync(`${file}.tmp`, next);
renameSync(`${file}.tmp`, file);
console.log(`docs/results.md: study block ${block.length} chars from ${out.filter((l) => l.startsWith('### ')).length} studies`);
