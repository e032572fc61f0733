/**
 * Runtime validation of the host <-> webview messages typed in `webview.ts`. `postMessage` carries whatever a
 * (possibly stale, possibly buggy) other side sent, so each side parses before it trusts: a malformed or
 * unknown message gives `undefined` and is dropped (and logged by the caller), never thrown.
 */
import { isCompareResult, MAX_COMPARE_BINS, MIN_COMPARE_BINS } from './compare';
import { isRunReport } from './report';
import { isSampleResult, MAX_SAMPLE_INPUTS, MAX_SAMPLE_RUNS } from './sample';
import { isStudySummary } from './study';
import { MAX_GRAPH_EDGES, MAX_GRAPH_NODES } from './webview';
import type {
  HostMessage, HostNotification, HostResponse, NotificationEnvelope, RequestEnvelope, ResponseEnvelope, SensitivityData, WebviewMessage,
  WebviewNotification, WebviewRequest,
} from './webview';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPosInt = (v: unknown): v is number => isId(v) && v > 0;
const isArr = Array.isArray;
const isNumArr = (v: unknown): v is number[] => isArr(v) && v.every(isNum);

/** Largest heatmap a webview may ask for: bounds the host's work and the message size. */
export const MAX_HEATMAP_CELLS = 1_000_000;
/** Most histogram bins a webview may ask for. */
export const MAX_HISTOGRAM_BINS = 4096;

function parseWebviewRequest(b: Obj): WebviewRequest | undefined {
  switch (b.kind) {
    case 'getSummary':
      return { kind: 'getSummary' };
    case 'getHeatmap':
      if (!isStr(b.layer) || !isPosInt(b.maxCells) || b.maxCells > MAX_HEATMAP_CELLS) return undefined;
      return { kind: 'getHeatmap', layer: b.layer, maxCells: b.maxCells };
    case 'getHistogram':
      if (!isStr(b.layer) || !isPosInt(b.bins) || b.bins > MAX_HISTOGRAM_BINS) return undefined;
      return { kind: 'getHistogram', layer: b.layer, bins: b.bins };
    case 'getEvents':
      if (!isId(b.since)) return undefined;
      return { kind: 'getEvents', since: b.since };
    case 'getStudy':
      return { kind: 'getStudy' };
    case 'getGraph':
      return { kind: 'getGraph' };
    case 'getSensitivity':
      if (!isId(b.level) || !isNum(b.target) || !(b.target > 0 && b.target < 1)) return undefined;
      return { kind: 'getSensitivity', level: b.level, target: b.target };
    case 'getCompare':
      // Levels are 1..K+1 (K+1 <= 256 with u8 codes), 0 = as the panel was opened.
      if (!isId(b.levelA) || !isId(b.levelB) || b.levelA > 256 || b.levelB > 256) return undefined;
      if (!isId(b.bins) || b.bins < MIN_COMPARE_BINS || b.bins > MAX_COMPARE_BINS) return undefined;
      return { kind: 'getCompare', levelA: b.levelA, levelB: b.levelB, bins: b.bins };
    case 'getSamplePrediction': {
      if (!isArr(b.samples) || !b.samples.every(isId) || b.samples.length > MAX_SAMPLE_INPUTS || !isPosInt(b.runs) || b.runs > MAX_SAMPLE_RUNS) return undefined;
      if (b.imageUri !== undefined && (!isStr(b.imageUri) || b.imageUri.length > 4096)) return undefined;
      if (b.samples.length === 0 && b.imageUri === undefined) return undefined;
      return { kind: 'getSamplePrediction', samples: [...b.samples] as number[], runs: b.runs, ...(b.imageUri !== undefined ? { imageUri: b.imageUri as string } : {}) };
    }
    case 'pickSampleImage':
      return { kind: 'pickSampleImage' };
    default:
      return undefined;
  }
}

const LOG_LEVELS = new Set(['info', 'warn', 'error']);
const WEBVIEW_COMMANDS = new Set(['extractLevel', 'openFile', 'evaluate']);

function parseWebviewNotification(b: Obj): WebviewNotification | undefined {
  switch (b.kind) {
    case 'ready':
      if (!isNum(b.protocol)) return undefined;
      return b.state === undefined ? { kind: 'ready', protocol: b.protocol } : { kind: 'ready', protocol: b.protocol, state: b.state };
    case 'saveState':
      return { kind: 'saveState', state: b.state };
    case 'log':
      if (!isStr(b.level) || !LOG_LEVELS.has(b.level) || !isStr(b.message)) return undefined;
      return { kind: 'log', level: b.level as 'info' | 'warn' | 'error', message: b.message.slice(0, 10_000) };
    case 'command': {
      if (!isStr(b.command) || !WEBVIEW_COMMANDS.has(b.command)) return undefined;
      if (b.level !== undefined && !isPosInt(b.level)) return undefined;
      if (b.uri !== undefined && !isStr(b.uri)) return undefined;
      const out: WebviewNotification = { kind: 'command', command: b.command as 'extractLevel' | 'openFile' | 'evaluate' };
      if (b.level !== undefined) out.level = b.level as number;
      if (b.uri !== undefined) out.uri = b.uri as string;
      return out;
    }
    case 'copyText':
      if (!isStr(b.text) || b.text.length > 10_000) return undefined;
      return { kind: 'copyText', text: b.text };
    default:
      return undefined;
  }
}

