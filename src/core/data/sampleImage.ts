/**
 * Images a user brings to `elsa predict`: a PNG, an IDX image file or a CSV of samples (label, then pixels),
 * turned into model inputs exactly as the training data loader does (dataset.ts: pixels / 255, NHWC). No
 * resizing: the picture must have the model's height and width, else a one-line error names the file and both
 * shapes. Only the channels may differ — colour becomes grey (ITU-R BT.601 luma), grey is repeated for a colour
 * model, and transparency is laid on black, the background of the Fashion-MNIST pictures the models learn.
 */
import path from 'node:path';
import { MAX_SAMPLE_INPUTS } from '../../protocol/sample';
import { dataError } from '../errors';
import { readRegularFileSync } from '../io/regularFile';
import { parseImageCsv } from './csv';
import { isGzip, parseIdx } from './idx';
import { decodePng, isPng } from './png';

export interface SampleImage {
  /** Where it came from, for tables: `shoe.png`, `digits.csv #3`. */
  id: string;
  /** One model input, NHWC, scaled to 0..1. */
  pixels: Float32Array;
  /** The label, when the file has one (CSV). */
  label?: number;
}

/** Most images one file may hand over (an IDX/CSV with more is a dataset: use --data and --sample). */
export const MAX_FILE_SAMPLES = MAX_SAMPLE_INPUTS;
/** Largest file read (bytes): a 28×28 picture is a few hundred. */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;

const shapeText = (s: readonly number[]) => s.join('×');

function readBounded(file: string): Uint8Array {
  return readRegularFileSync(file, { maxBytes: MAX_IMAGE_FILE_BYTES, what: 'an image file', fail: (problem) => dataError(file, problem) });
}

/** Samples of `channels` each → the model's channel count, scaled to 0..1. */
function toModelInput(samples: Uint8Array, pixels: number, channels: number, want: number): Float32Array {
  const out = new Float32Array(pixels * want);
  if (channels === want) {
    for (let i = 0; i < out.length; i++) out[i] = samples[i] / 255;
    return out;
  }
  const alpha = channels === 2 || channels === 4;
  const colour = channels >= 3;
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    const grey = colour ? 0.299 * samples[s] + 0.587 * samples[s + 1] + 0.114 * samples[s + 2] : samples[s];
    const a = alpha ? samples[s + channels - 1] / 255 : 1;
    if (want === 1) out[p] = (grey * a) / 255;
    else for (let c = 0; c < 3; c++) out[p * 3 + c] = ((colour ? samples[s + c] : grey) * a) / 255;
  }
  return out;
}

/**
 * The model inputs in `file` for a model taking `shape` = [H, W, C]. PNG: one image; IDX (u8, [N, H, W] or
 * [N, H, W, C], gzip or raw): every image; CSV: every row, with its label.
 */
export function readSampleImages(file: string, shape: readonly number[]): SampleImage[] {
  const [h, w, c] = shape.length === 3 ? shape : [1, shape.reduce((a, b) => a * b, 1), 1];
  const name = path.basename(file);
  const bytes = readBounded(file);
  const mismatch = (got: readonly number[]) => dataError(file, `the image is ${shapeText(got)} (H×W×C), the model takes ${shapeText([h, w, c])}; resize it first`);
  const convert = (samples: Uint8Array, channels: number, got: number[]) => {
    // Channels convert only between grey (± alpha) and colour (± alpha) pictures and a 1- or 3-channel model.
    if (channels !== c && ((c !== 1 && c !== 3) || channels > 4)) throw mismatch(got);
    return toModelInput(samples, h * w, channels, c);
  };
  if (isPng(bytes)) {
    const png = decodePng(bytes, file);
    const got = [png.height, png.width, png.channels];
    if (png.height !== h || png.width !== w) throw mismatch(got);
    return [{ id: name, pixels: convert(png.pixels, png.channels, got) }];
  }
  const ext = name.toLowerCase();
  if (isGzip(bytes) || (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08)) {
    const idx = parseIdx(bytes, file);
    if (idx.typeCode !== 0x08) throw dataError(file, 'IDX images must be unsigned bytes (type 0x08)');
    const dims = idx.dims.length === 2 ? [1, ...idx.dims, 1] : idx.dims.length === 3 ? [...idx.dims, 1] : idx.dims;
    if (dims.length !== 4) throw dataError(file, `IDX images must be [N, H, W] or [N, H, W, C], got [${idx.dims.join(', ')}]`);
    const [n, ih, iw, ic] = dims;
    if (ih !== h || iw !== w) throw mismatch([ih, iw, ic]);
    if (n === 0) throw dataError(file, 'holds no images (the IDX header says 0)');
    if (n > MAX_FILE_SAMPLES) throw dataError(file, `holds ${n} images, more than the ${MAX_FILE_SAMPLES} one file may give; use it as a dataset (--data) with --sample`);
    const per = ih * iw * ic;
    const values = idx.values as Uint8Array;
    return Array.from({ length: n }, (_, i) => ({ id: n === 1 ? name : `${name} #${i}`, pixels: convert(values.subarray(i * per, (i + 1) * per), ic, [ih, iw, ic]) }));
  }
  if (ext.endsWith('.csv')) {
    const csv = parseImageCsv(new TextDecoder().decode(bytes), file);
    if (csv.pixelsPerSample !== h * w * c) throw dataError(file, `rows have ${csv.pixelsPerSample} pixel values, the model takes ${h * w * c} (${shapeText([h, w, c])})`);
    if (csv.count > MAX_FILE_SAMPLES) throw dataError(file, `holds ${csv.count} samples, more than the ${MAX_FILE_SAMPLES} one file may give; use it as a dataset (--data) with --sample`);
    const per = csv.pixelsPerSample;
    return Array.from({ length: csv.count }, (_, i) => ({
      id: csv.count === 1 ? name : `${name} #${i}`,
      pixels: Float32Array.from(csv.pixels.subarray(i * per, (i + 1) * per), (v) => v / 255),
      label: csv.labels[i],
    }));
  }
  throw dataError(file, 'not an image predict can read (PNG, IDX image file, or CSV of label + pixels)');
}
