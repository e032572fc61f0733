/**
 * The Compare panel's page (page meta `elsa-target-kind` = `compare`): the host holds the two sides it was
 * opened with; the page asks `getCompare` (levels 0 = as opened), shows the Compare view, and offers each
 * side's other levels from the answer.
 */
import type { HostNotification } from '../src/protocol/webview';
import { DEFAULT_COMPARE_BINS, type CompareSide } from '../src/protocol/compare';
import { applyChartTheme } from './charts';
import type { DashboardClient } from './client';
import { sideLevelLabel } from './compareSeries';
import { clear, h } from './dom';
import { LAYER_DETAIL_TIMEOUT_MS } from './limits';
import { currentPalette, observeTheme } from './theme';
import { CompareView, type LevelChoice } from './views/compare';

/** A side's levels as choices, labelled as the view labels the side itself (target 0: the dense level). */
function choices(s: CompareSide): LevelChoice[] {
  return s.levels.map((level, i) => ({ value: level, label: sideLevelLabel({ ...s, level, dense: s.levelTargets[i] === 0, targetSparsity: s.levelTargets[i] }) }));
}

export class CompareDashboard {
  private readonly title = h('h1', { id: 'compare-title', text: 'Compare' });
  private readonly view: CompareView;
  private levelsShown = false;

  constructor(
    private readonly root: HTMLElement,
    client: DashboardClient,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ) {
    this.view = new CompareView({
      run: async (levelA, levelB) => {
        try {
          const { compare } = await client.request({ kind: 'getCompare', levelA, levelB, bins: DEFAULT_COMPARE_BINS }, LAYER_DETAIL_TIMEOUT_MS);
          if (!this.levelsShown) {
            this.levelsShown = true;
            this.view.setLevels(choices(compare.a), choices(compare.b), compare.a.level ?? 0, compare.b.level ?? 0);
          }
          this.root.dataset.state = 'ready';
          return compare;
        } catch (e) {
          this.root.dataset.state = 'error';
          this.log('error', e instanceof Error ? e.message : String(e));
          throw e;
        }
      },
    }, 'Compare');
    clear(root);
    root.dataset.state = 'loading';
    root.dataset.kind = 'compare';
    this.view.setLevels([], [], 0, 0);
    root.append(h('header', { class: 'header' }, this.title), this.view.card.root);
    observeTheme(() => this.render());
    client.onNotification((n: HostNotification) => {
      if (n.kind === 'init') this.setTargetLabel(n.target.label);
    });
  }

  setTargetLabel(label: string): void {
    this.title.textContent = `Compare · ${label}`;
  }

  async start(): Promise<void> {
    this.render();
    await this.view.start();
  }

  private render(): void {
    const p = currentPalette();
    applyChartTheme(p);
    this.view.render(p);
  }
}
