#!/usr/bin/env node
// Writes data/fashion-mnist-small/: a class-balanced subset of Fashion-MNIST (600 train + 100 test images per
// class) taken from the Debian package dataset-fashion-mnist. Deterministic: for each class, the first N images
// of that class in the original file order, kept in that order; gzip level 9 with a zero timestamp.
//   node scripts/make-embedded-data.mjs [sourceDir] [outDir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = process.argv[3] ?? path.join(root, 'data', 'fashion-mnist-small');
const PER_CLASS = { train: 600, t10k: 100 };
const NUM_CLASSES = 10;

function readIdx(file) {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not a u8 IDX file`);
  const rank = bytes[3];
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(bytes.readUInt32BE(4 + 4 * i));
  const values = bytes.subarray(4 + 4 * rank);
  if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${file}: size does not match dimensions`);
  return { dims, values };
}

function encodeIdx(dims, values) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // Node's gzip writes a zero mtime, so the same input always gives the same bytes.
  return gzipSync(Buffer.concat([header, values]), { level: 9 });
}

mkdirSync(outDir, { recursive: true });
for (const [split, perClass] of Object.entries(PER_CLASS)) {
  const images = readIdx(path.join(sourceDir, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(sourceDir, `${split}-labels-idx1-ubyte.gz`));
  const pixels = images.dims.slice(1).reduce((a, b) => a * b, 1);
  const taken = new Array(NUM_CLASSES).fill(0);
  const chosen = [];
  for (let i = 0; i < labels.values.length; i++) {
    const label = labels.values[i];
    if (taken[label] < perClass) {
      taken[label]++;
      chosen.push(i);
    }
  }
  if (taken.some((t) => t !== perClass)) throw new Error(`${split}: not enough images per class (${taken.join(', ')})`);
  const outImages = Buffer.alloc(chosen.length * pixels);
  const outLabels = Buffer.alloc(chosen.length);
  chosen.forEach((src, dst) => {
    outImages.set(images.values.subarray(src * pixels, (src + 1) * pixels), dst * pixels);
    outLabels[dst] = labels.values[src];
  });
  const imagesFile = path.join(outDir, `${split}-images-idx3-ubyte.gz`);
  const labelsFile = path.join(outDir, `${split}-labels-idx1-ubyte.gz`);
  writeFileSync(imagesFile, encodeIdx([chosen.length, ...images.dims.slice(1)], outImages));
  writeFileSync(labelsFile, encodeIdx([chosen.length], outLabels));
  console.log(`${split}: ${chosen.length} images (${perClass} per class) -> ${path.relative(root, imagesFile)}, ${path.relative(root, labelsFile)}`);
}
