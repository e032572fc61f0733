/**
 * The freezing probes of scripts/experiments/level-gap.ts (docs/results.md#freezing-cost) change what they say and
 * nothing else: from the same level-1 checkpoint, ELSA (`v0`) leaves every level-1 weight as it was, `unfrozen`
 * trains level 1 in every layer, `unfrozen-small` only in the layers of ≤ 1,024 weights, `unfrozen-large` only in
 * the others. Run on the residual CNN (4 small layers, 6 large) with 256 images and 1-epoch phases.
 * Sabotage: `node scripts/mutants.mjs probe-layer-filter-ignored`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkpointDataSpec } from '../../src/core/config';
import { readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';

const DATA = '/usr/share/datasets/fashion-mnist';
const SMALL = 1024;

/** Per layer: how many level-1 weights (code 1 in the prefix) differ between the prefix and the variant. */
async function level1Changes(dir: string, variant: string): Promise<Map<string, { size: number; changed: number; level1: number }>> {
  const prefix = await readElsaCheckpoint(path.join(dir, 'prefix.elsa.safetensors'));
  const other = await readElsaCheckpoint(path.join(dir, `${variant}.elsa.safetensors`));
  const out = new Map<string, { size: number; changed: number; level1: number }>();
  try {
    for (const name of prefix.sparseWeightNames) {
      const codes = await prefix.readCodes(name);
      const a = (await prefix.readWeight(name)).data as Float32Array;
      const b = (await other.readWeight(name)).data as Float32Array;
      let changed = 0;
      let level1 = 0;
      for (let i = 0; i < codes.length; i++) {
        if (codes[i] !== 1) continue;
        level1++;
        if (a[i] !== b[i]) changed++;
      }
      out.set(name, { size: codes.length, changed, level1 });
    }
  } finally {
    await prefix.close();
    await other.close();
  }
  return out;
}

describe('level-gap.ts freezing probes', { skip: existsSync(DATA) ? false : `${DATA} is not installed` }, () => {
  let out = '';
  let progress = '';
  before(() => {
    // Inside the project's (git-ignored) runs/, where experiments write: out there, a data path resolved one
    // folder off is wrong (in /tmp, `..` stopping at `/` would hide it).
    mkdirSync(path.resolve('runs'), { recursive: true });
    out = mkdtempSync(path.resolve('runs', 'probes-test-'));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/experiments/level-gap.ts', '--model', 'resnet', '--sparsifier', 'acdc', '--per-phase', '1', '--limit', '256',
        '--seeds', '1', '--only', 'v0,unfrozen,unfrozen-small,unfrozen-large', '--out', out],
      { encoding: 'utf8', timeout: 240_000 },
    );
    assert.equal(r.status, 0, `level-gap.ts failed: ${r.stderr}`);
    progress = r.stderr;
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  const dir = () => path.join(out, 's1');

  it('prints one progress line per epoch (a long probe is not silent until its result)', () => {
    // The prefix: 2 warm-up epochs and phase 1's one; then one epoch of phase 2 for each of the 4 variants.
    const lines = progress.split('\n').filter((l) => /^  \[(warm-up|phase \d+)\] epoch \d+  loss \d/.test(l));
    assert.equal(lines.length, 3 + 4, `expected one epoch line per trained epoch on stderr:\n${progress}`);
  });

  it('ELSA (v0) keeps every level-1 weight of every layer', async () => {
    for (const [name, c] of await level1Changes(dir(), 'v0')) assert.equal(c.changed, 0, `${name}: ${c.changed} of ${c.level1} level-1 weights moved`);
  });

  it('unfrozen trains level 1 in every layer that has level-1 weights', async () => {
    for (const [name, c] of await level1Changes(dir(), 'unfrozen')) if (c.level1 > 0) assert.ok(c.changed > 0, `${name}: level 1 did not move`);
  });

  it('a probe checkpoint (one folder below its outDir) finds its dataset, as elsa eval / predict resolve it', async () => {
    const ck = await readElsaCheckpoint(path.join(dir(), 'v0.elsa.safetensors'));
    try {
      assert.equal(checkpointDataSpec(path.join(dir(), 'v0.elsa.safetensors'), ck.meta.config).path, DATA);
    } finally {
      await ck.close();
    }
  });

  for (const [variant, moves] of [
    ['unfrozen-small', (size: number) => size <= SMALL],
    ['unfrozen-large', (size: number) => size > SMALL],
  ] as const) {
    it(`${variant} trains level 1 only in its layers`, async () => {
      const changes = await level1Changes(dir(), variant);
      let moving = 0;
      for (const [name, c] of changes) {
        if (!moves(c.size)) assert.equal(c.changed, 0, `${name} (${c.size} weights): ${c.changed} level-1 weights moved`);
        else if (c.level1 > 0) {
          assert.ok(c.changed > 0, `${name} (${c.size} weights): level 1 did not move`);
          moving++;
        }
      }
      assert.ok(moving >= 2, `${variant}: only ${moving} layers to check`);
    });
  }
});

