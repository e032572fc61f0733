/**
 * The one typed protocol between the extension host and the dashboard webview (used by the custom editor and
 * the panel alike). Every message travels in an envelope with an id; requests get exactly one response whose
 * `inReplyTo` names the request. The webview sends `ready` first; the host sends nothing before it.
 * Unknown or malformed messages are dropped (and logged) by `parseHostMessage` / `parseWebviewMessage`.
 */
import type { ElsaMetadata } from './checkpoint';
import type { CompareResult } from './compare';
import type { EventChunk } from './events';
import type { RunReport } from './report';
import type { SampleResult } from './sample';
import type { StudySummary } from './study';

export const PROTOCOL_VERSION = 1;

/** What the dashboard shows: one checkpoint (custom editor) or a run folder / the workspace (panel). */
export interface DashboardTarget {
  /** URI string of the checkpoint file, or of the run or study folder. */
  uri: string;
  label: string;
  /** `study`: a study folder (study.json); the page then shows the study view and asks `getStudy`. */
  /** `compare`: a comparison of two networks (the Compare panel); the page asks `getCompare`. */
  kind?: 'study' | 'compare';
}

export interface LayerSummary {
  name: string;
  shape: number[];
  params: number;
  /** Sparsity of each level in this layer, index 0 = level 1 … last = dense level (usually 0). */
  levelSparsity: number[];
  /** Share of this layer's weights per code 1..K+1 (sums to 1). */
  codeShare: number[];
  /** Files without level codes: N:M structured sparsity ("is it really sparse"), when measured. */
  nm?: LayerNm;
  /** The zero share (and nm) were measured on evenly spaced chunks of a large tensor. */
  sampled?: boolean;
}

/** Per N:M pattern, the share of groups of M with at most N nonzeros, along the fan-in order that fits best. */
export interface LayerNm {
  /** The sparsest pattern every group satisfies (e.g. `2:4`), if any. */
  holds?: string;
  patterns: { pattern: string; axis: 'last' | 'first'; share: number }[];
}

export interface CheckpointSummary {
  uri: string;
  fileName: string;
  fileSize: number;
  /** Present for ELSA checkpoints; plain safetensors and TF.js models have none. */
  meta?: ElsaMetadata;
  /** Sparsifiable (or, for foreign files, all 2-D+) weight tensors. */
  layers: LayerSummary[];
  /** Number of levels K+1 including dense (0 for a foreign file). */
  levelCount: number;
  /** Run report beside the checkpoint, when there is one. */
  report?: RunReport;
  /** Whether the nesting check M_1 ⊂ … ⊂ M_K ⊂ dense held for every layer. */
  nestingOk: boolean;
  /** When the check failed: what failed, one line each (at most 20). */
  nestingProblems?: string[];
  engine?: string;
}

export interface HeatmapData {
  layer: string;
  /** Grid size after downsampling; cell (r, c) at `codes[r * cols + c]`. */
  rows: number;
  cols: number;
  /** Per cell, the smallest (sparsest-level) code among the weights it covers… see `reduction`. */
  codes: number[];
  reduction: 'exact' | 'min' | 'mode';
  /** The original 2-D view of the tensor (rows × cols before downsampling). */
  sourceRows: number;
  sourceCols: number;
  /** K+1: the codes this heatmap colours (src/protocol/levels.ts). */
  levelCount: number;
  /** Share of weights per code 1..K+1. */
  codeShare: number[];
  nestingOk: boolean;
  /**
   * The cell <-> weight mapping, computed once by the host (src/core/heatmapGrid.ts): cell row r covers source
   * rows [rowStarts[r], rowStarts[r+1]), likewise columns; length rows+1 / cols+1, last entry = source size.
   */
  rowStarts: number[];
  colStarts: number[];
  /** The stored weight values per cell, on the same grid; absent when they could not be read. */
  values?: CellValues;
}

/** Per heatmap cell, statistics of the stored weights it covers (cell (r, c) at index r * cols + c). */
export interface CellValues {
  mean: number[];
  min: number[];
  max: number[];
  /** The colour scale's end: the 98th percentile of |mean| over the cells (0 when every weight is 0). */
  scale: number;
}

/** One point of a sensitivity curve: the layer pruned to `sparsity`, the rest of the level untouched. */
export interface SensitivityPointData {
  sparsity: number;
  accuracy: number;
  loss: number;
}

/** What `elsa sensitivity --json` found, as the dashboard shows it. */
export interface SensitivityData {
  /** The scanned level (1..K+1). */
  level?: number;
  dataset: string;
  seconds: number;
  baseline: { accuracy: number; loss: number };
  layers: { name: string; size: number; baseSparsity: number; points: SensitivityPointData[] }[];
  suggestion: { target: number; reached: number; reachable: boolean; layers: { name: string; sparsity: number; accuracyAlone: number }[] };
  /** URI string of the suggested run config the CLI wrote (beside the checkpoint). */
  configUri: string;
}

export interface HistogramData {
  layer: string;
  /** Bin edges over |w| (length bins + 1). */
  edges: number[];
  /** counts[level-1][bin]: weights of that level's mask (code <= level) in each bin. */
  counts: number[][];
  /** K+1 (one row of counts per level), or 1 for a file without levels (one histogram of all weights). */
  levelCount: number;
}

