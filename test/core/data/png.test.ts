/**
 * The PNG decoder on every colour type it takes and every row filter (encoded here with real filters, as
 * image editors write them), and on malformed files: each gives one DataError line naming the file, never a
 * stack trace or an unbounded inflate. Also the image → model input conversion of `elsa predict`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { isElsaError } from '../../../src/core/errors';
import { encodeIdxU8 } from '../../../src/core/data/idx';
import { decodePng, encodePng } from '../../../src/core/data/png';
import { readSampleImages } from '../../../src/core/data/sampleImage';
import { createRng } from '../../../src/core/random';
import { tempDir } from '../io/ioTestUtil';

const tmp = tempDir('elsa-png-');
after(tmp.cleanup);
const deflate = (b: Uint8Array) => deflateSync(b);

/** A PNG whose row y uses filter y % 5 (None, Sub, Up, Average, Paeth), encoded as the spec says. */
function filteredPng(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: Uint8Array): Uint8Array {
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const x = pixels[y * stride + i];
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f];
      raw[y * (stride + 1) + 1 + i] = (x - pred) & 0xff;
    }
  }
  // encodePng writes filter-None rows; swap in the filtered stream instead.
  return encodePng(width, height, channels, pixels, () => deflateSync(raw));
}

function expectDataError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isElsaError(e), `not an ElsaError: ${String(e)}`);
    assert.equal(e.kind, 'DataError');
    assert.ok(!e.toLine().includes('\n'), 'one line');
    assert.match(e.toLine(), pattern);
    return true;
  });
}

describe('PNG decoder', () => {
  it('decodes grey, grey + alpha, RGB and RGBA with every row filter', () => {
    const rng = createRng(1);
    for (const channels of [1, 2, 3, 4] as const) {
      const [w, h] = [7, 11];
      const pixels = Uint8Array.from({ length: w * h * channels }, () => Math.floor(rng.next() * 256));
      const png = decodePng(filteredPng(w, h, channels, pixels), 'x.png');
      assert.deepEqual([png.width, png.height, png.channels], [w, h, channels]);
      assert.deepEqual([...png.pixels], [...pixels], `${channels} channels`);
    }
    // Few distinct values make the Paeth predictor's ties common (which neighbour wins a tie is part of the spec).
    for (const channels of [1, 3] as const) {
      const pixels = Uint8Array.from({ length: 20 * 20 * channels }, () => Math.floor(rng.next() * 4) * 2);
      assert.deepEqual([...decodePng(filteredPng(20, 20, channels, pixels), 'ties.png').pixels], [...pixels], `ties, ${channels} channels`);
    }
  });

  it('refuses malformed and unsupported files in one line naming the file', () => {
    const good = encodePng(4, 4, 1, new Uint8Array(16).fill(9), deflate);
    expectDataError(() => decodePng(Uint8Array.from([1, 2, 3]), 'a.png'), /^DataError: a\.png: PNG: not a PNG file/);
    expectDataError(() => decodePng(good.subarray(0, 30), 'cut.png'), /cut\.png: PNG: truncated/);
    const flipped = Uint8Array.from(good);
    flipped[45] ^= 0xff; // inside the IDAT data (IHDR ends at 33, IDAT's header is 8 bytes)
    expectDataError(() => decodePng(flipped, 'bad.png'), /bad\.png: PNG: chunk "IDAT" fails its CRC check/);
    const patch = (mutate: (ihdr: Uint8Array) => void) => {
      const b = Uint8Array.from(good);
      mutate(b.subarray(16, 29));
      // re-sign the IHDR so only the field is wrong, not the CRC
      new DataView(b.buffer).setUint32(29, ihdrCrc(b));
      return b;
    };
    expectDataError(() => decodePng(patch((h) => { h[8] = 16; }), 'deep.png'), /deep\.png: PNG: 16-bit samples are not supported/);
    expectDataError(() => decodePng(patch((h) => { h[9] = 3; }), 'pal.png'), /pal\.png: PNG: palette images are not supported/);
    expectDataError(() => decodePng(patch((h) => { h[12] = 1; }), 'adam.png'), /adam\.png: PNG: interlaced \(Adam7\) images are not supported/);
    expectDataError(() => decodePng(patch((h) => { new DataView(h.buffer, h.byteOffset).setUint32(0, 100000); new DataView(h.buffer, h.byteOffset).setUint32(4, 1000); }), 'huge.png'), /huge\.png: PNG: 100000×1000 is larger than/);
    // Image data that inflates to more than the header announces (a zip bomb in small): stopped at the cap.
    const bomb = encodePng(4, 4, 1, new Uint8Array(16), () => deflateSync(new Uint8Array(10_000_000)));
    expectDataError(() => decodePng(bomb, 'bomb.png'), /bomb\.png: PNG: the image data inflates to more than the 20 bytes/);
    const short = encodePng(4, 4, 1, new Uint8Array(16), () => deflateSync(new Uint8Array(7)));
    expectDataError(() => decodePng(short, 'short.png'), /short\.png: PNG: the image data has 7 bytes, a 4×4 grey image needs 20/);
    const junk = encodePng(4, 4, 1, new Uint8Array(16), () => Uint8Array.from([1, 2, 3, 4, 5]));
    expectDataError(() => decodePng(junk, 'junk.png'), /junk\.png: PNG: corrupt image data/);
    const badFilter = encodePng(2, 1, 1, new Uint8Array(2), () => deflateSync(Uint8Array.from([9, 0, 0])));
    expectDataError(() => decodePng(badFilter, 'f.png'), /f\.png: PNG: row 0 has unknown filter type 9/);
  });

  it('survives random corruption of a valid file with a DataError', () => {
    const rng = createRng(4);
    const good = filteredPng(9, 9, 3, Uint8Array.from({ length: 243 }, () => Math.floor(rng.next() * 256)));
    for (let i = 0; i < 300; i++) {
      const b = Uint8Array.from(good).subarray(0, rng.next() < 0.3 ? Math.floor(rng.next() * good.length) : good.length);
      b[Math.floor(rng.next() * b.length)] ^= 1 + Math.floor(rng.next() * 255);
      try {
        decodePng(b, 'r.png');
      } catch (e) {
        assert.ok(isElsaError(e) && e.kind === 'DataError', `trial ${i}: ${String(e)}`);
      }
    }
  });
});

