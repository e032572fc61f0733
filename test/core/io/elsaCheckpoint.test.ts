import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ElsaMetadata, TensorEntry } from '../../../src/protocol/checkpoint';
import {
  codeTensorName, extractLevelWeights, levelSparsity, parseElsaMetadata, readElsaCheckpoint, writeElsaCheckpoint,
} from '../../../src/core/io/elsaCheckpoint';
import { type HostTensor, type SafetensorsHeader, readSafetensorsHeader, writeSafetensors } from '../../../src/core/io/safetensors';
import { expectCheckpointError, randInt, randomShape, randomTensor, sameBits, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** Finished levels recording the sparsity their codes give (the contract checked on open). */
function levelsFor(targets: number[], done: number, codes: Record<string, Uint8Array> = {}) {
  const all = Uint8Array.from(Object.values(codes).flatMap((c) => Array.from(c)));
  return Array.from({ length: done }, (_, i) => ({
    index: i + 1, targetSparsity: targets[i] ?? 0, sparsity: levelSparsity(all, i + 1), metrics: { accuracy: 0.9 - i / 100 }, ...(i === targets.length ? { dense: true } : {}),
  }));
}

describe('ELSA checkpoint round trip', () => {
  it('reads back weights, codes, per-level parameters and metadata over random models', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rand = seededRandom(seed);
      const K = randInt(rand, 1, 6);
      const targets = Array.from({ length: K }, (_, i) => 0.95 - (0.9 * i) / K);
      // F16 checkpoints get values F16 holds exactly, so the round trip can be bit-exact.
      const floatDtype = seed % 4 === 0 ? 'F16' : 'F32';
      const weights: Record<string, HostTensor> = {};
      const codes: Record<string, Uint8Array> = {};
      const layers = randInt(rand, 1, 4);
      for (let l = 0; l < layers; l++) {
        const kernel = randomTensor(rand, floatDtype, [randInt(rand, 1, 9), ...randomShape(rand, 2, 5)]);
        weights[`dense_${l}/kernel`] = kernel;
        codes[`dense_${l}/kernel`] = Uint8Array.from({ length: kernel.data.length }, () => randInt(rand, 1, K + 1));
        weights[`dense_${l}/bias`] = randomTensor(rand, floatDtype, [3]);
      }
      const mode = seed % 3 === 0 ? 'frozen' : 'perLevel';
      const levelParams: Record<number, Record<string, HostTensor>> = {};
      const finished = randInt(rand, 0, K + 1);
      for (let k = 1; k <= (mode === 'frozen' ? Math.min(1, finished) : finished); k++) {
        levelParams[k] = { 'dense_0/bias': randomTensor(rand, floatDtype, [3]) };
      }
      const packing = seed % 2 ? 'bits' : 'u8';
      const file = tmp.file(`ck${seed}.elsa.safetensors`);
      const meta = await writeElsaCheckpoint(file, {
        weights, codes, levelParams, extraTensors: { 'elsa.optimizer/step': { dtype: 'I32', shape: [1], data: new Int32Array([seed]) } },
        meta: { format: 'elsa/1', targets, levels: levelsFor(targets, finished, codes), kind: 'elsa', smallParamsMode: mode },
        packing, floatDtype,
      });
      assert.equal(meta.packing, packing === 'u8' ? 'u8' : `bits${Math.max(1, Math.ceil(Math.log2(K + 1)))}`);

      const ck = await readElsaCheckpoint(file);
      try {
        assert.deepEqual(ck.meta, meta);
        assert.deepEqual(ck.weightNames, Object.keys(weights));
        assert.deepEqual(ck.sparseWeightNames, Object.keys(codes));
        for (const [name, t] of Object.entries(weights)) {
          const back = await ck.readWeight(name);
          assert.deepEqual(back.shape, t.shape);
          assert.ok(sameBits(back.data, t.data), `${name} seed ${seed}`);
        }
        for (const [name, c] of Object.entries(codes)) assert.deepEqual(await ck.readCodes(name), c);
        for (let k = 1; k <= finished; k++) {
          const params = await ck.readLevelParams(k);
          const source = mode === 'frozen' ? levelParams[1] : levelParams[k];
          assert.ok(sameBits(params['dense_0/bias'].data, source['dense_0/bias'].data), `level ${k} params seed ${seed}`);
        }
        assert.deepEqual(Array.from((await ck.readTensor('elsa.optimizer/step')).data as Int32Array), [seed]);
      } finally {
        await ck.close();
      }
    }
  });

  it('extracts nested levels: each level keeps a superset of the previous one, the last is dense', () => {
    const rand = seededRandom(3);
    const K = 4;
    const weights = Float32Array.from({ length: 500 }, () => rand() - 0.5);
    const codes = Uint8Array.from({ length: 500 }, () => randInt(rand, 1, K + 1));
    let previous: Float32Array = new Float32Array(500);
    for (let k = 1; k <= K + 1; k++) {
      const level = extractLevelWeights(weights, codes, k);
      for (let i = 0; i < 500; i++) {
        if (previous[i] !== 0) assert.equal(level[i], weights[i]);
        assert.ok(Object.is(level[i], codes[i] <= k ? weights[i] : 0));
      }
      const zeros = level.filter((v) => v === 0).length / 500;
      assert.equal(zeros, levelSparsity(codes, k));
      previous = level;
    }
    assert.deepEqual(previous, weights);
    assert.equal(levelSparsity(new Uint8Array(0), 1), 0);
  });

  it('stores a dense-only network (K = 0, the dense baseline) with all codes 1', async () => {
    const weights = { w: { dtype: 'F32' as const, shape: [3, 3], data: Float32Array.from({ length: 9 }, (_, i) => i - 4) } };
    const file = tmp.file('dense.elsa.safetensors');
    await writeElsaCheckpoint(file, {
      weights, codes: { w: new Uint8Array(9).fill(1) },
      meta: { format: 'elsa/1', kind: 'dense', targets: [], levels: [{ index: 1, targetSparsity: 0, sparsity: 0, dense: true, metrics: {} }] },
    });
    const ck = await readElsaCheckpoint(file);
    try {
      assert.equal(ck.meta.packing, 'bits1');
      assert.deepEqual(await ck.readCodes('w'), new Uint8Array(9).fill(1));
      assert.deepEqual(extractLevelWeights((await ck.readWeight('w')).data as Float32Array, await ck.readCodes('w'), 1), weights.w.data);
    } finally {
      await ck.close();
    }
    const header = await readSafetensorsHeader(file);
    const notDense = { ...JSON.parse(header.metadata.elsa), kind: 'elsa' };
    assert.match(await expectCheckpointError(() => parseElsaMetadata({ ...header, metadata: { elsa: JSON.stringify(notDense) } }), 'dense.elsa.safetensors'), /targets must be a non-empty array/);
  });

  it('refuses codes that do not fit the weights or the level count', async () => {
    const weights = { w: { dtype: 'F32' as const, shape: [2], data: new Float32Array(2) } };
    const meta = { format: 'elsa/1' as const, targets: [0.5], levels: [] };
    await assert.rejects(writeElsaCheckpoint(tmp.file('x.safetensors'), { weights, codes: { w: new Uint8Array([1, 3]) }, meta }), /level code 3 of "w" at index 1 is outside 1..2/);
    await assert.rejects(writeElsaCheckpoint(tmp.file('x.safetensors'), { weights, codes: { w: new Uint8Array([1]) }, meta }), /2 elements but 1 codes/);
    await assert.rejects(writeElsaCheckpoint(tmp.file('x.safetensors'), { weights, codes: { v: new Uint8Array([1]) }, meta }), /not among the weights/);
    await assert.rejects(writeElsaCheckpoint(tmp.file('x.safetensors'), { weights, codes: {}, levelParams: { 2: { b: weights.w } }, meta: { ...meta, smallParamsMode: 'perLevel' } }), /missing for level 1/);
  });

  it('says a plain safetensors file is not an ELSA checkpoint', async () => {
    const file = tmp.file('plain.safetensors');
    await writeSafetensors(file, { a: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } });
    assert.equal(parseElsaMetadata(await readSafetensorsHeader(file)), undefined);
    assert.match(await expectCheckpointError(readElsaCheckpoint(file), 'plain.safetensors'), /not an ELSA checkpoint/);
  });
});

