import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isElsaError } from '../../../src/core/errors';
import { EMBEDDED_DATASET_NAME, embeddedDatasetDir, FASHION_MNIST_CLASSES, loadDataset, type DatasetLookup } from '../../../src/core/data/dataset';
import { encodeIdxU8 } from '../../../src/core/data/idx';

const root = mkdtempSync(path.join(tmpdir(), 'elsa-dataset-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A tiny IDX dataset whose every pixel equals `fill`, so a test can tell which folder was read. */
function writeIdxDataset(dir: string, fill: number, opts: { train?: number; test?: number; gzip?: boolean; side?: number } = {}): string {
  const { train = 5, test = 3, gzip = true, side = 2 } = opts;
  mkdirSync(dir, { recursive: true });
  const ext = gzip ? '.gz' : '';
  for (const [prefix, n] of [['train', train], ['t10k', test]] as const) {
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte${ext}`), encodeIdxU8([n, side, side], new Uint8Array(n * side * side).fill(fill), gzip));
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`), encodeIdxU8([n], Uint8Array.from({ length: n }, (_, i) => i % 3), gzip));
  }
  return dir;
}

const debianDir = writeIdxDataset(path.join(root, 'debian'), 51);
const embeddedDir = writeIdxDataset(path.join(root, 'embedded'), 102);
const explicitDir = writeIdxDataset(path.join(root, 'mine'), 255, { gzip: false });
const envDir = writeIdxDataset(path.join(root, 'env'), 204);
const lookup: DatasetLookup = { debianDir, embeddedDir, env: {} };

const firstPixel = (d: { train: { images: Float32Array } }) => d.train.images[0];
const f32 = (x: number) => Math.fround(x);

test('an explicit path beats ELSA_DATA, which beats the Debian folder, which beats the embedded subset', async () => {
  const all: DatasetLookup = { debianDir, embeddedDir, env: { ELSA_DATA: envDir } };
  assert.equal(firstPixel(await loadDataset({ path: 'mine' }, root, all)), 1);
  assert.equal(firstPixel(await loadDataset({}, root, all)), f32(204 / 255));
  const debian = await loadDataset({}, root, lookup);
  assert.equal(firstPixel(debian), f32(51 / 255));
  assert.equal(debian.name, 'fashion-mnist');
  assert.equal(debian.source, debianDir);
  assert.deepEqual(debian.classNames, FASHION_MNIST_CLASSES);
  const embedded = await loadDataset({}, root, { ...lookup, debianDir: path.join(root, 'nowhere') });
  assert.equal(firstPixel(embedded), f32(102 / 255));
  assert.equal(embedded.source, 'embedded');
  assert.equal(embedded.name, EMBEDDED_DATASET_NAME);
  // Asking for the small subset by name skips the Debian copy and ELSA_DATA.
  assert.equal(firstPixel(await loadDataset({ name: EMBEDDED_DATASET_NAME }, root, all)), f32(102 / 255));
});

test('an explicit IDX folder gives NHWC floats in [0,1], labels, shape and class count', async () => {
  const d = await loadDataset({ path: explicitDir }, '/', lookup);
  assert.equal(d.name, 'mine');
  assert.equal(d.source, explicitDir);
  assert.deepEqual(d.shape, [2, 2, 1]);
  assert.equal(d.train.count, 5);
  assert.equal(d.test.count, 3);
  assert.equal(d.train.images.length, 5 * 4);
  assert.deepEqual(Array.from(d.train.labels), [0, 1, 2, 0, 1]);
  assert.equal(d.numClasses, 3);
  assert.equal(d.classNames, undefined);
});

test('limitTrain and limitTest keep the first samples', async () => {
  const d = await loadDataset({ path: explicitDir, limitTrain: 2, limitTest: 10 }, '/', lookup);
  assert.equal(d.train.count, 2);
  assert.equal(d.train.images.length, 8);
  assert.deepEqual(Array.from(d.train.labels), [0, 1]);
  assert.equal(d.test.count, 3);
  await assert.rejects(loadDataset({ path: explicitDir, limitTrain: 0 }, '/', lookup), (e: unknown) => isElsaError(e) && /limitTrain/.test(e.message));
});

