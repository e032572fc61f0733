import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/core/io/atomic';
import { writeSafetensors } from '../../../src/core/io/safetensors';
import { tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** Chunks whose generation fails after some data has reached the temp file. */
function* failingChunks(): Generator<Uint8Array> {
  yield Buffer.from('new '.repeat(1000));
  throw new Error('data generation failed');
}

describe('atomic writes', () => {
  it('streams chunks from an async generator', async () => {
    const file = tmp.file('stream.bin');
    async function* chunks() { for (let i = 0; i < 5; i++) yield new Uint8Array([48 + i]); }
    await writeFileAtomic(file, chunks());
    assert.equal(readFileSync(file, 'utf8'), '01234');
  });

  it('writes strings, bytes and chunk lists, replacing the old file and leaving no temp files', async () => {
    const file = tmp.file('a.txt');
    await writeFileAtomic(file, 'first');
    assert.equal(readFileSync(file, 'utf8'), 'first');
    await writeFileAtomic(file, [Buffer.from('sec'), new Uint8Array([111, 110, 100])]);
    assert.equal(readFileSync(file, 'utf8'), 'second');
    writeFileAtomicSync(file, new Uint8Array([116, 104, 105, 114, 100]));
    assert.equal(readFileSync(file, 'utf8'), 'third');
    assert.deepEqual(readdirSync(tmp.dir).filter((n) => n.startsWith('.') || n === 'a.txt'), ['a.txt']);
  });

  for (const [name, write] of [['async', writeFileAtomic], ['sync', writeFileAtomicSync]] as const) {
    it(`${name}: keeps the old file intact and removes the temp file when writing fails midway`, async () => {
      const dir = tmp.file(`fail-${name}`);
      mkdirSync(dir);
      const file = `${dir}/model.safetensors`;
      writeFileSync(file, 'old contents');
      await assert.rejects(async () => write(file, failingChunks()), /data generation failed/);
      assert.equal(readFileSync(file, 'utf8'), 'old contents');
      assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    });

    it(`${name}: keeps the target and removes the temp file when the rename fails`, async () => {
      const dir = tmp.file(`rename-${name}`);
      mkdirSync(`${dir}/target/inner`, { recursive: true });
      await assert.rejects(async () => write(`${dir}/target`, 'data'), /^CheckpointError: .*\/target: cannot write: E(ISDIR|NOTEMPTY|EXIST)( \(it is a folder\))?$/);
      assert.deepEqual(readdirSync(dir), ['target']);
      assert.deepEqual(readdirSync(`${dir}/target`), ['inner']);
      await assert.rejects(async () => write(`${dir}/no/such/model.bin`, 'data'), /^CheckpointError: .*\/no\/such\/model\.bin: cannot write: ENOENT \(its folder does not exist or cannot hold files\)$/);
    });
  }

  it('leaves the old file intact when the folder is read-only', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root ignores folder permissions');
      return;
    }
    const dir = tmp.file('readonly');
    mkdirSync(dir);
    writeFileSync(`${dir}/f.bin`, 'old');
    chmodSync(dir, 0o555);
    try {
      await assert.rejects(writeFileAtomic(`${dir}/f.bin`, 'new'));
      assert.throws(() => writeFileAtomicSync(`${dir}/f.bin`, 'new'));
      assert.equal(readFileSync(`${dir}/f.bin`, 'utf8'), 'old');
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it('leaves the old checkpoint intact when tensor data is invalid', async () => {
    const file = tmp.file('ck.safetensors');
    await writeSafetensors(file, { a: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } });
    const before = readFileSync(file);
    await assert.rejects(writeSafetensors(file, { a: { dtype: 'F32', shape: [4], data: new Float32Array(3) } }), /4 elements but data has 3/);
    assert.deepEqual(readFileSync(file), before);
  });

  it('gives concurrent writers one whole result, never a mix', async () => {
    const file = tmp.file('race.bin');
    const contents = Array.from({ length: 8 }, (_, i) => Buffer.alloc(200_000, 65 + i));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    const result = readFileSync(file);
    assert.ok(contents.some((c) => c.equals(result)));
    assert.ok(readdirSync(tmp.dir).every((n) => !n.includes('.tmp-')));
  });
});
