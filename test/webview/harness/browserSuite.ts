/**
 * The setup every dashboard browser test shares: the harness built into a temp folder and served, one Chromium
 * (playwright-core, /usr/bin/chromium) for the suite, and `open(query)` — a page on the fixture host that
 * collects console errors and page errors and waits until the dashboard has drawn the query's scenario.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildHarness, serveHarness, waitForDashboard } from './shoot';

export const CHROMIUM = '/usr/bin/chromium';
/** The `skip` of a browser suite: a reason where Chromium is missing, else false. */
export const chromiumSkip: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;

export interface BrowserSuite {
  /** The suite's browser and the harness page's address (set once `before` has run). */
  readonly browser: Browser;
  readonly url: string;
  /** A fresh 1200×900 page at `url?query`, after the dashboard drew (the query's `scenario`, default elsa). */
  open(query: string, beforeLoad?: (page: Page) => Promise<unknown>): Promise<{ page: Page; errors: string[] }>;
}

/** Registers the suite's before/after hooks (call it inside `describe`); `prefix` names the temp folder. */
export function useBrowserSuite(prefix: string): BrowserSuite {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let url = '';
  let dir = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    await buildHarness(dir, false);
    ({ url, server } = await serveHarness(dir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get browser() {
      if (!browser) throw new Error('the browser suite has not started (use it inside a test)');
      return browser;
    },
    get url() {
      return url;
    },
    async open(query, beforeLoad) {
      const page = await this.browser.newPage({ viewport: { width: 1200, height: 900 } });
      await beforeLoad?.(page);
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}?${query}`);
      await waitForDashboard(page, new URLSearchParams(query).get('scenario') ?? 'elsa', 0);
      return { page, errors };
    },
  };
}
