// The data API in one import: datasets, their lookup, file readers and mini-batches.
export { BatchIterator, epochPermutation, type Batch, type BatchOptions } from './batches';
export { inferImageShape, parseImageCsv, readImageCsv, type CsvSamples } from './csv';
export {
  DEBIAN_FASHION_MNIST_DIR,
  EMBEDDED_DATASET_NAME,
  embeddedDatasetDir,
  FASHION_MNIST_CLASSES,
  findPackageRoot,
  loadDataset,
  type Dataset,
  type DatasetLookup,
  type DatasetSpec,
  type Split,
} from './dataset';
export { encodeIdxU8, isGzip, parseIdx, readIdxFile, type IdxArray, type IdxValues } from './idx';