describe('ELSA metadata validation', () => {
  const entry = (dtype: TensorEntry['dtype'], shape: number[]): TensorEntry => ({ dtype, shape, offsets: [0, 0] });
  const good: ElsaMetadata = {
    format: 'elsa/1', targets: [0.9, 0.5], packing: 'bits2', codes: { w: codeTensorName('w') },
    levels: [{ index: 1, targetSparsity: 0.9, sparsity: 0.9, metrics: {} }, { index: 2, targetSparsity: 0.5, sparsity: 0.5, metrics: {} }],
  };
  const headerWith = (elsa: unknown, tensors: Record<string, TensorEntry> = { w: entry('F32', [3, 4]), [codeTensorName('w')]: entry('U8', [3]) }): SafetensorsHeader => ({
    label: 'm.elsa.safetensors', fileSize: 0, headerLength: 0, dataOffset: 8, tensors,
    metadata: { elsa: typeof elsa === 'string' ? elsa : JSON.stringify(elsa) },
  });
  it('accepts a well-formed header', () => assert.deepEqual(parseElsaMetadata(headerWith(good)), good));
  const cases: [string, unknown, RegExp, Record<string, TensorEntry>?][] = [
    ['malformed JSON', '{"format": "elsa/1",', /not valid JSON/],
    ['wrong format', { ...good, format: 'elsa/9' }, /unsupported format "elsa\/9"/],
    ['levels not numbered in order', { ...good, levels: [good.levels[1]] }, /levels\[0\].index is 2, expected 1/],
    ['too many levels', { ...good, levels: [...good.levels, { ...good.levels[0], index: 3 }, { ...good.levels[0], index: 4 }] }, /4 levels for 2 targets/],
    ['targets not decreasing', { ...good, targets: [0.5, 0.9] }, /targets must decrease/],
    ['sparsity out of range', { ...good, levels: [{ ...good.levels[0], sparsity: 1.5 }] }, /levels\[0\].sparsity must be a number in \[0, 1\]/],
    ['unknown packing', { ...good, packing: 'nibble' }, /unknown code packing "nibble"/],
    ['packing too narrow for K', { ...good, packing: 'bits1' }, /packing bits1 cannot hold codes up to 3/],
    ['code tensor missing', good, /code tensor "elsa.codes\/w" of weight "w" is missing/, { w: entry('F32', [3, 4]) }],
    ['weight missing', good, /codes name weight "w", which is not in the file/, {}],
    ['code tensor wrong size', good, /has 4 bytes, but 12 weights in bits2 need 3/, { w: entry('F32', [3, 4]), [codeTensorName('w')]: entry('U8', [4]) }],
    ['code tensor wrong dtype', good, /is I32, expected U8/, { w: entry('F32', [3, 4]), [codeTensorName('w')]: entry('I32', [3]) }],
    ['bad small params mode', { ...good, smallParams: { mode: 'sometimes', perLevel: {} } }, /smallParams.mode/],
    ['small param tensor missing', { ...good, smallParams: { mode: 'perLevel', perLevel: { b: ['elsa.level1/b'] } } }, /small parameter tensor "elsa.level1\/b" is missing/],
  ];
  for (const [what, elsa, re, tensors] of cases) {
    it(`rejects ${what}`, async () => {
      assert.match(await expectCheckpointError(() => parseElsaMetadata(headerWith(elsa, tensors)), 'm.elsa.safetensors'), re);
    });
  }
});
