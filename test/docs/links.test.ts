/**
 * Every relative link in the Markdown git tracks resolves (scripts/doc-links.ts): the README and the closing
 * notes point into docs/results.md and the other docs by ~80 anchored links, and a renamed heading or a moved results folder must turn
 * the suite red rather than leave a claim without what stands behind it. The planted cases show the checker
 * reports each kind of broken link, so the repository check cannot pass by finding no links at all. The README's
 * quoted "mean ± spread" figures must be in docs/results.md as written there (both are written by hand).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { anchorsOf, checkLinks, headingSlug, linksOf, spreadsMissingFromRecord, trackedMarkdown } from '../../scripts/doc-links';

const root = path.resolve(__dirname, '..', '..');

describe('doc links', () => {
  it('every relative link of the tracked Markdown resolves, anchors included', () => {
    const files = trackedMarkdown(root);
    assert.ok(files.includes('README.md') && files.includes('docs/results.md'), `tracked Markdown: ${files.length} files`);
    const links = files.flatMap((f) => linksOf(readFileSync(path.join(root, f), 'utf8')));
    assert.ok(links.filter((l) => l.target.includes('#')).length > 50, 'the docs hold anchored links to check (79 on 2026-12-02)');
    assert.deepEqual(checkLinks(root, files), []);
  });

  it('every mean ± spread the README quotes is in docs/results.md, as written there', () => {
    const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
    assert.ok((read('README.md').match(/ ± /g) ?? []).length > 10, 'the README quotes measured spreads (18 on 2026-12-02)');
    assert.deepEqual(spreadsMissingFromRecord(read('README.md'), read('docs/results.md')), []);
  });

  it('reports a spread the record lacks or has with another value or sign, not one it holds', () => {
    const record = 'level 2 −0.60 ± 0.07, level 4 +0.91 ± 0.40, dense 0.61 ± 0.37 and 92.00 ± 0.19 %';
    const readme = ['# R', 'level 2 -0.60 ± 0.07, level 4 0.91 ± 0.40, dense +0.61 ± 0.37', 'typo +0.19 ± 0.40, sign +0.60 ± 0.07', '`code 1.00 ± 9.99` counts too'].join('\n');
    assert.deepEqual(spreadsMissingFromRecord(readme, record), ['README.md:3: +0.19 ± 0.40', 'README.md:3: +0.60 ± 0.07', 'README.md:4: 1.00 ± 9.99']);
  });

  it('slugs headings as GitHub does: code spans kept, punctuation and symbols dropped, repeats numbered', () => {
    assert.equal(headingSlug('Sensitivity scan (`elsa sensitivity`)'), 'sensitivity-scan-elsa-sensitivity');
    assert.equal(headingSlug('MLP (LeNet-300-100), GMP and AC/DC, cosine schedule per phase'), 'mlp-lenet-300-100-gmp-and-acdc-cosine-schedule-per-phase');
    assert.equal(headingSlug('Small CNN × AC/DC, one-shot — 3 seeds'), 'small-cnn--acdc-one-shot--3-seeds');
    const a = anchorsOf('# Title\n## Notes\n## Notes\n```\n## Not a heading\n```\nText <a id="here"></a>\n');
    assert.deepEqual([...a].sort(), ['here', 'notes', 'notes-1', 'title']);
  });

  it('reports a missing file, a missing anchor, an anchor into a non-Markdown file, a path outside the repo and a malformed escape', () => {
    const texts: Record<string, string> = {
      'a.md': [
        '# A',
        'See [b](b.md#present), [gone](b.md#absent), [self](#a), [self gone](#nope).',
        'A [missing file](docs/none.md) and [data](c.json#key); [out](../elsewhere.md); [web](https://example.com/x#y).',
        'In code `[not a link](missing.md)` is not checked; [bad escape](b%ZZ.md) is reported, not thrown.',
        '```',
        '[also code](missing.md)',
        '```',
      ].join('\n'),
      'b.md': '# B\n<a id="present"></a>\n',
      'c.json': '{}',
    };
    const problems = checkLinks('/nonexistent-root', ['a.md', 'b.md', 'c.json'], (f) => texts[f]);
    assert.deepEqual(problems, [
      'a.md:2: b.md#absent (b.md has no anchor "absent")',
      'a.md:2: #nope (a.md has no anchor "nope")',
      `a.md:3: docs/none.md (${path.normalize('docs/none.md')} does not exist)`,
      'a.md:3: c.json#key (an anchor into a file that is not Markdown)',
      'a.md:3: ../elsewhere.md (points outside the repository)',
      'a.md:4: b%ZZ.md (malformed %-escape)',
    ]);
  });
});