/** A message from the webview, checked field by field; undefined when it is not one the protocol knows. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (!isObj(raw) || !isId(raw.id) || !isObj(raw.body)) return undefined;
  if (raw.type === 'request') {
    const body = parseWebviewRequest(raw.body);
    return body ? ({ id: raw.id, type: 'request', body } satisfies RequestEnvelope<WebviewRequest>) : undefined;
  }
  if (raw.type === 'notification') {
    const body = parseWebviewNotification(raw.body);
    return body ? ({ id: raw.id, type: 'notification', body } satisfies NotificationEnvelope<WebviewNotification>) : undefined;
  }
  return undefined;
}

function isLayerSummary(v: unknown): boolean {
  return isObj(v) && isStr(v.name) && isNumArr(v.shape) && isNum(v.params) && isNumArr(v.levelSparsity) && isNumArr(v.codeShare);
}

function isSummary(v: unknown): boolean {
  return isObj(v) && isStr(v.uri) && isStr(v.fileName) && isNum(v.fileSize) && isArr(v.layers) && v.layers.every(isLayerSummary)
    && isNum(v.levelCount) && typeof v.nestingOk === 'boolean' && (v.meta === undefined || isObj(v.meta))
    // A report of another version (older epochs-less files) is not one the charts can read.
    && (v.report === undefined || isRunReport(v.report));
}

function isHeatmap(v: unknown): boolean {
  if (!isObj(v) || !isStr(v.layer) || !isId(v.rows) || !isId(v.cols) || !isNumArr(v.codes)) return false;
  return v.codes.length === v.rows * v.cols && (v.reduction === 'exact' || v.reduction === 'min' || v.reduction === 'mode')
    && isId(v.sourceRows) && isId(v.sourceCols) && isNum(v.levelCount) && isNumArr(v.codeShare) && typeof v.nestingOk === 'boolean'
    && isStarts(v.rowStarts, v.rows, v.sourceRows) && isStarts(v.colStarts, v.cols, v.sourceCols)
    && (v.values === undefined || isCellValues(v.values, v.rows * v.cols));
}

/** Cell starts along an axis: cells + 1 increasing indices from 0 to the source size. */
function isStarts(v: unknown, cells: number, source: number): boolean {
  if (!isNumArr(v) || v.length !== cells + 1 || v[0] !== 0 || v[cells] !== source) return false;
  for (let i = 1; i < v.length; i++) if (!(v[i] > v[i - 1])) return false;
  return true;
}

function isCellValues(v: unknown, cells: number): boolean {
  return isObj(v) && isNum(v.scale) && [v.mean, v.min, v.max].every((a) => isNumArr(a) && a.length === cells);
}

/** A sensitivity scan as the host sends it (also checks one restored from the webview's saved state). */
export function isSensitivity(v: unknown): v is SensitivityData {
  if (!isObj(v) || !isStr(v.dataset) || !isNum(v.seconds) || !isStr(v.configUri) || !isObj(v.baseline) || !isNum(v.baseline.accuracy)) return false;
  const isPoint = (p: unknown) => isObj(p) && isNum(p.sparsity) && isNum(p.accuracy) && isNum(p.loss);
  const layersOk = isArr(v.layers) && v.layers.every((l) => isObj(l) && isStr(l.name) && isNum(l.size) && isNum(l.baseSparsity) && isArr(l.points) && l.points.every(isPoint));
  const s = v.suggestion;
  return layersOk && isObj(s) && isNum(s.target) && isNum(s.reached) && typeof s.reachable === 'boolean'
    && isArr(s.layers) && s.layers.every((l) => isObj(l) && isStr(l.name) && isNum(l.sparsity) && isNum(l.accuracyAlone));
}

function isHistogram(v: unknown): boolean {
  if (!isObj(v) || !isStr(v.layer) || !isNumArr(v.edges) || !isArr(v.counts) || !isNum(v.levelCount)) return false;
  const bins = v.edges.length - 1;
  return v.counts.every((row) => isNumArr(row) && row.length === bins);
}

