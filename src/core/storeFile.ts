/**
 * A file on disk opened as a TensorStore (core/tensorStore.ts), for the CLI: a safetensors file (ELSA or not),
 * a sharded model's `*.safetensors.index.json`, or a TF.js `model.json`. The extension opens the same stores
 * over `workspace.fs` (src/extension/fileAccess.ts openStore). Header first; tensors when asked for.
 */
import path from 'node:path';
import { checkpointError } from './errors';
import { fileByteSource, readBoundedText } from './io/byteSource';
import { MAX_JSON_BYTES } from './io/limits';
import { readSafetensorsHeader } from './io/safetensors';
import { parseSparseMetadata } from './io/sparseFormat';
import { fileShardOpener } from './io/tfjsModel';
import { openSafetensorsStore, openShardedSafetensorsStore, openTfjsStore, type TensorStore } from './tensorStore';
import { isShardIndexFile } from '../protocol/runFolder';

/** Opens `file` as a store; close it when done. A sparse export is refused (its tensors are bitmaps and values). */
export async function openStoreFile(file: string): Promise<TensorStore> {
  const label = path.basename(file);
  if (isShardIndexFile(file)) {
    const { text, size } = await readBoundedText(file, label, 'index', MAX_JSON_BYTES);
    return openShardedSafetensorsStore(text, label, size, fileShardOpener(file));
  }
  if (file.toLowerCase().endsWith('.json')) {
    const { text, size } = await readBoundedText(file, label, 'model.json', MAX_JSON_BYTES);
    return openTfjsStore(text, label, size, fileShardOpener(file));
  }
  const source = fileByteSource(file, label);
  try {
    if (parseSparseMetadata(await readSafetensorsHeader(source))) {
      throw checkpointError(label, 'a sparse export (bitmaps and nonzero values); compare the checkpoint it came from, or a safetensors export');
    }
    return await openSafetensorsStore(source);
  } catch (e) {
    await source.close?.();
    throw e;
  }
}
