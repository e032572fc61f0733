/**
 * A small, bounded PNG decoder for the images `elsa predict` takes: 8-bit grey, grey + alpha, RGB and RGBA,
 * non-interlaced (what image editors and `PIL.Image.save` write for a 28×28 picture). Chunks are checked
 * (CRC, order, sizes), the image data is inflated with node:zlib under an output cap of exactly the size the
 * header announces, so a hostile file can cost neither unbounded memory nor time. Anything else — palettes,
 * 16-bit samples, Adam7 interlacing, a truncated or corrupt file — is a one-line DataError naming the file.
 */
import { inflateSync } from 'node:zlib';
import { dataError } from '../errors';

export interface DecodedPng {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Row-major samples, `channels` per pixel, 0..255. */
  pixels: Uint8Array;
}

/** Largest image accepted (pixels): far above any classifier input here, far below a memory problem. */
export const PNG_MAX_PIXELS = 4096 * 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, { channels: 1 | 2 | 3 | 4; name: string }> = {
  0: { channels: 1, name: 'grey' },
  2: { channels: 3, name: 'RGB' },
  4: { channels: 2, name: 'grey + alpha' },
  6: { channels: 4, name: 'RGBA' },
};

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Decodes PNG bytes; `file` names the source in errors. */
export function decodePng(bytes: Uint8Array, file: string): DecodedPng {
  const fail = (problem: string) => dataError(file, `PNG: ${problem}`);
  if (!isPng(bytes)) throw fail('not a PNG file (no PNG signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: { width: number; height: number; colorType: number } | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) throw fail(`truncated: a chunk header at byte ${at} runs past the end (${bytes.length} bytes)`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw fail(`truncated: chunk ${JSON.stringify(type)} of ${length} bytes runs past the end`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) throw fail(`chunk ${JSON.stringify(type)} fails its CRC check (corrupt file)`);
    at += 12 + length;
    if (!header && type !== 'IHDR') throw fail(`the first chunk is ${JSON.stringify(type)}, expected IHDR`);
    if (type === 'IHDR') {
      if (header) throw fail('two IHDR chunks');
      if (length !== 13) throw fail(`IHDR has ${length} bytes, expected 13`);
      const dv = new DataView(data.buffer, data.byteOffset, 13);
      const width = dv.getUint32(0);
      const height = dv.getUint32(4);
      const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13);
      if (width === 0 || height === 0) throw fail(`empty image (${width}×${height})`);
      if (width * height > PNG_MAX_PIXELS) throw fail(`${width}×${height} is larger than the ${PNG_MAX_PIXELS} pixels accepted`);
      if (!CHANNELS[colorType]) throw fail(colorType === 3 ? 'palette images are not supported (save as 8-bit grey, RGB or RGBA)' : `unknown colour type ${colorType}`);
      if (depth !== 8) throw fail(`${depth}-bit samples are not supported (8-bit grey, RGB or RGBA)`);
      if (compression !== 0 || filter !== 0) throw fail(`unknown compression ${compression} / filter method ${filter}`);
      if (interlace !== 0) throw fail('interlaced (Adam7) images are not supported; save it non-interlaced');
      header = { width, height, colorType };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    } else if (type === 'PLTE' || /^[a-z]/.test(type)) {
      // PLTE in a truecolour image is a hint; lower-case chunks are ancillary: both are safe to skip.
    } else {
      throw fail(`unknown critical chunk ${JSON.stringify(type)}`);
    }
  }
  if (!header) throw fail('no IHDR chunk');
  if (idat.length === 0) throw fail('no image data (IDAT)');
  const { width, height, colorType } = header;
  const channels = CHANNELS[colorType].channels;
  const stride = width * channels;
  const expected = height * (stride + 1);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ERR_BUFFER_TOO_LARGE' ? `the image data inflates to more than the ${expected} bytes a ${width}×${height} ${CHANNELS[colorType].name} image has` : `corrupt image data (${(e as Error).message})`);
  }
  if (raw.length !== expected) throw fail(`the image data has ${raw.length} bytes, a ${width}×${height} ${CHANNELS[colorType].name} image needs ${expected}`);
  return { width, height, channels, pixels: unfilter(raw, height, stride, channels, fail) };
}

/** Undoes the per-row filters (PNG spec §9): None, Sub, Up, Average, Paeth. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number, fail: (p: string) => Error): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp] : 0;
      const b = y > 0 ? out[prev + i] : 0;
      const c = y > 0 && i >= bpp ? out[prev + i - bpp] : 0;
      let p: number;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw fail(`row ${y} has unknown filter type ${filter}`);
      }
      out[row + i] = (raw[src + i] + p) & 0xff;
    }
  }
  return out;
}

/** An 8-bit, non-interlaced PNG of the given samples (filter None): for tests and fixtures. */
export function encodePng(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: Uint8Array, deflate: (b: Uint8Array) => Uint8Array): Uint8Array {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const raw = new Uint8Array(height * (width * channels + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width * channels, (y + 1) * width * channels), y * (width * channels + 1) + 1);
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  return Uint8Array.from([...SIGNATURE, ...chunk('IHDR', ihdr), ...chunk('IDAT', deflate(raw)), ...chunk('IEND', new Uint8Array(0))]);
}
