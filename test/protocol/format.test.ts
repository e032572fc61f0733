/**
 * The one number-formatting rule (src/protocol/format.ts) and the level / phase words (src/protocol/levels.ts),
 * and a scan that fails when a percent or byte formatter is written by hand again elsewhere in src/ or webview/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pct, bytes } from '../../webview/format';
import { percent as cliPercent } from '../../src/cli/tables';
import { formatBytes, formatCount, formatPercent, formatTargetPercent } from '../../src/protocol/format';
import { levelCountOf, levelLabel, levelRowLabel, phaseLabel, phaseProgressLabel, sparseLevelCountOf } from '../../src/protocol/levels';
import { planPhases } from '../../src/core/method/phases';

describe('number format', () => {
  it('percent: fixed decimals, a space, never a false 100 % or 0 %, – when missing', () => {
    assert.equal(formatPercent(0.95), '95.0 %');
    assert.equal(formatPercent(0.12345, 2), '12.35 %');
    assert.equal(formatPercent(1), '100.0 %');
    assert.equal(formatPercent(0), '0.0 %');
    assert.equal(formatPercent(0.99996), '>99.99 %', 'one decimal would print 100.0 %');
    assert.equal(formatPercent(0.9996, 1), '99.96 %', 'two decimals near 1');
    assert.equal(formatPercent(1e-7), '<0.1 %');
    for (const missing of [undefined, null, NaN, Infinity]) assert.equal(formatPercent(missing), '–');
  });

  it('targets print as written', () => {
    assert.deepEqual([0.95, 0.875, 0.9925, 0.5].map(formatTargetPercent), ['95 %', '87.5 %', '99.25 %', '50 %']);
  });

  it('bytes: binary units, two decimals below 10, one above', () => {
    assert.deepEqual([0, 512, 1024, 1536, 12.34 * 1024 ** 2, 5 * 1024 ** 3, 3 * 1024 ** 5].map(formatBytes), ['0 B', '512 B', '1.00 KiB', '1.50 KiB', '12.3 MiB', '5.00 GiB', '3072.0 TiB']);
    assert.equal(formatBytes(-1), '–');
    assert.equal(formatCount(1234567.4), '1,234,567');
  });

  it('the CLI tables and the webview use the same formatter', () => {
    assert.equal(pct(0.999995), formatPercent(0.999995));
    assert.equal(cliPercent(0.5), formatPercent(0.5, 2));
    assert.equal(bytes(123456), formatBytes(123456));
  });
});

describe('level words', () => {
  it('levelCount = K + 1 and back, at the boundaries', () => {
    assert.equal(levelCountOf(4), 5);
    assert.equal(levelCountOf(0), 1, 'a dense-only network has one level');
    assert.equal(sparseLevelCountOf(5), 4);
    assert.equal(sparseLevelCountOf(1), 0);
    assert.equal(sparseLevelCountOf(0), 0, 'a file without levels has no sparse levels');
  });

  it('names level K sparse and level K+1 dense', () => {
    const targets = [0.95, 0.9, 0.75, 0.5];
    const levelCount = levelCountOf(targets.length);
    assert.equal(levelLabel(4, levelCount, targets[3]), 'L4 50 %', 'level K is the last sparse level');
    assert.equal(levelLabel(5, levelCount), 'dense', 'level K+1 is dense');
    assert.equal(levelLabel(1, 0), 'all weights');
    assert.equal(levelLabel(2, levelCount), 'L2');
    assert.equal(phaseLabel(0, levelCount), 'warm-up');
    assert.equal(phaseLabel(4, levelCount, 0.5), 'L4 50 %');
    assert.equal(phaseLabel(5, levelCount), 'dense');
    assert.equal(phaseLabel(3, 0, 0.75), 'L3 75 %', 'before the level count is known');
  });

  it('names phases in progress lines with K = the number of sparse phases', () => {
    const phases = planPhases([0.9, 0.5], { warmup: 1, perPhase: 1, dense: 1 });
    assert.deepEqual(phases.map((p) => phaseProgressLabel(p.index, 2, p.target)), ['warm-up', 'phase 1/2 → 90 %', 'phase 2/2 → 50 %', 'dense phase']);
    assert.equal(phaseProgressLabel(2, 2), 'phase 2/2', 'no target at hand');
    assert.equal(phaseProgressLabel(3, undefined), 'phase 3', 'K not known yet');
  });

  it('names a level row', () => {
    assert.equal(levelRowLabel({ index: 2, targetSparsity: 0.9, sparsity: 0.9, metrics: { accuracy: 0.841 } }), 'Level 2 · 90.0 % sparse · acc 84.1 %');
    assert.equal(levelRowLabel({ index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: {} }), 'Level 3 · 0.0 % sparse');
  });
});

describe('no hand-written formatters', () => {
  /** Display code that builds `NN.N%` / `NN.N %` or a byte size itself instead of calling src/protocol/format.ts. */
  const HAND_PERCENT = /toFixed\([^()]*\)\)?\}\s?%/;
  const HAND_BYTES = /\/ (?:1024|\(1 << 20\))\)?\.toFixed/;
  /** Not displays: a CSS width. */
  const ALLOWED = new Set([path.join('webview', 'views', 'nesting.ts')]);

  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? (n === 'node_modules' ? [] : files(path.join(dir, n))) : n.endsWith('.ts') ? [path.join(dir, n)] : []));

  it('percent and byte strings come from src/protocol/format.ts', () => {
    const found: string[] = [];
    for (const f of [...files('src'), ...files('webview')]) {
      if (f === path.join('src', 'protocol', 'format.ts') || ALLOWED.has(f)) continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (HAND_PERCENT.test(line) || HAND_BYTES.test(line)) found.push(`${f}:${i + 1}: ${line.trim().slice(0, 100)}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('the scan would see a hand-written one', () => {
    assert.ok(HAND_PERCENT.test('const pct = (x) => `${(x * 100).toFixed(1)}%`;'));
    assert.ok(HAND_PERCENT.test('label: `target ${(t * 100).toFixed(1)} %`'));
    assert.ok(HAND_BYTES.test('`${(n / 1024).toFixed(1)} KiB`'));
    assert.ok(!HAND_PERCENT.test('`${(p.low * 100).toFixed(2)}, ${x}`'));
  });
});
