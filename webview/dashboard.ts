/**
 * The dashboard: builds the page, asks the host for the summary, heatmap, histogram and events, keeps the level
 * and layer selection (persisted), follows live events and theme changes. One implementation serves the panel
 * and the checkpoint editor.
 */
import type { EventChunk } from '../src/protocol/events';
import type { CheckpointSummary, HostNotification } from '../src/protocol/webview';
import { applyChartTheme } from './charts';
import type { DashboardClient } from './client';
import type { Palette } from './colors';
import { clear, h } from './dom';
import { levelLabel } from './format';
import { HEATMAP_MAX_CELLS, HISTOGRAM_BINS, LAYER_DETAIL_TIMEOUT_MS, SAMPLE_TIMEOUT_MS, SENSITIVITY_TIMEOUT_MS, SUMMARY_TIMEOUT_MS } from './limits';
import { pickLayer } from './series';
import { currentPalette, observeTheme } from './theme';
import { decideAppend } from './trainingSeries';
import type { UiState } from './uiState';
import { DEFAULT_COMPARE_BINS } from '../src/protocol/compare';
import { AccuracyView } from './views/accuracy';
import { GraphView } from './views/graph';
import { layerForNode, summaryLayers } from './graphModel';
import type { GraphNodeData } from '../src/protocol/webview';
import { CompareView } from './views/compare';
import { HeaderView } from './views/header';
import { HistogramView } from './views/histogram';
import { LayerSparsityView } from './views/layerSparsity';
import { NestingView } from './views/nesting';
import { SampleView } from './views/sample';
import { SensitivityView } from './views/sensitivity';
import { TrainingView } from './views/training';

/** vscode-elements' select: a `value` property and a `change` event. */
type SelectElement = HTMLElement & { value: string };

export interface DashboardOptions {
  client: DashboardClient;
  state: UiState;
  saveState(state: UiState): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class Dashboard {
  private readonly client: DashboardClient;
  private state: UiState;
  private summary: CheckpointSummary | undefined;
  private engine: string | undefined;
  private palette: Palette;
  private readonly header: HeaderView;
  private readonly accuracy = new AccuracyView();
  private readonly layers = new LayerSparsityView();
  private readonly nesting = new NestingView((level) => this.selectLevel(level));
  private readonly training = new TrainingView();
  private readonly histogram = new HistogramView();
  private readonly sensitivity: SensitivityView;
  private readonly graph = new GraphView((node) => this.selectGraphNode(node));
  private graphToken = 0;
  /** A Reveal in Graph that arrived before the graph: scroll to the node once it is drawn. */
  private revealPending = false;
  /** "Compare levels": two levels of this checkpoint (the host answers from its own file). */
  private readonly compare = new CompareView({
    run: async (levelA, levelB) => (await this.client.request({ kind: 'getCompare', levelA, levelB, bins: DEFAULT_COMPARE_BINS }, LAYER_DETAIL_TIMEOUT_MS)).compare,
  });
  private readonly sample: SampleView;
  private readonly levelSelect: SelectElement;
  private readonly layerSelect: SelectElement;
  private readonly banner: HTMLElement;
  private readonly toolbar: HTMLElement;
  /** Event cursor; undefined while the initial `getEvents` is in flight (notifications wait in `queued`). */
  private eventsCursor: number | undefined;
  private queued: EventChunk[] = [];
  private layerToken = 0;
  private summaryToken = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: DashboardOptions,
  ) {
    this.client = options.client;
    this.state = options.state;
    this.palette = currentPalette();
    this.header = new HeaderView(
      (level) => this.selectLevel(level),
      (level) => this.client.notify({ kind: 'command', command: 'extractLevel', level, uri: this.summary?.uri }),
    );
    this.sensitivity = new SensitivityView({
      run: async (target) => {
        const sensitivity = (await this.client.request({ kind: 'getSensitivity', level: this.state.level, target }, SENSITIVITY_TIMEOUT_MS)).sensitivity;
        this.state = { ...this.state, sensitivity };
        this.persist();
        return sensitivity;
      },
      openConfig: (uri) => this.client.notify({ kind: 'command', command: 'openFile', uri }),
    });
    this.sample = new SampleView({
      run: async (samples, imageUri, runs) => (await this.client.request({ kind: 'getSamplePrediction', samples, runs, ...(imageUri ? { imageUri } : {}) }, SAMPLE_TIMEOUT_MS)).sample,
      pickImage: async () => {
        const r = await this.client.request({ kind: 'pickSampleImage' }, SAMPLE_TIMEOUT_MS);
        return r.uri ? { uri: r.uri, name: r.name ?? r.uri } : undefined;
      },
      copy: (text) => this.client.notify({ kind: 'copyText', text }),
      extract: (level) => this.client.notify({ kind: 'command', command: 'extractLevel', level, uri: this.summary?.uri }),
    });
    this.levelSelect = h('vscode-single-select', { id: 'level-select', 'aria-label': 'Level' }) as SelectElement;
    this.layerSelect = h('vscode-single-select', { id: 'layer-select', 'aria-label': 'Layer', combobox: false }) as SelectElement;
    this.levelSelect.addEventListener('change', () => this.selectLevel(Number(this.levelSelect.value) || 0));
    this.layerSelect.addEventListener('change', () => this.selectLayer(this.layerSelect.value));
    this.histogram.logToggle.addEventListener('change', () => {
      this.state = { ...this.state, histogramLog: this.histogram.logToggle.checked === true };
      this.persist();
      this.histogram.render(this.palette, this.state.level, this.state.histogramLog);
    });
    if (this.state.histogramLog) this.histogram.logToggle.setAttribute('checked', '');
    this.banner = h('div', { class: 'banner', id: 'dashboard-error', role: 'alert', hidden: true });
    const toolbar = (this.toolbar = h(
      'div',
      { class: 'toolbar', id: 'dashboard-toolbar' },
      h('label', { class: 'tool' }, h('span', { text: 'Level' }), this.levelSelect),
      h('label', { class: 'tool' }, h('span', { text: 'Layer' }), this.layerSelect),
    ));
    this.showSummaryViews(undefined);
    clear(root);
    root.dataset.state = 'loading';
    root.append(
      this.header.root,
      this.banner,
      toolbar,
      h(
        'div',
        { class: 'grid' },
        this.accuracy.card.root,
        this.layers.card.root,
        h('div', { class: 'wide' }, this.graph.card.root),
        this.nesting.card.root,
        this.histogram.card.root,
        h('div', { class: 'wide' }, this.training.card.root),
        h('div', { class: 'wide' }, this.compare.card.root),
        h('div', { class: 'wide' }, this.sensitivity.card.root),
        h('div', { class: 'wide' }, this.sample.card.root),
      ),
    );
    if (this.state.sensitivity) this.sensitivity.restore(this.state.sensitivity);
    observeTheme(() => this.renderAll());
    let width = root.clientWidth;
    new ResizeObserver(() => {
      if (root.clientWidth === width) return;
      width = root.clientWidth;
      this.nesting.render(this.palette, this.state.level);
    }).observe(root);
    this.client.onNotification((n) => this.onNotification(n));
  }

