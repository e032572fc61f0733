import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { DType } from '../../../src/protocol/checkpoint';
import { memoryByteSource } from '../../../src/core/io/byteSource';
import { floatToBFloat16Bits, floatToHalfBits, halfBitsToFloat } from '../../../src/core/io/dtype';
import {
  type HostTensor, encodeSafetensors, parseSafetensors, readSafetensorsHeader, readSafetensorsSync, readTensor, tensorNamesInFileOrder,
  writeSafetensors, writeSafetensorsSync,
} from '../../../src/core/io/safetensors';
import { ALL_DTYPES, expectCheckpointError, randInt, randomShape, randomTensor, sameBits, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

const concat = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

/** Bytes of a safetensors file with a hand-written header (for malformed-header cases). */
function fileWithHeader(header: unknown, dataBytes: number, rawHeader?: string): Uint8Array {
  const json = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors round trip', () => {
  it('reads back every dtype bit for bit, over random shapes and seeds', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(seed);
      const tensors: Record<string, HostTensor> = {};
      const count = randInt(rand, 0, 6);
      for (let i = 0; i < count; i++) {
        const dtype = ALL_DTYPES[randInt(rand, 0, ALL_DTYPES.length - 1)];
        tensors[`layer_${i}/${dtype.toLowerCase()}`] = randomTensor(rand, dtype, randomShape(rand));
      }
      const metadata = seed % 3 ? { note: `seed ${seed}`, 'ünï': 'çødé ✓' } : undefined;
      const file = tmp.file(`rt${seed}.safetensors`);
      await (seed % 2 ? writeSafetensors(file, tensors, metadata) : Promise.resolve(writeSafetensorsSync(file, tensors, metadata)));
      const header = await readSafetensorsHeader(file);
      assert.equal(header.label, `rt${seed}.safetensors`);
      assert.deepEqual(header.metadata, metadata ?? {});
      assert.equal(header.dataOffset % 8, 0, 'data section starts 8-byte aligned');
      assert.deepEqual(tensorNamesInFileOrder(header), Object.keys(tensors), 'tensors stay in insertion order');
      for (const [name, t] of Object.entries(tensors)) {
        const back = await readTensor(file, header, name);
        assert.equal(back.dtype, t.dtype);
        assert.deepEqual(back.shape, t.shape);
        assert.ok(sameBits(back.data, t.data), `${name} (seed ${seed}) differs`);
      }
      const whole = readSafetensorsSync(file);
      assert.deepEqual(Object.keys(whole.tensors), Object.keys(tensors));
    }
  });

  it('stores float tensors as F16 on request, rounding like IEEE half precision', async () => {
    const data = new Float32Array([0, -0, 1, -2.5, 65504, 70000, 1e-8, 5.960464477539063e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, -Infinity]);
    const file = tmp.file('half.safetensors');
    await writeSafetensors(file, { w: { dtype: 'F32', shape: [data.length], data }, i: { dtype: 'I32', shape: [1], data: new Int32Array([7]) } }, undefined, { dtype: 'F16' });
    const header = await readSafetensorsHeader(file);
    assert.equal(header.tensors.w.dtype, 'F16');
    assert.equal(header.tensors.i.dtype, 'I32', 'integer tensors keep their dtype');
    const back = (await readTensor(file, header, 'w')).data as Float32Array;
    const expected = [0, -0, 1, -2.5, 65504, Infinity, 0, 5.960464477539063e-8, 1, 1 + 4 * 2 ** -11, NaN, -Infinity];
    expected.forEach((v, i) => assert.ok(Object.is(back[i], v), `element ${i}: ${back[i]} != ${v}`));
  });

  it('encodes every F16 value exactly and round-trips each bit pattern', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const f = halfBitsToFloat(bits);
      if (Number.isNaN(f)) continue;
      assert.equal(floatToHalfBits(f), bits);
    }
    assert.equal(floatToBFloat16Bits(1), 0x3f80);
    assert.equal(floatToBFloat16Bits(1 + 2 ** -8), 0x3f80, 'ties round to even');
    assert.equal(floatToBFloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
  });

  it('rejects tensors whose data does not match shape or dtype', () => {
    assert.throws(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }), /4 elements but data has 3/);
    assert.throws(() => encodeSafetensors({ a: { dtype: 'I32', shape: [1], data: new Float32Array(1) } }), /must be a Int32Array/);
    assert.throws(() => encodeSafetensors({ a: { dtype: 'Q4' as DType, shape: [1], data: new Uint8Array(1) } }), /unknown dtype/);
  });
});