test('CSV: a folder with train.csv/test.csv, and a single file split 6:1', async () => {
  const dir = path.join(root, 'csv');
  mkdirSync(dir);
  const row = (label: number, v: number) => `${label},${[v, v, v, v].join(',')}`;
  writeFileSync(path.join(dir, 'train.csv'), ['label,a,b,c,d', row(1, 255), row(0, 0), row(2, 51)].join('\n'));
  writeFileSync(path.join(dir, 'test.csv'), [row(4, 255)].join('\n'));
  const d = await loadDataset({ path: dir }, '/', lookup);
  assert.deepEqual(d.shape, [2, 2, 1]);
  assert.equal(d.train.count, 3);
  assert.equal(d.test.count, 1);
  assert.equal(d.numClasses, 5);
  assert.deepEqual(Array.from(d.train.images.subarray(8)), [0.2, 0.2, 0.2, 0.2].map((x) => Math.fround(x)));

  const single = path.join(root, 'all.csv');
  writeFileSync(single, Array.from({ length: 14 }, (_, i) => row(i % 2, i)).join('\n'));
  const s = await loadDataset({ path: single }, '/', lookup);
  assert.equal(s.name, 'all');
  assert.equal(s.train.count, 12);
  assert.equal(s.test.count, 2);
  assert.equal(s.test.images[0], f32(12 / 255));
});

test('broken datasets are DataErrors naming the file', async () => {
  const mismatch = writeIdxDataset(path.join(root, 'mismatch'), 1);
  writeFileSync(path.join(mismatch, 'train-labels-idx1-ubyte.gz'), encodeIdxU8([4], new Uint8Array(4), true));
  await assert.rejects(loadDataset({ path: mismatch }, '/', lookup), (e: unknown) => isElsaError(e) && e.kind === 'DataError' && e.file === path.join(mismatch, 'train-labels-idx1-ubyte.gz') && /4 labels for 5 images/.test(e.problem));

  const noTest = writeIdxDataset(path.join(root, 'notest'), 1);
  rmSync(path.join(noTest, 't10k-images-idx3-ubyte.gz'));
  await assert.rejects(loadDataset({ path: noTest }, '/', lookup), (e: unknown) => isElsaError(e) && e.file === noTest && /missing test files/.test(e.problem));

  const shapes = writeIdxDataset(path.join(root, 'shapes'), 1);
  writeFileSync(path.join(shapes, 't10k-images-idx3-ubyte.gz'), encodeIdxU8([3, 3, 3], new Uint8Array(27), true));
  await assert.rejects(loadDataset({ path: shapes }, '/', lookup), (e: unknown) => isElsaError(e) && /2x2x1 but test images are 3x3x1/.test(e.problem));

  const empty = path.join(root, 'empty');
  mkdirSync(empty);
  await assert.rejects(loadDataset({ path: empty }, '/', lookup), (e: unknown) => isElsaError(e) && e.file === empty && /no dataset here/.test(e.problem));
  await assert.rejects(loadDataset({ path: 'does-not-exist' }, root, lookup), (e: unknown) => isElsaError(e) && /dataset path not found/.test(e.problem));
  await assert.rejects(loadDataset({ name: 'cifar-10' }, root, lookup), (e: unknown) => isElsaError(e) && /unknown dataset name "cifar-10"/.test(e.problem));
  await assert.rejects(loadDataset({}, root, { debianDir: path.join(root, 'x'), embeddedDir: path.join(root, 'y'), env: {} }), (e: unknown) => isElsaError(e) && /no dataset found/.test(e.problem));
  await assert.rejects(loadDataset({}, root, { ...lookup, env: { ELSA_DATA: path.join(root, 'gone') } }), (e: unknown) => isElsaError(e) && /ELSA_DATA/.test(e.problem));
});

test('the embedded subset in the repository is found from the sources and is class-balanced Fashion-MNIST', async () => {
  const dir = embeddedDatasetDir();
  assert.ok(dir && dir.endsWith(path.join('data', EMBEDDED_DATASET_NAME)), String(dir));
  const d = await loadDataset({ name: EMBEDDED_DATASET_NAME });
  assert.equal(d.source, 'embedded');
  assert.deepEqual(d.shape, [28, 28, 1]);
  assert.equal(d.train.count, 6000);
  assert.equal(d.test.count, 1000);
  assert.equal(d.numClasses, 10);
  for (const [split, perClass] of [[d.train, 600], [d.test, 100]] as const) {
    const counts = new Array(10).fill(0);
    for (const l of split.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(perClass));
    let min = Infinity;
    let max = -Infinity;
    for (const v of split.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  }
});

test('a split with no images (an IDX header that says 0) is one DataError naming the folder, not NaN metrics', async () => {
  for (const [split, opts] of [['test', { test: 0 }], ['training', { train: 0 }]] as const) {
    const dir = writeIdxDataset(path.join(root, `empty-${split}`), 9, opts);
    await assert.rejects(
      loadDataset({ path: dir }, root, lookup),
      (e: unknown) => isElsaError(e) && e.kind === 'DataError' && e.file === dir && e.problem === `the ${split} split has no images`,
    );
  }
});