  setTargetLabel(label: string): void {
    this.header.setTargetLabel(label);
  }

  /** First load after `ready`: summary (then layer detail) and the event log, in parallel. */
  async start(): Promise<void> {
    await Promise.all([this.loadSummary(), this.loadEvents(0, true)]);
  }

  private onNotification(n: HostNotification): void {
    switch (n.kind) {
      case 'init':
        this.engine = n.engine ?? this.engine;
        this.header.setTargetLabel(n.target.label);
        this.sensitivity.setAllowed(n.workspaceTrusted !== false);
        this.sample.setAllowed(n.workspaceTrusted !== false);
        break;
      case 'summaryChanged':
        // A scan of the file as it was no longer describes it (a training run rewrote the checkpoint).
        if (this.state.sensitivity) {
          this.state = { ...this.state, sensitivity: undefined };
          this.persist();
          this.sensitivity.clear('The checkpoint changed since the last scan: run it again.');
        }
        void this.loadSummary();
        break;
      case 'eventsAppended':
        this.applyAppended(n, false);
        break;
      case 'revealLayer':
        this.revealLayer(n.layer);
        break;
    }
  }

  private async loadSummary(): Promise<void> {
    // Two quick `summaryChanged` may be answered out of order: only the newest request counts.
    const token = ++this.summaryToken;
    try {
      const { summary } = await this.client.request({ kind: 'getSummary' }, SUMMARY_TIMEOUT_MS);
      if (token !== this.summaryToken) return;
      this.summary = summary;
      this.showError(undefined);
    } catch (e) {
      if (token !== this.summaryToken) return;
      this.root.dataset.state = 'error';
      this.summary = undefined;
      this.showSummaryViews(undefined);
      // Host errors already read "<file>: <problem>" (e.g. a run folder with no checkpoint yet, while it trains).
      this.showError(errorText(e));
      this.renderAll();
      return;
    }
    const s = this.summary;
    const targets = s.meta?.targets ?? [];
    this.root.dataset.kind = s.levelCount > 0 ? 'elsa' : 'foreign';
    this.showSummaryViews(s);
    this.header.setSummary(s, this.engine ?? s.engine);
    this.accuracy.setSummary(s);
    this.layers.setSummary(s);
    this.nesting.setFile(targets, s.levelCount === 0);
    this.graph.setSummary(s);
    this.setCompareLevels(s);
    this.sample.setLevels(s.levelCount, targets);
    if (this.state.level > s.levelCount) this.state = { ...this.state, level: 0 };
    this.state = { ...this.state, layer: pickLayer(s, this.state.layer) };
    this.fillSelectors(s);
    this.persist();
    this.showLayerSelection();
    this.renderAll();
    this.root.dataset.state = 'ready';
    await Promise.all([this.loadLayerDetail(), this.loadGraph()]);
  }