describe('safetensors header validation', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte/],
    ['huge header length', (() => { const b = new Uint8Array(4096); new DataView(b.buffer).setBigUint64(0, 9_000_000_000_000_000_000n, true); return b; })(), /header length 9e18 exceeds file size 4096/],
    ['invalid UTF-8', fileWithHeader(null, 0, '{"a":"\udc00"}').map((b, i) => (i === 14 ? 0xff : b)), /not valid UTF-8/],
    ['invalid JSON', fileWithHeader(null, 0, '{"a": [1, }'), /not valid JSON/],
    ['not an object', fileWithHeader([1, 2], 0), /header is an array, expected a JSON object/],
    ['unknown dtype', fileWithHeader({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1), /tensor "a": unknown dtype "F8"/],
    ['shape vs offsets', fileWithHeader({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20), /needs 24 bytes but data_offsets \[0, 20\] hold 20/],
    ['bad shape', fileWithHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /invalid shape/],
    ['offsets past the data', fileWithHeader({ a: { dtype: 'U8', shape: [8], data_offsets: [4, 12] } }, 8), /run past the data section \(8 bytes\)/],
    ['overlapping tensors', fileWithHeader({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, 6), /overlap tensor "a"/],
    ['trailing data', fileWithHeader({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, 10), /data section is 10 bytes but the tensors end at 4/],
    ['metadata value not a string', fileWithHeader({ __metadata__: { n: 3 } }, 0), /__metadata__\["n"\] is number, expected a string/],
    // Other formats given by mistake are named (the ONNX file `elsa extract -f onnx` writes starts 08 07 12 …).
    ['an ONNX model', (() => { const b = new Uint8Array(64); b.set([0x08, 0x07, 0x12, 0x0b, 0x45, 0x4c, 0x53, 0x41]); return b; })(), /header length \S+ exceeds file size 64: this is an ONNX model, not safetensors/],
    ['a PyTorch .pt (ZIP)', (() => { const b = new Uint8Array(64); b.set([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]); return b; })(), /exceeds file size 64: this is a ZIP archive \(a PyTorch/],
    ['a PNG', (() => { const b = new Uint8Array(64); b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); return b; })(), /exceeds file size 64: this is a PNG image, not safetensors/],
    ['offsets not integers', fileWithHeader({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 0.5] } }, 1), /are not two non-negative integers/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`names the file and the problem: ${what}`, async () => {
      const msg = await expectCheckpointError(readSafetensorsHeader(memoryByteSource(bytes, 'bad.safetensors')), 'bad.safetensors');
      assert.match(msg, message);
      const syncMsg = await expectCheckpointError(() => parseSafetensors(bytes, 'bad.safetensors'), 'bad.safetensors');
      assert.equal(syncMsg, msg);
    });
  }

  it('reads only the header, not the data', async () => {
    const bytes = concat(encodeSafetensors({ big: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } }));
    const inner = memoryByteSource(bytes, 'x.safetensors');
    let bytesRead = 0;
    const counting = { ...inner, read: (o: number, n: number) => { bytesRead += n; return inner.read(o, n); } };
    const header = await readSafetensorsHeader(counting);
    assert.equal(bytesRead, header.dataOffset);
    assert.ok(bytesRead < 200);
  });

  it('names a missing tensor', async () => {
    const file = tmp.file('one.safetensors');
    await writeSafetensors(file, { a: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } });
    const header = await readSafetensorsHeader(file);
    assert.match(await expectCheckpointError(readTensor(file, header, 'b'), 'one.safetensors'), /no tensor named "b"/);
  });

  it('names a missing file in one line', async () => {
    assert.match(await expectCheckpointError(readSafetensorsHeader(tmp.file('nope.safetensors')), 'nope.safetensors'), /cannot open: ENOENT/);
    assert.match(await expectCheckpointError(() => readSafetensorsSync(tmp.file('nope.safetensors')), 'nope.safetensors'), /nope\.safetensors: file not found/);
  });

  it('pads the header with spaces to 8-byte alignment, as the reference writer does', () => {
    for (let n = 1; n < 12; n++) {
      const bytes = concat(encodeSafetensors({ ['x'.repeat(n)]: { dtype: 'U8', shape: [1], data: new Uint8Array([n]) } }));
      const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(len % 8, 0);
      const json = Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8');
      assert.match(json, /^\{.*\} *$/);
    }
  });
});

