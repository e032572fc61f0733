// Reading the dashboard webview the way a test can trust: every chart canvas carries the numbers it draws as
// JSON data attributes (webview/dom.ts setDataJson), the levels table carries each level's numbers, and a
// canvas counts as drawn when it has painted pixels.

import type { Locator, Page } from 'playwright-core';
import { poll } from './poll';
import { visibleWebview } from './ui';

export const dashboardRoot = '#elsa-dashboard';
export const chartIds = ['accuracy-chart', 'layer-sparsity-chart', 'nesting-heatmap', 'training-chart', 'histogram-chart'] as const;
export type ChartId = (typeof chartIds)[number];

export interface LevelRow {
  level: number;
  targetSparsity: number;
  sparsity: number;
  accuracy: number;
}

export interface DashboardReadout {
  /** data-state of the root: loading | ready | error. */
  state: string;
  kind: string;
  title: string;
  levels: LevelRow[];
  /** Parsed data-* JSON of each chart canvas, by chart id (undefined when the canvas has none). */
  points: Record<ChartId, unknown>;
  /** All data-* attributes of each chart canvas, raw. */
  attributes: Record<ChartId, Record<string, string>>;
  /** Whether each chart canvas exists, has a size and has painted pixels. */
  drawn: Record<ChartId, boolean>;
  errorText: string;
}

export async function readDashboard(root: Locator, timeoutMs = 5_000): Promise<DashboardReadout> {
  // tsx compiles with esbuild's keepNames, which wraps named functions in a `__name` helper that the page lacks.
  await root.evaluate(() => {
    (globalThis as { __name?: unknown }).__name ??= (target: unknown) => target;
  }, undefined, { timeout: timeoutMs });
  return root.evaluate(
    (rootElement, { ids }) => {
      const root = rootElement as HTMLElement;
      const number = (value: string | undefined): number => (value === undefined || value === '' ? NaN : Number(value));
      const levels = [...document.querySelectorAll<HTMLElement>('#levels-table tr[data-level]')].map((row) => ({
        level: number(row.dataset.level),
        targetSparsity: number(row.dataset.targetSparsity),
        sparsity: number(row.dataset.sparsity),
        accuracy: number(row.dataset.accuracy),
      }));
      const points: Record<string, unknown> = {};
      const attributes: Record<string, Record<string, string>> = {};
      const drawn: Record<string, boolean> = {};
      for (const id of ids) {
        const canvas = document.getElementById(id) as HTMLCanvasElement | null;
        attributes[id] = canvas ? { ...canvas.dataset } as Record<string, string> : {};
        const json = canvas?.dataset.points ?? canvas?.dataset.codeShare;
        try {
          points[id] = json ? JSON.parse(json) : undefined;
        } catch {
          points[id] = `unparsable: ${json}`;
        }
        drawn[id] = false;
        if (canvas && canvas.width > 0 && canvas.height > 0) {
          try {
            const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
            if (pixels) for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) { drawn[id] = true; break; }
          } catch {
            drawn[id] = true; // a tainted or non-2d canvas still shows something
          }
        }
      }
      return {
        state: root?.dataset.state ?? 'missing',
        kind: root?.dataset.kind ?? '',
        title: document.getElementById('file-name')?.textContent ?? '',
        levels,
        points,
        attributes,
        drawn,
        errorText: root?.dataset.state === 'error' ? (root.innerText || '').slice(0, 500) : '',
      };
    },
    { ids: [...chartIds] },
    { timeout: timeoutMs },
  ) as Promise<DashboardReadout>;
}

/**
 * Reads the dashboard in the visible webview. The frame is found through the DOM on every call
 * (iframe.webview → #active-frame): VS Code swaps a webview's frame when it reloads, and a held frame goes stale.
 */
export async function readVisibleDashboard(page: Page, timeoutMs = 5_000): Promise<DashboardReadout> {
  return readDashboard(visibleWebview(page).locator(dashboardRoot), timeoutMs);
}

/** Waits until the dashboard says ready and `accept` holds for what it shows. */
export async function waitForDashboard(
  page: Page,
  what: string,
  accept: (readout: DashboardReadout) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<DashboardReadout> {
  let last: DashboardReadout | undefined;
  return poll(
    `the dashboard to show ${what}`,
    async () => {
      last = await readVisibleDashboard(page);
      if (last.state === 'error') throw new Error(`dashboard error: ${last.errorText}`);
      return last.state === 'ready' && accept(last) ? last : undefined;
    },
    { timeoutMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nlast dashboard readout: ${JSON.stringify(summarize(last))}`);
  });
}

/** A short form of a readout for failure messages. */
export function summarize(readout: DashboardReadout | undefined): unknown {
  if (!readout) return undefined;
  const attributes = Object.fromEntries(
    Object.entries(readout.attributes).map(([id, attrs]) => [id, Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 120)}…` : v]))]),
  );
  return { state: readout.state, kind: readout.kind, title: readout.title, levels: readout.levels, drawn: readout.drawn, attributes, error: readout.errorText };
}
