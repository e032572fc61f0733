/**
 * The dashboard's three requests answered from a TensorStore: the summary, one layer's mask heatmap and one
 * layer's |w| histogram per level. Reads are bounded: codes are one byte per weight (or less), and zero
 * shares of foreign files are measured only within a byte budget.
 */
import { checkpointError, errorLine } from './errors';
import { shortName } from './io/limits';
import { nmPatternOf } from './io/nmPattern';
import { DTYPE_SIZE } from './io/dtype';
import { STATS_CHUNK_BYTES } from './io/tensorStats';

const DTYPE_BYTES: Readonly<Record<string, number>> = DTYPE_SIZE;
import {
  buildSummary, elementCountOf, heatmapGrid, heatmapOf, type LayerInput, MagnitudeHistogram, magnitudeHistogram, matrixView, maxAbs, zeroPatternCodes, zeroShare,
} from './inspectViews';
import type { TensorStore } from './tensorStore';
import type { CheckpointSummary, HeatmapData, HistogramData } from '../protocol/webview';
import { CellAccumulator, cellStarts, cellValues } from './heatmapGrid';
import type { RunReport } from '../protocol/report';
import { levelCountOf } from '../protocol/levels';

/** Foreign files: measure zero shares until this many weight bytes have been read, then stop. */
export const SUMMARY_READ_BUDGET_BYTES = 256 * 1024 * 1024;
/**
 * Foreign safetensors files: per tensor at most this many bytes are streamed (evenly spaced 4 MiB chunks beyond,
 * as `elsa inspect` samples; less when the budget must stretch over many layers), so every layer of a
 * multi-gigabyte model gets a zero share and N:M within SUMMARY_READ_BUDGET_BYTES (64 large layers at least).
 */
export const SUMMARY_TENSOR_BYTES = 16 * 1024 * 1024;
/** ELSA files: read level codes of at most this many weights; beyond it, use the sparsity the metadata records. */
export const SUMMARY_CODE_BUDGET = 256 * 1024 * 1024;

export interface SummaryContext {
  uri: string;
  fileName: string;
  report?: RunReport;
  engine?: string;
}

export async function summarizeStore(store: TensorStore, ctx: SummaryContext): Promise<CheckpointSummary> {
  const layers: LayerInput[] = [];
  const unreadable: string[] = [];
  let budget = SUMMARY_READ_BUDGET_BYTES;
  let codeBudget = SUMMARY_CODE_BUDGET;
  for (const [i, l] of store.layers.entries()) {
    const input: LayerInput = { name: l.name, shape: l.shape };
    try {
      if (store.meta && store.readCodes) {
        const count = elementCountOf(l.shape);
        const recorded = store.meta.levels.map((lv) => lv.layerSparsity?.[l.name]);
        const complete = recorded.length === levelCountOf(store.meta.targets.length) && recorded.every((v) => v !== undefined);
        if (count > codeBudget && complete) input.recordedLevelSparsity = recorded as number[];
        else {
          codeBudget -= count;
          input.codes = await store.readCodes(l.name);
        }
      } else if (store.streamStats) {
        // Bounded memory (one 4 MiB chunk at a time); sampled tensors are flagged as `elsa inspect` flags them.
        if (budget > 0) {
          // The budget is shared out over the layers still to come (one 4 MiB chunk at least), so a model with
          // hundreds of large layers gets a sampled zero share for each rather than exact ones for the first few.
          const share = Math.max(STATS_CHUNK_BYTES, Math.floor(budget / (store.layers.length - i)));
          const stats = await store.streamStats(l.name, Math.min(SUMMARY_TENSOR_BYTES, share));
          budget -= stats.count * (DTYPE_BYTES[l.dtype] ?? 4);
          input.zeroShare = stats.zeroShare;
          if (stats.nm) input.nm = stats.nm;
          if (stats.sampled) input.sampled = true;
        }
      } else {
        const bytes = elementCountOf(l.shape) * 4;
        if (bytes <= budget) {
          budget -= bytes;
          const values = await store.readValues(l.name);
          input.zeroShare = zeroShare(values);
          // The same measure `elsa inspect` prints (io/nmPattern.ts), on the values already read.
          input.nm = nmPatternOf(l.shape, values);
        }
      }
    } catch (e) {
      unreadable.push(`${l.name}: ${errorLine(e)}`);
    }
    layers.push(input);
  }
  const summary = buildSummary({ uri: ctx.uri, fileName: ctx.fileName, fileSize: store.fileSize, meta: store.meta, layers, report: ctx.report, engine: ctx.engine });
  if (unreadable.length > 0 && store.meta) {
    summary.nestingOk = false;
    summary.nestingProblems = [...unreadable, ...(summary.nestingProblems ?? [])].slice(0, 20);
  }
  return summary;
}

/**
 * A layer's heatmap or histogram read into memory (about 4x its F32 size at peak, measured in
 * docs/reliability.md): beyond this the view is refused in one line instead of exhausting the editor's memory.
 * Files that stream their tensors (safetensors, sharded or not) are read 4 MiB at a time instead and have no
 * such limit: a 1 GiB layer of a 2 GiB model gets its picture in bounded memory (docs/benchmarks.md).
 */