describe('safetensors interoperability', () => {
  it('is read by Python (safetensors, else PyTorch or numpy over a struct parse) with the same values', async (t) => {
    const { spawnSync } = await import('node:child_process');
    // The Debian PyTorch lives under /usr/bin/python3, which a pyenv python3 on PATH may hide.
    const pythons = ['python3', '/usr/bin/python3'];
    const works = (py: string, mod: string) => spawnSync(py, ['-c', `import ${mod}`], { encoding: 'utf8' }).status === 0;
    const python = pythons.find((py) => works(py, 'safetensors')) ?? pythons.find((py) => works(py, 'torch')) ?? pythons.find((py) => works(py, 'numpy'));
    if (!python) {
      t.skip('no python3 with safetensors, torch or numpy');
      return;
    }
    const rand = seededRandom(7);
    const tensors: Record<string, HostTensor> = {
      f32: randomTensor(rand, 'F32', [3, 5]),
      f16: randomTensor(rand, 'F16', [4, 2]),
      i64: randomTensor(rand, 'I64', [6]),
      u8: randomTensor(rand, 'U8', [2, 2, 2]),
      empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
    };
    const file = tmp.file('py.safetensors');
    await writeSafetensors(file, tensors, { origin: 'elsa' });
    const script = `
import json, struct, sys
path = sys.argv[1]
def struct_parse():
    raw = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    out, end = {}, 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        b, f = e['data_offsets']
        assert b == end, 'tensors must be contiguous'
        end = f
        out[name] = (e['dtype'], e['shape'], bytearray(raw[8 + n + b: 8 + n + f]))
    assert 8 + n + end == len(raw), 'data section must end the file'
    return out
try:
    from safetensors.numpy import load_file
    values, reader = {k: (list(v.shape), v.reshape(-1).tolist()) for k, v in load_file(path).items()}, 'safetensors'
except ImportError:
    try:
        import torch
        kinds = {'F32': torch.float32, 'F16': torch.float16, 'I64': torch.int64, 'U8': torch.uint8}
        def to_torch(d, shape, b):
            return (torch.frombuffer(b, dtype=kinds[d]) if len(b) else torch.empty(0, dtype=kinds[d])).reshape(shape)
        values = {k: (list(x.shape), x.reshape(-1).tolist()) for k, x in ((k, to_torch(*v)) for k, v in struct_parse().items())}
        reader = 'torch ' + torch.__version__
    except ImportError:
        import numpy as np
        kinds = {'F32': '<f4', 'F16': '<f2', 'I64': '<i8', 'U8': 'u1'}
        values = {k: (s, np.frombuffer(b, dtype=kinds[d]).reshape(s).reshape(-1).tolist()) for k, (d, s, b) in struct_parse().items()}
        reader = 'numpy'
print(json.dumps({'reader': reader, 'tensors': {k: {'shape': s, 'values': v} for k, (s, v) in values.items()}}))
`;
    const r = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { reader: string; tensors: Record<string, { shape: number[]; values: number[] }> };
    t.diagnostic(`read by ${out.reader} (${python})`);
    for (const [name, tensor] of Object.entries(tensors)) {
      assert.deepEqual(out.tensors[name].shape, tensor.shape, name);
      const expected = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
      assert.deepEqual(out.tensors[name].values, expected, `${name} via ${out.reader}`);
    }
  });

  it('reads a file laid out by another writer (sorted by dtype, no insertion order)', async () => {
    const header = { __metadata__: { format: 'pt' }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, a: { dtype: 'U8', shape: [3], data_offsets: [8, 11] } };
    const bytes = fileWithHeader(header, 11);
    const dataAt = bytes.length - 11;
    new DataView(bytes.buffer).setFloat32(dataAt, 1.5, true);
    new DataView(bytes.buffer).setFloat32(dataAt + 4, -3, true);
    bytes.set([9, 8, 7], dataAt + 8);
    const src = memoryByteSource(bytes, 'other.safetensors');
    const h = await readSafetensorsHeader(src);
    assert.deepEqual(Array.from((await readTensor(src, h, 'b')).data as Float32Array), [1.5, -3]);
    assert.deepEqual(Array.from((await readTensor(src, h, 'a')).data as Uint8Array), [9, 8, 7]);
  });
});

it('writes exactly the bytes encodeSafetensors describes', async () => {
  const t = { a: { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 2]) } };
  const file = tmp.file('exact.safetensors');
  await writeSafetensors(file, t, { k: 'v' });
  assert.deepEqual(new Uint8Array(readFileSync(file)), concat(encodeSafetensors(t, { k: 'v' })));
});
