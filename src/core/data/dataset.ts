/**
 * Datasets: where they are found and how they become float images in [0, 1].
 *
 * Lookup, first match wins: an explicit path (IDX folder, CSV folder or one CSV file) → `ELSA_DATA` →
 * the Debian package location (`dataset-fashion-mnist`) → the small subset embedded in this repository,
 * which is found from the sources (tsx) and from the bundles in dist/ alike.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { dataError } from '../errors';
import { inferImageShape, readImageCsv, type CsvSamples } from './csv';
import { readIdxFile, type IdxArray } from './idx';

export interface Split {
  /** N*H*W*C, row-major (NHWC), scaled to 0..1. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface Dataset {
  name: string;
  /** The file or folder it was read from, or 'embedded'. */
  source: string;
  train: Split;
  test: Split;
  /** [height, width, channels] of one image. */
  shape: [number, number, number];
  numClasses: number;
  classNames?: string[];
}

export interface DatasetSpec {
  /** A folder of IDX files, a folder with train.csv/test.csv, or one CSV file; relative to baseDir. */
  path?: string;
  /** 'fashion-mnist' (default: Debian copy, else embedded) or 'fashion-mnist-small' (embedded only). */
  name?: string;
  /** Keep only the first N training samples. */
  limitTrain?: number;
  /** Keep only the first N test samples. */
  limitTest?: number;
}

/** Where to look besides an explicit path; tests point these at temporary folders. */
export interface DatasetLookup {
  debianDir?: string;
  embeddedDir?: string;
  env?: Record<string, string | undefined>;
}

export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const EMBEDDED_DATASET_NAME = 'fashion-mnist-small';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const PACKAGE_NAME = 'elsa-studio';

/** File names of an IDX dataset folder, gzip or raw; both the dash and the dot spelling of MNIST mirrors. */
const IDX_FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

/** A single CSV file is split: its last seventh becomes the test set (Fashion-MNIST's 60k/10k ratio). */
const SINGLE_CSV_TEST_FRACTION = 1 / 7;

