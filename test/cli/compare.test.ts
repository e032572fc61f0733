/**
 * `elsa compare` as a user runs it (the built bundle in a child process): the table, `--json` equal to the core
 * computation, the `@level` forms, and one-line errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { compareStores } from '../../src/core/compare';
import { writeElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { openStoreFile } from '../../src/core/storeFile';
import { isCompareResult } from '../../src/protocol/compare';
import { parseSideArg } from '../../src/cli/commands/compare';
import { tempDir } from '../helpers/synthetic';
import { ensureCliBuilt, runElsa } from '../helpers/cli';

const elsa = (args: string[], cwd: string) => runElsa(args, cwd, 60_000);

const f32 = (shape: number[], values: number[]) => ({ dtype: 'F32' as const, shape, data: Float32Array.from(values) });

describe('elsa compare', () => {
  const dir = tempDir('elsa-compare-');
  const ckpt = path.join(dir, 'run.elsa.safetensors');
  const plain = path.join(dir, 'other.safetensors');

  before(async () => {
    ensureCliBuilt();
    await writeElsaCheckpoint(ckpt, {
      weights: { 'd/kernel': f32([2, 4], [0.5, -0.25, 1, 2, 0.75, -1, 0.125, 3]), 'd/bias': f32([4], [0, 0, 0, 0]) },
      codes: { 'd/kernel': Uint8Array.from([1, 2, 3, 1, 3, 2, 3, 3]) },
      meta: {
        format: 'elsa/1', kind: 'elsa', targets: [0.75, 0.5],
        config: { epochs: { warmup: 1, perPhase: 2, dense: 3 } },
        levels: [
          { index: 1, targetSparsity: 0.75, sparsity: 0.75, metrics: { accuracy: 0.5 } },
          { index: 2, targetSparsity: 0.5, sparsity: 0.5, metrics: { accuracy: 0.625 } },
          { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: { accuracy: 0.75 } },
        ],
      },
    });
    await writeSafetensors(plain, { 'd/kernel': f32([2, 4], [0, 0.5, 0, 2.5, 0, -1, 0.125, 0]), 'e/kernel': f32([2, 2], [1, 0, 0, 1]) });
  });

  it('prints a table for two levels of one checkpoint', () => {
    const r = elsa(['compare', `${ckpt}@1`, `${ckpt}@2`], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^A: run\.elsa\.safetensors, elsa, level 1 \(target 75\.0 %\): accuracy 50\.00 % \(3 epochs\)/m);
    assert.match(r.stdout, /^B: run\.elsa\.safetensors, elsa, level 2 \(target 50\.0 %\): accuracy 62\.50 % \(5 epochs\)/m);
    // d/kernel: |A∩B| = 2, J = 2/4, A's 2 weights all kept by B, B's half kept by A, the 2 shared weights differ by 0.
    assert.match(r.stdout, /^d\/kernel\s+2×4\s+8\s+75\.00 %\s+50\.00 %\s+2\s+0\.5000\s+0\.2000\s+100\.0 %\s+50\.0 %\s+1\.00\s+2$/m);
  });

  it('--json is the core result, with the level forms @dense and @0.5', async () => {
    const r = elsa(['compare', `${ckpt}@0.5`, plain, '--json', '--bins', '6'], dir);
    assert.equal(r.code, 0, r.stderr);
    const got: unknown = JSON.parse(r.stdout);
    assert.ok(isCompareResult(got));
    const [a, b] = [await openStoreFile(ckpt), await openStoreFile(plain)];
    assert.deepEqual(got, await compareStores({ store: a, level: 0.5 }, { store: b }, { bins: 6 }));
    await Promise.all([a.close(), b.close()]);
    assert.equal(got.layers[0].jaccard, 0.6);
    assert.deepEqual(got.onlyInB, ['e/kernel']);
    const dense = JSON.parse(elsa(['compare', `${ckpt}@dense`, `${ckpt}@1`, '--json'], dir).stdout) as { a: { level: number; dense: boolean } };
    assert.deepEqual([dense.a.level, dense.a.dense], [3, true]);
  });

  it('says in one line what is wrong, with exit 2 for usage and 1 for files', () => {
    const cases: [string[], number, RegExp][] = [
      [['compare', ckpt, plain], 1, /^CheckpointError: run\.elsa\.safetensors: holds 3 levels: name one/],
      [['compare', `${ckpt}@1`, `${plain}@2`], 1, /^CheckpointError: other\.safetensors: a plain safetensors file has no levels/],
      [['compare', `${ckpt}@9`, plain], 1, /^CheckpointError: run\.elsa\.safetensors: level 9 does not exist/],
      [['compare', `${ckpt}@1.5`, plain], 2, /^UsageError: compare: "@1\.5" in .* is not a level/],
      [['compare', `${ckpt}@1`, path.join(dir, 'missing.safetensors')], 1, /^CheckpointError: missing\.safetensors: cannot open: ENOENT/],
      [['compare', `${ckpt}@1`, plain, '--bins', '1'], 2, /^UsageError: --bins must be an integer in 2\.\.1024/],
      [['compare', ckpt], 2, /^UsageError: compare: expected/],
    ];
    for (const [args, code, line] of cases) {
      const r = elsa(args, dir);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), line);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    writeFileSync(path.join(dir, 'broken.safetensors'), 'not a safetensors file');
    const r = elsa(['compare', `${ckpt}@1`, path.join(dir, 'broken.safetensors')], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^CheckpointError: broken\.safetensors: header length/);
  });

  it('reads file@level, and keeps a name with an @ that exists as written', () => {
    assert.deepEqual(parseSideArg('a.safetensors@2'), { file: 'a.safetensors', level: 2 });
    assert.deepEqual(parseSideArg('a.safetensors@0.9'), { file: 'a.safetensors', level: 0.9 });
    assert.deepEqual(parseSideArg('a.safetensors@DENSE'), { file: 'a.safetensors', level: 0 });
    assert.deepEqual(parseSideArg('a.safetensors'), { file: 'a.safetensors' });
    const odd = path.join(dir, 'x@2');
    writeFileSync(odd, '');
    assert.deepEqual(parseSideArg(odd), { file: odd });
  });
});