/** The CRC the IHDR chunk of `b` should have (bytes 12..29 are type + data). */
function ihdrCrc(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b.subarray(12, 29)) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('image files as model inputs', () => {
  it('scales like the data loader, converts colour to grey, lays alpha on black', () => {
    const grey = tmp.file('g.png');
    writeFileSync(grey, encodePng(2, 2, 1, Uint8Array.from([0, 51, 255, 102]), deflate));
    assert.deepEqual([...readSampleImages(grey, [2, 2, 1])[0].pixels].map((v) => +v.toFixed(4)), [0, 0.2, 1, 0.4]);
    const rgba = tmp.file('c.png');
    // pure red opaque, white half transparent, grey opaque, black
    writeFileSync(rgba, encodePng(2, 2, 4, Uint8Array.from([255, 0, 0, 255, 255, 255, 255, 128, 100, 100, 100, 255, 0, 0, 0, 255]), deflate));
    const got = readSampleImages(rgba, [2, 2, 1])[0].pixels;
    assert.deepEqual([...got].map((v) => +v.toFixed(3)), [0.299, +(128 / 255).toFixed(3), +(100 / 255).toFixed(3), 0]);
    // a grey picture for a colour model repeats the grey
    assert.deepEqual([...readSampleImages(grey, [2, 2, 3])[0].pixels.subarray(0, 6)].map((v) => +v.toFixed(2)), [0, 0, 0, 0.2, 0.2, 0.2]);
  });

  it('refuses a wrong size naming the file and both shapes', () => {
    const f = tmp.file('big.png');
    writeFileSync(f, encodePng(3, 2, 3, new Uint8Array(18), deflate));
    expectDataError(() => readSampleImages(f, [28, 28, 1]), /big\.png: the image is 2×3×3 \(H×W×C\), the model takes 28×28×1; resize it first$/);
    expectDataError(() => readSampleImages(tmp.file('none.png'), [28, 28, 1]), /none\.png: file not found/);
    const txt = tmp.file('notes.txt');
    writeFileSync(txt, 'hello');
    expectDataError(() => readSampleImages(txt, [28, 28, 1]), /notes\.txt: not an image predict can read/);
  });

  it('reads IDX image files and CSV rows (with their labels)', () => {
    const idx = tmp.file('two.idx3-ubyte');
    writeFileSync(idx, encodeIdxU8([2, 2, 2], Uint8Array.from([0, 255, 0, 255, 51, 51, 51, 51]), true));
    const images = readSampleImages(idx, [2, 2, 1]);
    assert.deepEqual(images.map((i) => i.id), ['two.idx3-ubyte #0', 'two.idx3-ubyte #1']);
    assert.deepEqual([...images[1].pixels].map((v) => +v.toFixed(2)), [0.2, 0.2, 0.2, 0.2]);
    expectDataError(() => readSampleImages(idx, [3, 3, 1]), /the image is 2×2×1 \(H×W×C\), the model takes 3×3×1/);
    const csv = tmp.file('rows.csv');
    writeFileSync(csv, 'label,p1,p2,p3,p4\n7,0,0,255,255\n3,51,0,0,0\n');
    const rows = readSampleImages(csv, [2, 2, 1]);
    assert.deepEqual(rows.map((r) => r.label), [7, 3]);
    expectDataError(() => readSampleImages(csv, [3, 3, 1]), /rows\.csv: rows have 4 pixel values, the model takes 9 \(3×3×1\)/);
  });
});
