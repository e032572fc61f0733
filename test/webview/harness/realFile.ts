/**
 * Answers for the harness from a real file on disk, computed with the same core functions the extension host
 * uses (src/core/inspectStore), so the dashboard can be looked at with a checkpoint the CLI wrote:
 *   node --import tsx test/webview/harness/shoot.ts --file=runs/demo/demo.elsa.safetensors
 * Node only (reads files); the result is written into the page as `window.elsaRealData`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { layoutModelGraph } from '../../../src/core/graphLayout';
import { buildModelGraph } from '../../../src/core/modelGraph';
import { heatmapFromStore, histogramFromStore, summarizeStore } from '../../../src/core/inspectStore';
import { fileByteSource } from '../../../src/core/io/byteSource';
import { openSafetensorsStore, openTfjsStore, type TensorStore } from '../../../src/core/tensorStore';
import { parseTrainingEvents, type TrainingEvent } from '../../../src/protocol/events';
import { isRunReport, type RunReport } from '../../../src/protocol/report';
import type { CheckpointSummary, GraphData, HeatmapData, HistogramData } from '../../../src/protocol/webview';
import { HEATMAP_MAX_CELLS, HISTOGRAM_BINS } from '../../../webview/limits';

export interface RealData {
  summary: CheckpointSummary;
  heatmaps: Record<string, HeatmapData>;
  histograms: Record<string, HistogramData>;
  events: TrainingEvent[];
  /** The model graph as the host lays it out (src/extension/graphHost.ts does the same two calls). */
  graph: GraphData;
  /** Byte offset after each event's line in events.jsonl. */
  eventEnds: number[];
}

async function openStore(file: string): Promise<TensorStore> {
  if (file.endsWith('.json')) {
    const text = readFileSync(file, 'utf8');
    return openTfjsStore(text, path.basename(file), statSync(file).size, async (p) => fileByteSource(path.join(path.dirname(file), p)));
  }
  return openSafetensorsStore(fileByteSource(file));
}

function findReport(file: string): RunReport | undefined {
  for (const candidate of [path.join(path.dirname(file), 'report.json'), path.join(path.dirname(file), '..', 'report.json')]) {
    if (!existsSync(candidate)) continue;
    const value: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
    if (isRunReport(value)) return value;
  }
  return undefined;
}

function readEvents(file: string): { events: TrainingEvent[]; eventEnds: number[] } {
  const log = path.join(path.dirname(file), 'events.jsonl');
  if (!existsSync(log)) return { events: [], eventEnds: [] };
  const events: TrainingEvent[] = [];
  const eventEnds: number[] = [];
  let offset = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    offset += Buffer.byteLength(line) + 1;
    const [e] = parseTrainingEvents(line);
    if (e) {
      events.push(e);
      eventEnds.push(offset);
    }
  }
  return { events, eventEnds };
}

export async function loadRealFile(file: string): Promise<RealData> {
  const store = await openStore(file);
  try {
    const summary = await summarizeStore(store, { uri: pathToFileURL(path.resolve(file)).href, fileName: path.basename(file), report: findReport(file), engine: 'harness (core inspector)' });
    const heatmaps: Record<string, HeatmapData> = {};
    const histograms: Record<string, HistogramData> = {};
    for (const l of summary.layers) {
      heatmaps[l.name] = await heatmapFromStore(store, l.name, HEATMAP_MAX_CELLS);
      histograms[l.name] = await histogramFromStore(store, l.name, HISTOGRAM_BINS);
    }
    const graph = layoutModelGraph(buildModelGraph({ topology: store.topology, tensors: store.modelTensors ?? store.layers }));
    return { summary, heatmaps, histograms, graph, ...readEvents(file) };
  } finally {
    await store.close();
  }
}
