/**
 * scripts/experiments/paired-test.ts refuses what it would otherwise ignore or read late: an option of the other
 * mode (a `--merge` with `--gap` used to be dropped without a word), and a damaged `--merge` file, which is
 * read before any checkpoint is evaluated. Each refusal is one line naming the option or the file, no stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = 'scripts/experiments/paired-test.ts';
const dir = mkdtempSync(path.join(tmpdir(), 'paired-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

function assertOneLine(stderr: string, ...words: string[]): void {
  assert.equal(stderr.split('\n').length, 1, `one line expected, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, 'no stack trace');
  for (const w of words) assert.ok(stderr.includes(w), `"${w}" missing from: ${stderr}`);
}

describe('paired-test.ts: what it refuses', () => {
  it('--merge, --cells or --levels with --gap (they would be ignored)', () => {
    const r = run('--gap', dir, '--merge', 'old.json', '--cells', 's1');
    assert.equal(r.status, 2);
    assertOneLine(r.stderr, '--merge', '--cells', 'not with --gap');
  });

  it('--variant or --level without --gap', () => {
    const r = run(dir, '--level', '3');
    assert.equal(r.status, 2);
    assertOneLine(r.stderr, '--level', 'only with --gap');
  });

  it('a --merge file that is not JSON, not rows, or missing, before evaluating anything', () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"cell": ');
    const partial = path.join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify([{ cell: 's1', level: 2, n10: 5, n01: 3, n: 10000 }]));
    const impossible = path.join(dir, 'impossible.json');
    writeFileSync(impossible, JSON.stringify([{ cell: 's1', level: 2, n10: 9000, n01: 3000, n: 10000, accElsa: 0.9, accIndependent: 0.9, p: 0.5 }]));
    for (const [file, word] of [[broken, 'not a readable JSON'], [partial, 'not paired-test rows'], [impossible, 'not paired-test rows'], [path.join(dir, 'missing.json'), 'ENOENT']]) {
      // The study folder holds no cell: were the file read after the cells, the error would name the folder.
      const r = run(dir, '--merge', file);
      assert.equal(r.status, 1);
      assertOneLine(r.stderr, file, word);
    }
  });
});