export const VIEW_READ_LIMIT_BYTES = 512 * 1024 * 1024;

function layerOf(store: TensorStore, name: string, streamed: boolean) {
  const l = store.layers.find((x) => x.name === name);
  if (!l) throw checkpointError(store.label, `no weight tensor named "${shortName(name)}"`);
  const bytes = elementCountOf(l.shape) * 4;
  if (!streamed && bytes > VIEW_READ_LIMIT_BYTES) {
    throw checkpointError(store.label, `tensor "${shortName(name)}" has ${elementCountOf(l.shape)} values (${Math.round(bytes / 2 ** 20)} MiB as F32), more than the ${VIEW_READ_LIMIT_BYTES / 2 ** 20} MiB a view may read`);
  }
  return l;
}

/** Per store and layer, the heatmap's streamed pass, which also finds max |w|. */
const rangeCache = new WeakMap<TensorStore, Map<string, Promise<number>>>();
function rangePasses(store: TensorStore): Map<string, Promise<number>> {
  let m = rangeCache.get(store);
  if (!m) rangeCache.set(store, (m = new Map()));
  return m;
}

/** A file without levels whose tensors stream: its views never hold a tensor (ELSA views need the codes whole). */
function streams(store: TensorStore): store is TensorStore & { streamValues: NonNullable<TensorStore['streamValues']> } {
  return store.streamValues !== undefined && !(store.meta && store.readCodes);
}

/** ELSA: the level codes; other files: nonzero (1) vs zero (2). Both with the weight values on the same grid. */
export async function heatmapFromStore(store: TensorStore, name: string, maxCells: number): Promise<HeatmapData> {
  const streamed = streams(store);
  const l = layerOf(store, name, streamed);
  if (streamed) return streamedZeroPatternHeatmap(store, name, l.shape, maxCells);
  const values = await store.readValues(name);
  const heatmap = store.meta && store.readCodes
    ? heatmapOf(name, l.shape, await store.readCodes(name), levelCountOf(store.meta.targets.length), maxCells)
    : heatmapOf(name, l.shape, zeroPatternCodes(values), 2, maxCells, 'mode');
  return { ...heatmap, values: cellValues(values, heatmap.rowStarts, heatmap.colStarts) };
}

/**
 * The zero-pattern heatmap `heatmapOf(…, zeroPatternCodes(values), 2, maxCells, 'mode')` + `cellValues` would
 * give, from one streamed pass: a cell's code is the more common of nonzero (1) and zero (2), ties nonzero.
 */
async function streamedZeroPatternHeatmap(store: TensorStore & { streamValues: NonNullable<TensorStore['streamValues']> }, name: string, shape: number[], maxCells: number): Promise<HeatmapData> {
  const { rows, cols } = matrixView(shape);
  const grid = heatmapGrid(rows, cols, maxCells);
  const rowStarts = cellStarts(grid.rows, rows);
  const colStarts = cellStarts(grid.cols, cols);
  const acc = new CellAccumulator(rowStarts, colStarts);
  // The histogram asked for at the same time needs max |w| before it can count: it takes it from this pass.
  const pass = store.streamValues(name, (start, data) => acc.add(start, data)).then(() => acc.maxAbs);
  rangePasses(store).set(name, pass);
  pass.catch(() => rangePasses(store).delete(name)); // a failed read is retried by the next request
  await pass;
  const codes = new Array<number>(grid.rows * grid.cols);
  let zeros = 0;
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const cell = r * grid.cols + c;
      zeros += acc.zeros[cell];
      codes[cell] = acc.zeros[cell] * 2 > acc.size(r, c) ? 2 : 1;
    }
  }
  const n = rows * cols;
  const exact = grid.rows === rows && grid.cols === cols;
  return {
    layer: name, rows: grid.rows, cols: grid.cols, codes, reduction: exact ? 'exact' : 'mode', sourceRows: rows, sourceCols: cols,
    levelCount: 2, codeShare: n === 0 ? [0, 0] : [(n - zeros) / n, zeros / n], nestingOk: true, rowStarts, colStarts, values: acc.values(),
  };
}

export async function histogramFromStore(store: TensorStore, name: string, bins: number): Promise<HistogramData> {
  const streamed = streams(store);
  layerOf(store, name, streamed);
  if (streamed) {
    // Two passes: the range (max |w|) first, then the counts, as magnitudeHistogram does in memory. The range
    // comes from the heatmap's pass over the same layer when one has started (the dashboard asks for both).
    let max = 0;
    const heatmapPass = rangePasses(store).get(name);
    if (heatmapPass) max = await heatmapPass;
    else await store.streamValues(name, (_start, data) => (max = maxAbs(data, max)));
    const h = new MagnitudeHistogram(name, max, bins, 1);
    await store.streamValues(name, (_start, data) => h.add(data));
    return h.result();
  }
  const values = await store.readValues(name);
  if (store.meta && store.readCodes) {
    return magnitudeHistogram(name, values, await store.readCodes(name), levelCountOf(store.meta.targets.length), bins);
  }
  return magnitudeHistogram(name, values, undefined, 1, bins);
}
