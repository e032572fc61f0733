/**
 * Fuzz (issue 11): a fixed seed, a few hundred mutants of a real ELSA checkpoint and of a sharded, partly
 * quantized model.json, each through every operation the CLI and the extension's store perform (inspect,
 * header, levels, extract, eval's model construction, store summary/heatmaps/histograms, the trainer's
 * model loader). Each case runs in a worker thread with a memory limit and a time limit: a hang, a crash or
 * an error that is not a typed one-line ElsaError fails the test. Long runs: scripts/fuzz.mjs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runFuzz } from './runner';

const workDir = mkdtempSync(path.join(tmpdir(), 'elsa-fuzz-test-'));
let passed = false;
// Failing inputs stay on disk for replay; a passing run leaves nothing behind.
after(() => { if (passed) rmSync(workDir, { recursive: true, force: true }); });

describe('fuzzed checkpoints and model.json files', () => {
  it('300 mutants: every operation succeeds or fails in one typed line, none hangs or crashes', { timeout: 20 * 60_000 }, async () => {
    const s = await runFuzz({ cases: 300, seed: 11, timeoutMs: 20_000, workDir, memoryMb: 1024 });
    const failures = s.failures.map((f) => `case ${f.index} ${f.kind}${f.op ? ` in ${f.op}` : ''}: ${f.line ?? ''} (kept in ${f.saved})`);
    assert.deepEqual({ crashes: s.crashes, hangs: s.hangs, untyped: s.untyped, failures }, { crashes: 0, hangs: 0, untyped: 0, failures: [] });
    assert.equal(s.cases, 300);
    // The mutants must reach the deep paths, not only fail at the header.
    assert.ok(s.ok > 300, `only ${s.ok} operations succeeded`);
    assert.ok(s.typed > 300, `only ${s.typed} typed errors`);
    passed = true;
  });
});