/**
 * Most nodes a model graph is drawn with; bigger models are collapsed (src/core/modelGraph.ts). The layout runs
 * on the extension host: 200 nodes take dagre 0.2–0.8 s on a loaded 2-core machine (README, "Model graph").
 */
export const MAX_GRAPH_NODES = 200;
/** Most edges a model graph is drawn with (the rest are dropped, with a note). */
export const MAX_GRAPH_EDGES = 3000;

/** One node of the model graph, placed by the host's layout (centre x, y; SVG user units). */
export interface GraphNodeData {
  id: string;
  /** Layer name, name prefix, or `first … last` for collapsed layers. */
  name: string;
  /** The name as drawn (shortened to fit the box). */
  label: string;
  /** Layer class (`Conv2D`, `Add` …); `tensors` for a name-prefix group; `layers` for collapsed layers. */
  className: string;
  /** Parameters of the tensors it owns. */
  params: number;
  /** Weight tensors it owns (full names, as in the summary's layers). */
  tensors: string[];
  /** Layers (or prefix groups) this node stands for: 1 unless collapsed. */
  members: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdgeData {
  from: string;
  to: string;
  /** The routed line, x0, y0, x1, y1 … */
  points: number[];
}

/** The model as a graph (docs: README "The model as a graph"). */
export interface GraphData {
  /** `topology`: the TF.js Layers topology the file carries; `names`: grouped by tensor-name prefixes. */
  source: 'topology' | 'names';
  nodes: GraphNodeData[];
  edges: GraphEdgeData[];
  width: number;
  height: number;
  /** Layers (or name groups) before any collapsing. */
  layerCount: number;
  /** What was collapsed, guessed or left out, in words. */
  notes: string[];
}

// ---------- webview -> host ----------
export type WebviewRequest =
  | { kind: 'getSummary' }
  | { kind: 'getHeatmap'; layer: string; maxCells: number }
  | { kind: 'getHistogram'; layer: string; bins: number }
  /** `since`: byte offset into events.jsonl (0 = from the start); the reply's `next` is where to ask from next time. */
  | { kind: 'getEvents'; since: number }
  /** The study.json of a study folder. */
  | { kind: 'getStudy' }
  /** Runs `elsa sensitivity` on the checkpoint in a child process; `level` 0 = the dense level. */
  | { kind: 'getSensitivity'; level: number; target: number }
  /** The model as a graph, laid out by the host. */
  | { kind: 'getGraph' }
  /**
   * Compares two levels (src/core/compare.ts). The files are the host's, never named by the webview: a dashboard
   * compares two levels of its checkpoint, the Compare panel the two sides it was opened with. A level of 0
   * means the side's level as the panel was opened (a dashboard needs explicit levels).
   */
  | { kind: 'getCompare'; levelA: number; levelB: number; bins: number }
  /** Runs `elsa predict` on the checkpoint: test-split indices and/or an image file (a URI string); `runs` timed runs per path. */
  | { kind: 'getSamplePrediction'; samples: number[]; imageUri?: string; runs: number }
  /** The host's file picker for an image; the answer has no `uri` when the user cancelled. */
  | { kind: 'pickSampleImage' };

export type WebviewNotification =
  | { kind: 'ready'; protocol: number; state?: unknown }
  | { kind: 'saveState'; state: unknown }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'command'; command: 'extractLevel' | 'openFile' | 'evaluate'; level?: number; uri?: string }
  /** Puts text (an `elsa extract` command line) on the clipboard. */
  | { kind: 'copyText'; text: string };

// ---------- host -> webview ----------
export type HostResponse =
  | { kind: 'summary'; summary: CheckpointSummary }
  | { kind: 'heatmap'; heatmap: HeatmapData }
  | { kind: 'histogram'; histogram: HistogramData }
  | ({ kind: 'events' } & EventChunk)
  | { kind: 'study'; study: StudySummary }
  | { kind: 'sensitivity'; sensitivity: SensitivityData }
  | { kind: 'graph'; graph: GraphData }
  | { kind: 'compare'; compare: CompareResult }
  | { kind: 'samplePrediction'; sample: SampleResult }
  | { kind: 'sampleImage'; uri?: string; name?: string }
  | { kind: 'error'; message: string };

export type HostNotification =
  /** `workspaceTrusted: false`: actions that run the CLI or write files (Extract…) are refused by the host; hide them. */
  | { kind: 'init'; target: DashboardTarget; theme?: string; engine?: string; workspaceTrusted?: boolean }
  | ({ kind: 'eventsAppended' } & EventChunk)
  | { kind: 'summaryChanged' }
  /** Select this weight tensor (a layer row's Reveal in Graph): every chart follows, the graph shows its node. */
  | { kind: 'revealLayer'; layer: string };

export interface RequestEnvelope<T> {
  id: number;
  type: 'request';
  body: T;
}
export interface ResponseEnvelope<T> {
  id: number;
  type: 'response';
  inReplyTo: number;
  body: T;
}
export interface NotificationEnvelope<T> {
  id: number;
  type: 'notification';
  body: T;
}

export type WebviewMessage = RequestEnvelope<WebviewRequest> | NotificationEnvelope<WebviewNotification>;
export type HostMessage = ResponseEnvelope<HostResponse> | NotificationEnvelope<HostNotification>;
