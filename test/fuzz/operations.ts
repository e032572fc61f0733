/**
 * Every operation the CLI and the extension's store perform on a file, run one after another on one
 * input; each ends `ok`, in a typed one-line ElsaError, or `untyped` (anything else: a bug).
 */
import { isElsaError } from '../../src/core/errors';
import { fileByteSource } from '../../src/core/io/byteSource';
import { readElsaCheckpoint, levelSparsity } from '../../src/core/io/elsaCheckpoint';
import { inspectFile } from '../../src/core/io/inspect';
import { formatInspectReport } from '../../src/core/io/inspectFormat';
import { reportJson } from '../../src/core/io/inspectFormat';
import { readSafetensorsHeader } from '../../src/core/io/safetensors';
import { fileShardOpener } from '../../src/core/io/tfjsModel';
import { heatmapFromStore, histogramFromStore, summarizeStore } from '../../src/core/inspectStore';
import { extractLevel, loadLevelModel } from '../../src/core/method/extract';
import { loadLayersModelFile } from '../../src/core/models/layersFile';
import { type TensorStore, openSafetensorsStore, openTfjsStore } from '../../src/core/tensorStore';

export type Outcome = 'ok' | 'typed' | 'untyped';
export interface OpResult { op: string; outcome: Outcome; line?: string }

async function attempt(op: string, fn: () => Promise<unknown>): Promise<OpResult> {
  try {
    await fn();
    return { op, outcome: 'ok' };
  } catch (e) {
    if (isElsaError(e) && !e.message.includes('\n')) return { op, outcome: 'typed', line: e.toLine().slice(0, 300) };
    const line = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { op, outcome: 'untyped', line: line.slice(0, 300) };
  }
}

async function storeViews(store: TensorStore): Promise<void> {
  try {
    await summarizeStore(store, { uri: 'fuzz', fileName: store.label });
    for (const l of store.layers.slice(0, 3)) {
      await heatmapFromStore(store, l.name, 4096);
      await histogramFromStore(store, l.name, 32);
    }
  } finally {
    await store.close();
  }
}

/** What `elsa inspect|extract|eval` and the checkpoint editor do with a safetensors file. */
export async function checkpointOperations(file: string): Promise<OpResult[]> {
  return [
    await attempt('inspect', async () => { const r = await inspectFile(file); formatInspectReport(r); reportJson(r); }),
    await attempt('header', () => readSafetensorsHeader(file)),
    await attempt('levels', async () => {
      const ck = await readElsaCheckpoint(file);
      try {
        for (const w of ck.sparseWeightNames) levelSparsity(await ck.readCodes(w), 1);
      } finally {
        await ck.close();
      }
    }),
    await attempt('extract', () => extractLevel(file, 1)),
    await attempt('eval-model', async () => { (await loadLevelModel(file, 1)).model.dispose(); }),
    await attempt('store', async () => {
      const source = fileByteSource(file);
      // As the extension's openStore does: a store that fails to open closes its file.
      const store = await openSafetensorsStore(source).catch(async (e: unknown) => { await source.close?.(); throw e; });
      await storeViews(store);
    }),
  ];
}

/** What `elsa inspect`, the trainer and the checkpoint editor do with a model.json. */
export async function modelJsonOperations(file: string): Promise<OpResult[]> {
  const { readFileSync, statSync } = await import('node:fs');
  return [
    await attempt('inspect', async () => { const r = await inspectFile(file); formatInspectReport(r); reportJson(r); }),
    await attempt('store', async () => storeViews(await openTfjsStore(readFileSync(file, 'utf8'), 'model.json', statSync(file).size, fileShardOpener(file)))),
    await attempt('train-load', async () => { (await loadLayersModelFile(file)).dispose(); }),
  ];
}
