/**
 * Damaged files: every truncation, flipped header bytes and absurd header lengths must end in a one-line
 * CheckpointError naming the file (or, where the damage happens to leave a valid file, a normal result),
 * never a RangeError, a hang or a crash.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { memoryByteSource } from '../../../src/core/io/byteSource';
import { buildElsaCheckpoint, levelSparsity, readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { inspectFile, inspectSafetensors } from '../../../src/core/io/inspect';
import { formatInspectReport } from '../../../src/core/io/inspectFormat';
import { encodeSafetensors, readSafetensorsHeader } from '../../../src/core/io/safetensors';
import { expectCheckpointError, randInt, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);
const LABEL = 'model.elsa.safetensors';

function checkpointBytes(packing: 'u8' | 'bits'): Uint8Array {
  const rand = seededRandom(11);
  const kernel = Float32Array.from({ length: 24 }, () => rand() - 0.5);
  const codes = Uint8Array.from({ length: 24 }, () => randInt(rand, 1, 4));
  const { tensors, meta } = buildElsaCheckpoint({
    weights: { 'd/kernel': { dtype: 'F32', shape: [4, 6], data: kernel }, 'd/bias': { dtype: 'F32', shape: [6], data: new Float32Array(6) } },
    codes: { 'd/kernel': codes },
    levelParams: { 1: { 'd/bias': { dtype: 'F32', shape: [6], data: new Float32Array(6).fill(1) } }, 2: { 'd/bias': { dtype: 'F32', shape: [6], data: new Float32Array(6).fill(2) } } },
    meta: {
      format: 'elsa/1', targets: [0.9, 0.5, 0.2],
      levels: [{ index: 1, targetSparsity: 0.9, sparsity: levelSparsity(codes, 1), metrics: { accuracy: 0.5 } }, { index: 2, targetSparsity: 0.5, sparsity: levelSparsity(codes, 2), metrics: {} }],
      provenance: { tool: 'elsa', version: '0.1.0', backend: 'cpu', createdAt: '2026-01-01T00:00:00Z' },
    },
    packing,
  });
  return new Uint8Array(Buffer.concat(encodeSafetensors(tensors, { elsa: JSON.stringify(meta) })));
}

/** Opens and reads everything a user could ask for; returns 'ok' or the CheckpointError message. */
async function readEverything(bytes: Uint8Array): Promise<string> {
  try {
    const source = memoryByteSource(bytes, LABEL);
    const report = await inspectSafetensors(source, LABEL);
    formatInspectReport(report);
    if (report.kind === 'elsa-checkpoint') {
      const ck = await readElsaCheckpoint(source);
      for (const name of ck.weightNames) await ck.readWeight(name);
      for (const name of ck.sparseWeightNames) await ck.readCodes(name);
      for (let k = 1; k <= ck.meta.targets.length + 1; k++) await ck.readLevelParams(k).catch((e: unknown) => { if (!isElsaError(e)) throw e; });
    }
    return 'ok';
  } catch (e) {
    if (!isElsaError(e) || e.kind !== 'CheckpointError' || e.file !== LABEL || e.message.includes('\n')) {
      throw new Error(`not a one-line CheckpointError naming ${LABEL}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    return e.message;
  }
}

describe('damaged checkpoints', () => {
  for (const packing of ['u8', 'bits'] as const) {
    const whole = checkpointBytes(packing);

    it(`reads the intact ${packing} checkpoint`, async () => assert.equal(await readEverything(whole), 'ok'));

    it(`rejects the ${packing} checkpoint cut at every offset`, async () => {
      for (let cut = 0; cut < whole.length; cut++) {
        const msg = await readEverything(whole.subarray(0, cut));
        assert.notEqual(msg, 'ok', `cut at ${cut} was accepted`);
      }
    });

    it(`survives flipped header bytes in the ${packing} checkpoint`, async () => {
      const headerEnd = 8 + Number(new DataView(whole.buffer).getBigUint64(0, true));
      const rand = seededRandom(5);
      let rejected = 0;
      for (let pos = 0; pos < headerEnd; pos++) {
        const bytes = whole.slice();
        bytes[pos] ^= 1 << randInt(rand, 0, 7);
        if ((await readEverything(bytes)) !== 'ok') rejected++;
      }
      // Most flips break the JSON or a check; some only change a name or a digit of a metric.
      assert.ok(rejected > headerEnd / 2, `${rejected} of ${headerEnd} flips rejected`);
    });

    it(`survives random flips in the data of the ${packing} checkpoint`, async () => {
      const rand = seededRandom(9);
      for (let i = 0; i < 300; i++) {
        const bytes = whole.slice();
        bytes[randInt(rand, 0, bytes.length - 1)] = randInt(rand, 0, 255);
        bytes[randInt(rand, bytes.length - 40, bytes.length - 1)] = randInt(rand, 0, 255);
        await readEverything(bytes);
      }
    });
  }

  it('rejects absurd header lengths with the sizes in the message', async () => {
    const whole = checkpointBytes('bits');
    for (const n of [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 9_000_000_000_000_000_000n, BigInt(whole.length), BigInt(whole.length - 7), 0n, 1n]) {
      const bytes = whole.slice();
      new DataView(bytes.buffer).setBigUint64(0, n, true);
      const msg = await readEverything(bytes);
      assert.notEqual(msg, 'ok', `header length ${n}`);
      if (n > BigInt(whole.length)) assert.match(msg, new RegExp(`exceeds file size ${whole.length}`));
    }
  });

  it('reports a truncated file on disk in one line, through inspectFile', async () => {
    const whole = checkpointBytes('u8');
    const file = tmp.file(LABEL);
    for (const cut of [0, 3, 8, 20, whole.length - 1]) {
      writeFileSync(file, whole.subarray(0, cut));
      await expectCheckpointError(inspectFile(file), LABEL);
      await expectCheckpointError(readSafetensorsHeader(file), LABEL);
      await expectCheckpointError(readElsaCheckpoint(file), LABEL);
    }
    await expectCheckpointError(inspectFile(tmp.file('missing.safetensors')), 'missing.safetensors');
  });
});
