/**
 * The elsa_torch suites (python/tests), run by `npm test`: the exactness invariant and nesting in PyTorch
 * (SGD+momentum+weight decay, AdamW, batch norm per level and frozen, one-shot and N:M selecting among trained
 * weights), torchrun with 2 processes equal to 1 process (codes identical on every rank), and the launcher the
 * editor's task runs (entry forms, one-line config errors, SIGTERM stopping every rank).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ok, runPython, torchSkip } from './torchEnv';

describe('elsa_torch (PyTorch engine)', { skip: torchSkip() }, () => {
  for (const [suite, what] of [
    ['test_method', 'exactness, nesting, batch norm per level, sparsifiers'],
    ['test_distributed', 'torchrun 2 processes = 1 process, codes identical across ranks'],
    ['test_io', 'safetensors, code packing, bad files'],
    ['test_launch', 'run configs: entry forms, one-line config errors, SIGTERM stops every rank'],
  ] as const) {
    it(`${suite}: ${what}`, () => {
      const r = runPython(['-m', 'unittest', '-v', suite], { cwd: 'python/tests', timeoutMs: 600_000 });
      ok(r, `python3 -m unittest ${suite}`);
      assert.match(r.stderr, /\nOK/, r.stderr.slice(-2000));
    });
  }
});