function isPackageRoot(dir: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The elsa-studio package root, walking up from the running code: `__dirname` exists in the cjs bundles
 * (dist/) and under tsx; the script path and the working directory are fallbacks.
 */
export function findPackageRoot(): string | undefined {
  const starts: string[] = [];
  if (typeof __dirname === 'string') starts.push(__dirname);
  if (process.argv[1]) starts.push(path.dirname(path.resolve(process.argv[1])));
  starts.push(process.cwd());
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      if (isPackageRoot(dir)) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

export function embeddedDatasetDir(): string | undefined {
  const root = findPackageRoot();
  return root ? path.join(root, 'data', EMBEDDED_DATASET_NAME) : undefined;
}

function findIdxFile(dir: string, names: string[]): string | undefined {
  for (const name of names) {
    for (const candidate of [`${name}.gz`, name]) {
      const file = path.join(dir, candidate);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

function isIdxFolder(dir: string): boolean {
  return findIdxFile(dir, IDX_FILES.trainImages) !== undefined;
}

function checkLimit(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
    throw dataError(undefined, `${what} must be a positive integer, got ${value}`);
  }
}

function imageShapeOf(images: IdxArray, file: string): [number, number, number] {
  if (images.typeCode !== 0x08) throw dataError(file, 'images must be unsigned bytes (IDX type 0x08, pixels 0..255)');
  const [, h, w, c] = images.dims;
  if (images.dims.length === 3) return [h, w, 1];
  if (images.dims.length === 4) return [h, w, c];
  throw dataError(file, `images must have 3 or 4 dimensions (N, H, W[, C]), got [${images.dims.join(', ')}]`);
}

function labelsOf(labels: IdxArray, file: string): Int32Array {
  if (labels.dims.length !== 1) throw dataError(file, `labels must have 1 dimension, got [${labels.dims.join(', ')}]`);
  if (labels.values instanceof Float32Array || labels.values instanceof Float64Array) throw dataError(file, 'labels must be integers');
  const out = Int32Array.from(labels.values);
  const negative = out.findIndex((v) => v < 0);
  if (negative >= 0) throw dataError(file, `label ${out[negative]} at index ${negative} is negative`);
  return out;
}

function toSplit(pixels: Uint8Array, labels: Int32Array, pixelsPerSample: number, limit: number | undefined): Split {
  const count = Math.min(labels.length, limit ?? labels.length);
  const images = new Float32Array(count * pixelsPerSample);
  for (let i = 0; i < images.length; i++) images[i] = pixels[i] / 255;
  return { images, labels: labels.slice(0, count), count };
}

function readIdxSplit(dir: string, which: 'train' | 'test', limit: number | undefined): { split: Split; shape: [number, number, number] } {
  const imagesFile = findIdxFile(dir, which === 'train' ? IDX_FILES.trainImages : IDX_FILES.testImages);
  const labelsFile = findIdxFile(dir, which === 'train' ? IDX_FILES.trainLabels : IDX_FILES.testLabels);
  const expected = which === 'train' ? 'train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]' : 't10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]';
  if (!imagesFile || !labelsFile) throw dataError(dir, `missing ${which} files: expected ${expected}`);
  const images = readIdxFile(imagesFile);
  const shape = imageShapeOf(images, imagesFile);
  const labels = labelsOf(readIdxFile(labelsFile), labelsFile);
  if (images.dims[0] !== labels.length) {
    throw dataError(labelsFile, `${labels.length} labels for ${images.dims[0]} images in ${path.basename(imagesFile)}`);
  }
  return { split: toSplit(images.values as Uint8Array, labels, shape[0] * shape[1] * shape[2], limit), shape };
}

function csvSplit(samples: CsvSamples, from: number, to: number, limit: number | undefined): Split {
  const n = samples.pixelsPerSample;
  return toSplit(samples.pixels.subarray(from * n, to * n), samples.labels.subarray(from, to), n, limit);
}

function findCsvPair(dir: string): { train: string; test: string } | undefined {
  const csvs = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv'));
  const pick = (word: string): string | undefined => {
    if (csvs.includes(`${word}.csv`)) return path.join(dir, `${word}.csv`);
    const matches = csvs.filter((f) => f.toLowerCase().includes(word));
    return matches.length === 1 ? path.join(dir, matches[0]) : undefined;
  };
  const train = pick('train');
  const test = pick('test');
  return train && test ? { train, test } : undefined;
}

function numClassesOf(train: Split, test: Split): number {
  let max = -1;
  for (const labels of [train.labels, test.labels]) for (const v of labels) if (v > max) max = v;
  return max + 1;
}

interface Located {
  location: string;
  origin: 'path' | 'env' | 'debian' | 'embedded';
}

function locate(spec: DatasetSpec, baseDir: string, lookup: DatasetLookup): Located {
  if (spec.path) {
    const location = path.resolve(baseDir, spec.path);
    if (!existsSync(location)) throw dataError(location, 'dataset path not found');
    return { location, origin: 'path' };
  }
  const name = spec.name ?? 'fashion-mnist';
  if (name !== 'fashion-mnist' && name !== EMBEDDED_DATASET_NAME) {
    throw dataError(undefined, `unknown dataset name "${name}" (known: fashion-mnist, ${EMBEDDED_DATASET_NAME}); give a path to your own data`);
  }
  if (name === 'fashion-mnist') {
    const env = (lookup.env ?? process.env).ELSA_DATA;
    if (env) {
      const location = path.resolve(baseDir, env);
      if (!existsSync(location)) throw dataError(location, 'ELSA_DATA points to a path that does not exist');
      return { location, origin: 'env' };
    }
    const debian = lookup.debianDir ?? DEBIAN_FASHION_MNIST_DIR;
    if (existsSync(debian) && isIdxFolder(debian)) return { location: debian, origin: 'debian' };
  }
  const embedded = lookup.embeddedDir ?? embeddedDatasetDir();
  if (embedded && existsSync(embedded) && isIdxFolder(embedded)) return { location: embedded, origin: 'embedded' };
  if (name === EMBEDDED_DATASET_NAME) throw dataError(embedded, `embedded dataset not found (data/${EMBEDDED_DATASET_NAME} of the elsa-studio package)`);
  throw dataError(embedded, `no dataset found: install the Debian package dataset-fashion-mnist (${lookup.debianDir ?? DEBIAN_FASHION_MNIST_DIR}) or give a path`);
}

function loadFrom(located: Located, spec: DatasetSpec): Omit<Dataset, 'name' | 'source' | 'classNames'> {
  const { location } = located;
  if (statSync(location).isDirectory()) {
    if (isIdxFolder(location)) {
      const train = readIdxSplit(location, 'train', spec.limitTrain);
      const test = readIdxSplit(location, 'test', spec.limitTest);
      if (train.shape.join() !== test.shape.join()) {
        throw dataError(location, `train images are ${train.shape.join('x')} but test images are ${test.shape.join('x')}`);
      }
      return { train: train.split, test: test.split, shape: train.shape, numClasses: numClassesOf(train.split, test.split) };
    }
    const pair = findCsvPair(location);
    if (!pair) throw dataError(location, 'no dataset here: expected IDX files (train-images-idx3-ubyte[.gz], ...) or train.csv and test.csv');
    const trainCsv = readImageCsv(pair.train);
    const testCsv = readImageCsv(pair.test);
    if (trainCsv.pixelsPerSample !== testCsv.pixelsPerSample) {
      throw dataError(pair.test, `${testCsv.pixelsPerSample} pixels per row, but ${path.basename(pair.train)} has ${trainCsv.pixelsPerSample}`);
    }
    const train = csvSplit(trainCsv, 0, trainCsv.count, spec.limitTrain);
    const test = csvSplit(testCsv, 0, testCsv.count, spec.limitTest);
    return { train, test, shape: inferImageShape(trainCsv.pixelsPerSample), numClasses: numClassesOf(train, test) };
  }
  if (!location.toLowerCase().endsWith('.csv')) throw dataError(location, 'expected a folder of IDX or CSV files, or a .csv file');
  const samples = readImageCsv(location);
  const testCount = Math.floor(samples.count * SINGLE_CSV_TEST_FRACTION);
  if (testCount < 1) throw dataError(location, `${samples.count} samples are too few to split off a test set (need at least 7)`);
  const trainCount = samples.count - testCount;
  const train = csvSplit(samples, 0, trainCount, spec.limitTrain);
  const test = csvSplit(samples, trainCount, samples.count, spec.limitTest);
  return { train, test, shape: inferImageShape(samples.pixelsPerSample), numClasses: numClassesOf(train, test) };
}

export async function loadDataset(spec: DatasetSpec, baseDir: string = process.cwd(), lookup: DatasetLookup = {}): Promise<Dataset> {
  checkLimit(spec.limitTrain, 'limitTrain');
  checkLimit(spec.limitTest, 'limitTest');
  const located = locate(spec, baseDir, lookup);
  const loaded = loadFrom(located, spec);
  // An IDX file may declare 0 images: every accuracy would be 0/0 (NaN) and training would do nothing.
  if (loaded.train.count === 0) throw dataError(located.location, 'the training split has no images');
  if (loaded.test.count === 0) throw dataError(located.location, 'the test split has no images');
  const isFashionMnist = located.origin === 'debian' || located.origin === 'embedded';
  const name =
    located.origin === 'embedded' ? EMBEDDED_DATASET_NAME : located.origin === 'debian' ? 'fashion-mnist' : path.basename(located.location).replace(/\.csv$/i, '');
  const dataset: Dataset = { name, source: located.origin === 'embedded' ? 'embedded' : located.location, ...loaded };
  if (isFashionMnist) {
    dataset.numClasses = FASHION_MNIST_CLASSES.length;
    dataset.classNames = [...FASHION_MNIST_CLASSES];
  }
  return dataset;
}