  /** The model graph (laid out by the host); answers for an older summary are dropped. */
  private async loadGraph(): Promise<void> {
    const token = ++this.graphToken;
    try {
      const { graph } = await this.client.request({ kind: 'getGraph' }, LAYER_DETAIL_TIMEOUT_MS);
      if (token !== this.graphToken) return;
      this.graph.setGraph(graph);
      this.graph.render(this.palette, this.state.level);
      if (this.revealPending) this.graph.revealSelected();
      this.revealPending = false;
    } catch (e) {
      if (token === this.graphToken) this.graph.showMessage(`No model graph: ${errorText(e)}`);
    }
  }

  /** A node click: its largest chart layer becomes the selected layer; a node without one is only highlighted. */
  private selectGraphNode(node: GraphNodeData): void {
    const layer = layerForNode(node, summaryLayers(this.summary));
    if (layer) {
      this.selectLayer(layer);
      return;
    }
    this.graph.setSelection(this.state.layer, { node: node.id, message: `${node.name} (${node.className}) has no weights the charts show; they keep showing ${this.state.layer ?? 'no layer'}.` });
  }

  /** Reveal in Graph from the tree: select the layer (now, or when the summary arrives) and scroll to its node. */
  private revealLayer(layer: string): void {
    if (this.summary?.layers.some((l) => l.name === layer)) {
      this.selectLayer(layer);
      this.revealPending = !this.graph.revealSelected();
      return;
    }
    // Before the first summary: remembered; pickLayer keeps it once the summary lists it.
    this.state = { ...this.state, layer };
    this.revealPending = true;
  }

  /** Every per-layer view shows the selected layer: the graph node, the bars, the sensitivity line, the select. */
  private showLayerSelection(): void {
    const layer = this.state.layer;
    if (layer && this.layerSelect.value !== layer) this.layerSelect.value = layer;
    this.graph.setSelection(layer);
    this.layers.setSelectedLayer(layer);
    this.sensitivity.setSelectedLayer(layer);
  }

  private fillSelectors(s: CheckpointSummary): void {
    clear(this.levelSelect);
    this.levelSelect.append(h('vscode-option', { value: '0', text: s.levelCount > 0 ? 'All levels' : 'Single model' }));
    for (let level = 1; level <= s.levelCount; level++) {
      const target = level < s.levelCount ? s.meta?.targets[level - 1] : undefined;
      this.levelSelect.append(h('vscode-option', { value: String(level), text: levelLabel(level, s.levelCount, target) }));
    }
    this.levelSelect.toggleAttribute('disabled', s.levelCount === 0);
    this.levelSelect.value = String(this.state.level);
    clear(this.layerSelect);
    for (const l of s.layers) this.layerSelect.append(h('vscode-option', { value: l.name, text: `${l.name}  [${l.shape.join('×')}]` }));
    this.layerSelect.toggleAttribute('disabled', s.layers.length === 0);
    if (this.state.layer) this.layerSelect.value = this.state.layer;
  }

  /** Every finished level on both sides; by default the sparsest against the next one. */
  private setCompareLevels(s: CheckpointSummary): void {
    const levels = (s.meta?.levels ?? []).map((l) => ({ value: l.index, label: levelLabel(l.index, s.levelCount, l.dense ? undefined : l.targetSparsity) }));
    this.compare.setLevels(levels, levels, levels[0]?.value ?? 0, levels[1]?.value ?? levels[0]?.value ?? 0);
  }

  private selectLevel(level: number): void {
    if (level === this.state.level) return;
    this.state = { ...this.state, level };
    if (this.levelSelect.value !== String(level)) this.levelSelect.value = String(level);
    this.root.dataset.selectedLevel = String(level);
    this.persist();
    this.header.renderRows(level);
    this.layers.render(this.palette, level);
    this.graph.render(this.palette, level);
    this.nesting.render(this.palette, level);
    this.histogram.render(this.palette, level, this.state.histogramLog);
  }

