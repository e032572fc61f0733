/**
 * A stand-in for the extension host inside the harness page: provides `acquireVsCodeApi`, answers the
 * dashboard's requests from the fixtures, and (with `live`) appends training events over time the way the real
 * host tails events.jsonl (byte offsets, stream continuing from the furthest offset served).
 * Options come from the page URL: `?scenario=elsa|meta-only|foreign|broken|many-layers|training|file|study&theme=light|dark|hc&live=1&liveBatch=25&liveTick=250`;
 * `training` is a run folder while it trains: no checkpoint (summary error) until 300 events, then `summaryChanged`;
 * `study` answers `getStudy` (open study.html, whose page says it shows a study folder);
 * `file` serves `window.elsaRealData`, computed from a real checkpoint by shoot.ts --file (see realFile.ts).
 */
import type { TrainingEvent } from '../../../src/protocol/events';
import type { HostMessage, HostNotification, HostResponse, WebviewMessage } from '../../../src/protocol/webview';
import type { VsCodeApi } from '../../../webview/vscodeApi';
import { layoutModelGraph } from '../../../src/core/graphLayout';
import { buildModelGraph } from '../../../src/core/modelGraph';
import { heatmapFor, histogramFor, makeEvents, makeModel, makeStudy, sensitivityFor, type Scenario } from './fixtures';
import type { RealData } from './realFile';

const params = new URLSearchParams(location.search);
const scenario = (params.get('scenario') ?? 'elsa') as Scenario | 'file' | 'training' | 'study';
/** `training`: events written before the first checkpoint appears. */
const CHECKPOINT_AFTER = 300;
const real = (window as unknown as { elsaRealData?: RealData | null }).elsaRealData ?? undefined;
if (scenario === 'file' && !real) throw new Error('scenario=file needs realdata.js (shoot.ts --file=…)');
const live = params.get('live') === '1';
/** Live mode: events written per tick, and the tick in ms. */
const liveBatch = Number(params.get('liveBatch') ?? 25);
const liveTick = Number(params.get('liveTick') ?? 250);
const theme = params.get('theme') ?? 'dark';
document.documentElement.className = `theme-${theme}`;
document.body.classList.add(theme === 'light' ? 'vscode-light' : theme === 'hc' ? 'vscode-high-contrast' : 'vscode-dark');
const model = makeModel(scenario === 'file' || scenario === 'training' || scenario === 'study' ? 'elsa' : scenario);
const allEvents: TrainingEvent[] = real && scenario === 'file' ? real.events : scenario === 'foreign' ? [] : makeEvents();
const encoder = new TextEncoder();
/** Byte offset after each event's line, as in events.jsonl. */
const endOffsets: number[] = [];
let offset = 0;
if (real && scenario === 'file') endOffsets.push(...real.eventEnds);
else for (const e of allEvents) endOffsets.push((offset += encoder.encode(`${JSON.stringify(e)}\n`).length));
const summary = real && scenario === 'file' ? real.summary : model.summary;
/** How many events are "written" so far; live mode starts with the first phases only. */
let written = live ? Math.min(allEvents.length, 140) : allEvents.length;
let streamed = 0;
let nextId = 1;
let savedState: unknown = JSON.parse(sessionStorage.getItem('elsa-harness-state') ?? 'null');

const log: WebviewMessage[] = [];
(window as unknown as { elsaHarness: unknown }).elsaHarness = { log, model, allEvents };

function send(message: HostMessage): void {
  setTimeout(() => window.postMessage(message, '*'), 5);
}
function notify(body: HostNotification): void {
  send({ id: nextId++, type: 'notification', body });
}

function eventsSince(since: number): { events: typeof allEvents; from: number; next: number } {
  const start = endOffsets.findIndex((end) => end > since);
  const first = start < 0 ? written : Math.min(start, written);
  const next = written === 0 ? 0 : endOffsets[written - 1];
  return { events: allEvents.slice(first, written), from: first === 0 ? 0 : endOffsets[first - 1], next };
}

function answer(body: WebviewMessage['body']): HostResponse {
  switch (body.kind) {
    case 'getSummary':
      if (scenario === 'broken') return { kind: 'error', message: 'broken.elsa.safetensors: header length 9e18 exceeds file size 4096' };
      if (scenario === 'training' && written < CHECKPOINT_AFTER) return { kind: 'error', message: 'fashion-cnn: no checkpoint in this run folder yet' };
      return { kind: 'summary', summary };
    case 'getHeatmap':
      if (real && scenario === 'file') return { kind: 'heatmap', heatmap: real.heatmaps[body.layer] };
      return { kind: 'heatmap', heatmap: heatmapFor(model, body.layer, body.maxCells) };
    case 'getHistogram':
      if (real && scenario === 'file') return { kind: 'histogram', histogram: real.histograms[body.layer] };
      return { kind: 'histogram', histogram: histogramFor(model, body.layer, body.bins) };
    case 'getStudy':
      return scenario === 'study' ? { kind: 'study', study: makeStudy() } : { kind: 'error', message: 'not a study folder' };
    case 'getEvents': {
      const r = eventsSince(body.since);
      streamed = Math.max(streamed, r.next);
      return { kind: 'events', ...r };
    }
    case 'getSensitivity':
      return { kind: 'sensitivity', sensitivity: sensitivityFor(model, body.target) };
    case 'getGraph':
      if (real && scenario === 'file') return { kind: 'graph', graph: real.graph };
      // Fixtures carry no topology: grouped by tensor names, as the host does for a bare safetensors.
      return { kind: 'graph', graph: layoutModelGraph(buildModelGraph({ tensors: summary.layers.map((l) => ({ name: l.name, shape: l.shape })) })) };
    default:
      return { kind: 'error', message: `unexpected ${body.kind}` };
  }
}

const api: VsCodeApi = {
  postMessage(raw: unknown) {
    const m = raw as WebviewMessage;
    log.push(m);
    if (m.type === 'request') {
      let body: HostResponse;
      try {
        body = answer(m.body);
      } catch (e) {
        body = { kind: 'error', message: e instanceof Error ? e.message : String(e) };
      }
      send({ id: nextId++, type: 'response', inReplyTo: m.id, body });
    } else if (m.body.kind === 'ready') {
      notify({ kind: 'init', target: { uri: summary.uri, label: summary.fileName }, theme: 'dark', engine: summary.engine });
      if (live) startLive();
    } else if (m.body.kind === 'saveState') {
      savedState = m.body.state;
    }
  },
  getState: () => savedState,
  setState(state: unknown) {
    savedState = state;
    sessionStorage.setItem('elsa-harness-state', JSON.stringify(state));
  },
};

function startLive(): void {
  const timer = setInterval(() => {
    const before = written;
    written = Math.min(allEvents.length, written + liveBatch);
    if (scenario === 'training' && before < CHECKPOINT_AFTER && written >= CHECKPOINT_AFTER) notify({ kind: 'summaryChanged' });
    const r = eventsSince(streamed);
    if (r.next > streamed) {
      streamed = r.next;
      notify({ kind: 'eventsAppended', events: r.events, from: r.from, next: r.next });
    }
    if (written >= allEvents.length) clearInterval(timer);
  }, liveTick);
}

let acquired = false;
(window as unknown as { acquireVsCodeApi: () => VsCodeApi }).acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi may be called only once');
  acquired = true;
  return api;
};
