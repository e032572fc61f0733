import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { readSafetensorsHeader, writeSafetensors, type HostTensor } from '../../../src/core/io/safetensors';
import { bitmapEncodedBytes, readSparseLevel, writeSparseLevel } from '../../../src/core/io/sparseFormat';
import { expectCheckpointError, randInt, randomShape, randomTensor, sameBits, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** A float tensor where each element is zero with probability `sparsity`. */
function sparseTensor(rand: () => number, shape: number[], sparsity: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'F32', shape, data: Float32Array.from({ length: n }, () => (rand() < sparsity ? 0 : rand() - 0.5)) };
}

describe('sparse level format', () => {
  it('round-trips tensors bit for bit over random shapes, sparsities and seeds', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = seededRandom(seed);
      const tensors: Record<string, HostTensor> = {};
      for (let i = 0; i < randInt(rand, 1, 5); i++) tensors[`layer${i}/kernel`] = sparseTensor(rand, randomShape(rand, 3, 20), rand());
      const special = new Float32Array([0, -0, NaN, Infinity, 1e-45, 0, 0, 0, 0, 0]);
      tensors.special = { dtype: 'F32', shape: [10], data: special };
      tensors.steps = randomTensor(rand, 'I32', [4]);
      const file = tmp.file(`s${seed}.sparse.safetensors`);
      await writeSparseLevel(file, tensors, { source: { level: seed % 4, checkpoint: 'run.elsa.safetensors' } });
      const back = await readSparseLevel(file);
      assert.deepEqual(Object.keys(back.tensors), Object.keys(tensors), 'model order kept');
      assert.equal(back.info.source?.level, seed % 4);
      for (const [name, t] of Object.entries(tensors)) {
        assert.deepEqual(back.tensors[name].shape, t.shape);
        assert.ok(sameBits(back.tensors[name].data, t.data), `${name} seed ${seed}`);
      }
    }
  });

  it('shrinks with sparsity exactly as the size formula says', async () => {
    const rand = seededRandom(1);
    const shape = [100, 80];
    const n = 8000;
    const denseFile = tmp.file('dense.safetensors');
    await writeSafetensors(denseFile, { w: sparseTensor(rand, shape, 0) });
    const denseSize = statSync(denseFile).size;
    let previous = Infinity;
    for (const sparsity of [0.5, 0.75, 0.9, 0.95, 0.99]) {
      const t = sparseTensor(rand, shape, sparsity);
      const nnz = (t.data as Float32Array).filter((v) => v !== 0).length;
      const file = tmp.file(`w${sparsity}.sparse.safetensors`);
      const info = await writeSparseLevel(file, { w: t });
      assert.equal(info.tensors.w.encoding, 'bitmap');
      assert.equal(info.tensors.w.nnz, nnz);
      const header = await readSafetensorsHeader(file);
      assert.equal(header.fileSize - header.dataOffset, bitmapEncodedBytes(n, nnz), 'data bytes = ceil(n/8) + 4 nnz');
      assert.ok(header.fileSize < previous, `size at ${sparsity} did not shrink`);
      previous = header.fileSize;
      if (sparsity === 0.9) assert.ok(header.fileSize < 0.6 * denseSize, `${header.fileSize} vs dense ${denseSize}`);
    }
  });

  it('stores a nearly dense tensor densely instead of growing it', async () => {
    const rand = seededRandom(2);
    const t = sparseTensor(rand, [64, 64], 0);
    const info = await writeSparseLevel(tmp.file('full.sparse.safetensors'), { w: t });
    assert.equal(info.tensors.w.encoding, 'dense');
    const header = await readSafetensorsHeader(tmp.file('full.sparse.safetensors'));
    assert.equal(header.fileSize - header.dataOffset, 4 * 64 * 64);
  });

  it('rejects files whose sparse metadata does not match their tensors', async () => {
    const label = 'bad.sparse.safetensors';
    const file = tmp.file(label);
    const mask = { dtype: 'U8' as const, shape: [1], data: new Uint8Array([0b111]) };
    const values = { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 2]) };
    const meta = (t: unknown) => ({ 'elsa-sparse': JSON.stringify({ format: 'elsa-sparse/1', tensors: { w: t } }) });
    const bitmap = { shape: [5], encoding: 'bitmap', nnz: 2, mask: 'm', values: 'v' };
    await writeSafetensors(file, { m: mask, v: values }, meta(bitmap));
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /mask of "w" sets more than its 2 values/);
    await writeSafetensors(file, { m: mask, v: values }, meta({ ...bitmap, nnz: 3 }));
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /values of "w" must be 3 F32 values/);
    await writeSafetensors(file, { m: mask, v: values }, meta({ ...bitmap, mask: 'nope' }));
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /names missing mask\/values/);
    await writeSafetensors(file, { m: mask, v: values }, meta({ ...bitmap, encoding: 'rle' }));
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /unknown encoding "rle"/);
    await writeSafetensors(file, { m: mask }, { 'elsa-sparse': '{"format": 1' });
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /not valid JSON/);
    await writeSafetensors(file, { m: mask });
    assert.match(await expectCheckpointError(readSparseLevel(file), label), /not an ELSA sparse file/);
  });
});