  private selectLayer(layer: string): void {
    if (!layer || layer === this.state.layer) {
      if (layer) this.graph.setSelection(layer);
      return;
    }
    this.state = { ...this.state, layer };
    this.persist();
    this.showLayerSelection();
    void this.loadLayerDetail();
  }

  /** Heatmap and histogram of the selected layer; answers for a layer no longer selected are dropped. */
  private async loadLayerDetail(): Promise<void> {
    const layer = this.state.layer;
    const token = ++this.layerToken;
    this.root.dataset.layer = layer ?? '';
    if (!layer) {
      this.nesting.showMessage('This file has no weight tensors.');
      this.histogram.showMessage('This file has no weight tensors.');
      return;
    }
    const heatmap = this.client.request({ kind: 'getHeatmap', layer, maxCells: HEATMAP_MAX_CELLS }, LAYER_DETAIL_TIMEOUT_MS).then(
      (r) => {
        if (token !== this.layerToken) return;
        this.nesting.setHeatmap(r.heatmap);
        this.nesting.render(this.palette, this.state.level);
      },
      (e: unknown) => token === this.layerToken && this.nesting.showMessage(`No heatmap for ${layer}: ${errorText(e)}`),
    );
    const histogram = this.client.request({ kind: 'getHistogram', layer, bins: HISTOGRAM_BINS }, LAYER_DETAIL_TIMEOUT_MS).then(
      (r) => {
        if (token !== this.layerToken) return;
        this.histogram.setHistogram(r.histogram, this.summary?.meta?.targets ?? [], this.summary?.levelCount ?? 0);
        this.histogram.render(this.palette, this.state.level, this.state.histogramLog);
      },
      (e: unknown) => token === this.layerToken && this.histogram.showMessage(`No histogram for ${layer}: ${errorText(e)}`),
    );
    await Promise.all([heatmap, histogram]);
  }

  private async loadEvents(since: number, initial: boolean): Promise<void> {
    this.eventsCursor = undefined;
    try {
      const r = await this.client.request({ kind: 'getEvents', since });
      // An answer that does not start at `since` comes from a replaced file, read from its start.
      if (initial || r.from !== since) this.training.reset();
      this.training.append(r.events);
      this.eventsCursor = r.next;
    } catch (e) {
      this.eventsCursor = since;
      this.training.showUnavailable(`No training log: ${errorText(e)}`);
    }
    const raced = this.queued;
    this.queued = [];
    for (const q of raced) this.applyAppended(q, true);
  }

  private applyAppended(chunk: EventChunk, racedInitialAnswer: boolean): void {
    if (this.eventsCursor === undefined) {
      this.queued.push(chunk);
      return;
    }
    const d = decideAppend(this.eventsCursor, chunk, racedInitialAnswer);
    if (d.kind === 'restart') this.training.reset();
    if (d.kind === 'apply' || d.kind === 'restart') {
      this.eventsCursor = d.next;
      this.training.append(d.events);
    } else if (d.kind === 'refetch') {
      void this.loadEvents(d.since, false);
    }
  }

  private renderAll(): void {
    this.palette = currentPalette();
    applyChartTheme(this.palette);
    const level = this.state.level;
    this.header.renderRows(level);
    this.root.dataset.selectedLevel = String(level);
    this.accuracy.render(this.palette);
    this.layers.render(this.palette, level);
    this.graph.render(this.palette, level);
    this.nesting.render(this.palette, level);
    this.histogram.render(this.palette, level, this.state.histogramLog);
    this.training.render(this.palette);
    this.sensitivity.render(this.palette);
    this.compare.render(this.palette);
  }

  /** Views that need a summary stay hidden without one; a foreign file has no levels to compare or nest. */
  private showSummaryViews(s: CheckpointSummary | undefined): void {
    const elsa = s !== undefined && s.levelCount > 0;
    this.toolbar.hidden = !s;
    this.layers.card.root.hidden = !s;
    this.histogram.card.root.hidden = !s;
    this.accuracy.card.root.hidden = !elsa;
    this.nesting.card.root.hidden = !s;
    this.graph.card.root.hidden = !s;
    // The scan needs a model graph and a test set: ELSA checkpoints carry both (their run's dataset).
    this.sensitivity.card.root.hidden = !elsa;
    // Two levels to compare need a checkpoint with two finished levels.
    this.compare.card.root.hidden = !elsa || (s?.meta?.levels.length ?? 0) < 2;
    this.sample.card.root.hidden = !elsa;
  }

  private showError(text: string | undefined): void {
    this.banner.hidden = !text;
    this.banner.textContent = text ?? '';
    if (text) this.options.log('error', text);
  }

  private persist(): void {
    this.options.saveState(this.state);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