/** A laid-out graph: bounded sizes, unique node ids, edges between existing nodes, finite coordinates. */
function isGraph(v: unknown): boolean {
  if (!isObj(v) || (v.source !== 'topology' && v.source !== 'names') || !isNum(v.width) || !isNum(v.height) || !isId(v.layerCount)) return false;
  if (!isArr(v.notes) || !v.notes.every(isStr) || !isArr(v.nodes) || !isArr(v.edges)) return false;
  if (v.nodes.length > MAX_GRAPH_NODES || v.edges.length > MAX_GRAPH_EDGES) return false;
  const ids = new Set<string>();
  for (const n of v.nodes) {
    if (!isObj(n) || !isStr(n.id) || ids.has(n.id) || !isStr(n.name) || !isStr(n.label) || !isStr(n.className) || !isNum(n.params) || n.params < 0) return false;
    if (!isArr(n.tensors) || !n.tensors.every(isStr) || !isPosInt(n.members)) return false;
    if (![n.x, n.y, n.width, n.height].every(isNum) || !((n.width as number) > 0 && (n.height as number) > 0)) return false;
    ids.add(n.id);
  }
  return v.edges.every((e) => isObj(e) && isStr(e.from) && isStr(e.to) && ids.has(e.from) && ids.has(e.to)
    && isNumArr(e.points) && e.points.length >= 4 && e.points.length % 2 === 0);
}

const isEventList = (v: unknown): boolean => isArr(v) && v.every((e) => isObj(e) && isStr(e.type));

function parseHostResponse(b: Obj): HostResponse | undefined {
  switch (b.kind) {
    case 'summary':
      return isSummary(b.summary) ? (b as unknown as HostResponse) : undefined;
    case 'heatmap':
      return isHeatmap(b.heatmap) ? (b as unknown as HostResponse) : undefined;
    case 'histogram':
      return isHistogram(b.histogram) ? (b as unknown as HostResponse) : undefined;
    case 'events':
      return isEventList(b.events) && isId(b.from) && isId(b.next) && b.from <= b.next ? (b as unknown as HostResponse) : undefined;
    case 'study':
      return isStudySummary(b.study) ? (b as unknown as HostResponse) : undefined;
    case 'sensitivity':
      return isSensitivity(b.sensitivity) ? (b as unknown as HostResponse) : undefined;
    case 'graph':
      return isGraph(b.graph) ? (b as unknown as HostResponse) : undefined;
    case 'compare':
      return isCompareResult(b.compare) ? (b as unknown as HostResponse) : undefined;
    case 'samplePrediction':
      return isSampleResult(b.sample) ? (b as unknown as HostResponse) : undefined;
    case 'sampleImage':
      if ((b.uri !== undefined && !isStr(b.uri)) || (b.name !== undefined && !isStr(b.name))) return undefined;
      return { kind: 'sampleImage', ...(isStr(b.uri) ? { uri: b.uri } : {}), ...(isStr(b.name) ? { name: b.name } : {}) };
    case 'error':
      return isStr(b.message) ? { kind: 'error', message: b.message } : undefined;
    default:
      return undefined;
  }
}

function parseHostNotification(b: Obj): HostNotification | undefined {
  switch (b.kind) {
    case 'init': {
      const t = b.target;
      if (!isObj(t) || !isStr(t.uri) || !isStr(t.label) || (t.kind !== undefined && t.kind !== 'study' && t.kind !== 'compare')) return undefined;
      if ((b.theme !== undefined && !isStr(b.theme)) || (b.engine !== undefined && !isStr(b.engine))) return undefined;
      if (b.workspaceTrusted !== undefined && typeof b.workspaceTrusted !== 'boolean') return undefined;
      return b as unknown as HostNotification;
    }
    case 'eventsAppended':
      return isEventList(b.events) && isId(b.from) && isId(b.next) && b.from <= b.next ? (b as unknown as HostNotification) : undefined;
    case 'summaryChanged':
      return { kind: 'summaryChanged' };
    case 'revealLayer':
      return isStr(b.layer) && b.layer.length > 0 ? { kind: 'revealLayer', layer: b.layer } : undefined;
    default:
      return undefined;
  }
}

/** A message from the host, checked (payload shapes to the depth the webview indexes into). */
export function parseHostMessage(raw: unknown): HostMessage | undefined {
  if (!isObj(raw) || !isId(raw.id) || !isObj(raw.body)) return undefined;
  if (raw.type === 'response') {
    if (!isId(raw.inReplyTo)) return undefined;
    const body = parseHostResponse(raw.body);
    return body ? ({ id: raw.id, type: 'response', inReplyTo: raw.inReplyTo, body } satisfies ResponseEnvelope<HostResponse>) : undefined;
  }
  if (raw.type === 'notification') {
    const body = parseHostNotification(raw.body);
    return body ? ({ id: raw.id, type: 'notification', body } satisfies NotificationEnvelope<HostNotification>) : undefined;
  }
  return undefined;
}

/** Envelope builders with increasing ids, one counter per side of one connection. */
export class EnvelopeIds {
  private next = 1;
  request<T>(body: T): RequestEnvelope<T> {
    return { id: this.next++, type: 'request', body };
  }
  response<T>(inReplyTo: number, body: T): ResponseEnvelope<T> {
    return { id: this.next++, type: 'response', inReplyTo, body };
  }
  notification<T>(body: T): NotificationEnvelope<T> {
    return { id: this.next++, type: 'notification', body };
  }
}
