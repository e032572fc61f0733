/**
 * The dashboard of a study folder: asks the host for study.json, shows the study view, and reloads when the
 * host says the file changed (a study writes it after every cell).
 */
import type { HostNotification } from '../src/protocol/webview';
import { applyChartTheme } from './charts';
import type { DashboardClient } from './client';
import { clear, h } from './dom';
import { SUMMARY_TIMEOUT_MS } from './limits';
import { currentPalette, observeTheme } from './theme';
import { StudyView } from './views/study';

export class StudyDashboard {
  private readonly view = new StudyView();
  private readonly title = h('h1', { id: 'study-title', text: 'Study' });
  private readonly facts = h('p', { class: 'card-description', id: 'study-facts' });
  private readonly banner = h('div', { class: 'banner', id: 'dashboard-error', role: 'alert', hidden: true });
  private token = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: DashboardClient,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    clear(root);
    root.dataset.state = 'loading';
    root.dataset.kind = 'study';
    root.append(h('header', { class: 'header' }, this.title, this.facts), this.banner, this.view.root);
    observeTheme(() => this.render());
    client.onNotification((n: HostNotification) => {
      if (n.kind === 'summaryChanged') void this.load();
      if (n.kind === 'init') this.title.textContent = `Study · ${n.target.label}`;
    });
  }

  setTargetLabel(label: string): void {
    this.title.textContent = `Study · ${label}`;
  }

  async start(): Promise<void> {
    await this.load();
  }

  private async load(): Promise<void> {
    const token = ++this.token;
    try {
      const { study } = await this.client.request({ kind: 'getStudy' }, SUMMARY_TIMEOUT_MS);
      if (token !== this.token) return;
      const done = study.cells.filter((c) => c.status === 'complete').length;
      this.title.textContent = `Study · ${study.name}`;
      this.facts.textContent =
        `${study.dataset ?? 'data ?'}; ${study.testCount ?? '?'} test images; seeds ${study.seeds.join(', ')}; ${study.training ?? ''}. ` +
        `Warm-up ${study.epochs.warmup}, ${study.epochs.perPhase} epochs per phase, dense ${study.epochs.dense}. Cells complete: ${done} of ${study.cells.length}.`;
      this.banner.hidden = true;
      this.view.setStudy(study);
      this.render();
      this.root.dataset.state = 'ready';
    } catch (e) {
      if (token !== this.token) return;
      const text = e instanceof Error ? e.message : String(e);
      this.banner.textContent = text;
      this.banner.hidden = false;
      this.root.dataset.state = 'error';
      this.log('error', text);
    }
  }

  private render(): void {
    const p = currentPalette();
    applyChartTheme(p);
    this.view.render(p);
  }
}
