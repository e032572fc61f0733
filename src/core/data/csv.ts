/**
 * Image classification data as CSV: one sample per line, the label first, then the pixels (0..255), as in
 * the Kaggle Fashion-MNIST/MNIST CSVs. A header row (any non-numeric first field) is skipped. Errors name
 * file:line so a user can go straight to the bad row.
 */
import { dataError } from '../errors';
import { readRegularFileSync } from '../io/regularFile';

export interface CsvSamples {
  /** Raw pixels, row-major, one row of `pixelsPerSample` values per sample. */
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
  pixelsPerSample: number;
}

function isHeaderLine(firstField: string): boolean {
  return firstField.trim() !== '' && !/^[+-]?\d/.test(firstField.trim());
}

/**
 * Most classes a dataset may have (labels 0..MAX_CLASSES − 1): the model's output layer and every one-hot batch
 * grow with the largest label, so one stray number in a file must not size them (IDX labels are bytes: ≤ 256).
 */
export const MAX_CLASSES = 10_000;

/** A field with its surrounding double quotes removed, as spreadsheet exports write numbers ("3","0",…). */
function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1) : field;
}

/** Parses CSV text; `file` names the source in errors. */
export function parseImageCsv(text: string, file: string): CsvSamples {
  const lines = text.split(/\r?\n/);
  let pixelsPerSample = -1;
  const labels: number[] = [];
  const rows: Uint8Array[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = line.split(',').map(unquote);
    const lineNo = i + 1;
    if (rows.length === 0 && pixelsPerSample < 0 && isHeaderLine(fields[0])) {
      pixelsPerSample = fields.length - 1;
      continue;
    }
    if (fields.length < 2) throw dataError(`${file}:${lineNo}`, 'expected a label followed by pixel values');
    if (pixelsPerSample < 0) pixelsPerSample = fields.length - 1;
    if (fields.length - 1 !== pixelsPerSample) {
      throw dataError(`${file}:${lineNo}`, `${fields.length - 1} pixel values, expected ${pixelsPerSample} like the first row`);
    }
    const label = Number(fields[0]);
    if (!Number.isInteger(label) || label < 0 || fields[0].trim() === '') {
      throw dataError(`${file}:${lineNo}`, `label ${JSON.stringify(fields[0])} is not a non-negative integer`);
    }
    if (label >= MAX_CLASSES) {
      throw dataError(`${file}:${lineNo}`, `label ${fields[0].trim()} is too large: at most ${MAX_CLASSES} classes (labels 0..${MAX_CLASSES - 1})`);
    }
    const row = new Uint8Array(pixelsPerSample);
    for (let j = 0; j < pixelsPerSample; j++) {
      const text = fields[j + 1];
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 255) {
        throw dataError(`${file}:${lineNo}`, `pixel ${j + 1} is ${JSON.stringify(text)}, expected a number in 0..255`);
      }
      row[j] = Math.round(v);
    }
    labels.push(label);
    rows.push(row);
  }
  if (rows.length === 0) throw dataError(file, 'no samples (empty file or header only)');
  const pixels = new Uint8Array(rows.length * pixelsPerSample);
  rows.forEach((row, i) => pixels.set(row, i * pixelsPerSample));
  return { pixels, labels: Int32Array.from(labels), count: rows.length, pixelsPerSample };
}

/** Most bytes of one CSV file: it is parsed as one string, and V8's strings end a little past 2^29 characters. */
export const MAX_CSV_BYTES = 500 * 2 ** 20;

export function readImageCsv(file: string): CsvSamples {
  const text = readRegularFileSync(file, { maxBytes: MAX_CSV_BYTES, what: 'a CSV dataset', fail: (problem) => dataError(file, problem) }).toString('utf8');
  return parseImageCsv(text, file);
}

/** Square single-channel images (784 → 28×28×1); anything else is a flat H=1 row of pixels. */
export function inferImageShape(pixelsPerSample: number): [number, number, number] {
  const side = Math.round(Math.sqrt(pixelsPerSample));
  return side * side === pixelsPerSample ? [side, side, 1] : [1, pixelsPerSample, 1];
}