/**
 * `--prefix-from`: level L's prefix taken from level L−1's `v0` checkpoint trains level L to the same weights as
 * retraining the prefix, and a checkpoint of another config is refused. MLP, 300 images, 1-epoch phases.
 */
describe('level-gap.ts --prefix-from', { skip: existsSync(DATA) ? false : `${DATA} is not installed` }, () => {
  let out = '';
  /** level-gap.ts on 300 images, 1-epoch phases, seed 1, with this sparsifier. */
  const gap = (sparsifier: string, ...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/experiments/level-gap.ts', '--sparsifier', sparsifier, '--per-phase', '1', '--limit', '300', '--seeds', '1', ...args], {
      encoding: 'utf8',
      timeout: 240_000,
    });
  before(() => {
    mkdirSync(path.resolve('runs'), { recursive: true });
    out = mkdtempSync(path.resolve('runs', 'prefix-from-test-'));
    for (const args of [
      ['--level', '3', '--only', 'v0', '--out', path.join(out, 'L3')],
      ['--level', '4', '--only', 'v0', '--out', path.join(out, 'L4-retrained')],
      ['--level', '4', '--only', 'v0', '--prefix-from', path.join(out, 'L3'), '--out', path.join(out, 'L4-chained')],
    ]) {
      const r = gap('acdc', ...args);
      assert.equal(r.status, 0, `level-gap.ts ${args.join(' ')} failed: ${r.stderr}`);
    }
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("level 4 trained from level 3's v0 equals level 4 trained from its own prefix, weight for weight", async () => {
    /** Each weight tensor's bytes, by name. */
    const read = async (dir: string) => {
      const ckpt = await readElsaCheckpoint(path.join(out, dir, 's1', 'v0.elsa.safetensors'));
      try {
        const weights = new Map<string, Buffer>();
        for (const name of ckpt.weightNames) {
          const w = (await ckpt.readWeight(name)).data as Float32Array;
          weights.set(name, Buffer.from(w.buffer, w.byteOffset, w.byteLength));
        }
        return weights;
      } finally {
        await ckpt.close();
      }
    };
    const [chained, retrained] = [await read('L4-chained'), await read('L4-retrained')];
    assert.deepEqual([...chained.keys()], [...retrained.keys()]);
    for (const [name, w] of chained) assert.ok(w.equals(retrained.get(name) as Buffer), `${name} differs`);
  });

  it('refuses a prefix of another config, naming what differs', () => {
    const r = gap('gmp', '--level', '4', '--only', 'v0', '--prefix-from', path.join(out, 'L3'), '--out', path.join(out, 'L4-gmp'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--prefix-from: .*v0\.elsa\.safetensors differs from this run in sparsifier/);
  });
});

/**
 * The dense restart probe `cycles-L5` (docs/results.md#resnet-gmp-long-every-level): the dense network alone in
 * ELSA's schedule. Every weight trains in every phase after the first (the update masks the optimizer receives
 * are all-ones) and none is pruned. MLP, 256 images, 1-epoch phases. Sabotage: `node scripts/mutants.mjs
 * cycles-probe-mask-not-fixed`.
 */
describe('level-gap.ts dense restart probe (cycles-L5)', { skip: existsSync(DATA) ? false : `${DATA} is not installed` }, () => {
  let out = '';
  let masks: { tensor: string; trainable: number; size: number }[] = [];
  before(() => {
    mkdirSync(path.resolve('runs'), { recursive: true });
    out = mkdtempSync(path.resolve('runs', 'cycles-dense-test-'));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/levelGapMaskSpy.ts', '--level', '5', '--per-phase', '1', '--limit', '256', '--seeds', '1', '--only', 'cycles-L5', '--out', out],
      { encoding: 'utf8', timeout: 240_000 },
    );
    assert.equal(r.status, 0, `level-gap.ts failed: ${r.stderr}`);
    masks = [...r.stderr.matchAll(/^MASK (\S+) (\d+) (\d+)$/gm)].map((m) => ({ tensor: m[1], trainable: Number(m[2]), size: Number(m[3]) }));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('trains every weight of every layer in every later phase', () => {
    // phases 2-5 set a mask per weight tensor (the MLP has 3)
    assert.ok(masks.length >= 4 * 3, `only ${masks.length} update masks seen`);
    for (const m of masks) assert.equal(m.trainable, m.size, `${m.tensor}: ${m.size - m.trainable} of ${m.size} weights held fixed`);
  });

  it('prunes nothing: the result is dense, after warm-up + 5 phases', () => {
    const lines = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { variant: string; sparsity: number; epochs: number });
    const probe = lines.find((l) => l.variant === 'cycles-L5');
    assert.ok(probe, 'no cycles-L5 result');
    assert.equal(probe.sparsity, 0);
    assert.equal(probe.epochs, 2 + 5 * 1);
  });
});
