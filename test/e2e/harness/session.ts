// A test's browser session on one code-server: Chromium through playwright-core, a numbered screenshot after every
// step, and on failure a screenshot plus a text dump of what the workbench showed and the server's log tail.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { CodeServer } from './codeServer';
import { poll } from './poll';
import { chromiumPath, playwrightCorePath, shotsRoot } from './tools';

type PlaywrightCore = typeof import('playwright-core');

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Everything but loopback resolves to nothing: the test cannot reach the internet even by accident.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
  '--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter',
];

export interface Session {
  readonly page: Page;
  readonly server: CodeServer;
  readonly shotsDir: string;
  /** Runs one named step; a screenshot follows success, a screenshot and a screen dump follow failure. */
  step<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** An extra screenshot inside a step. */
  shot(name: string): Promise<string>;
  /** Screenshots of elements of the visible webview scrolled into view in turn (charts below the fold). */
  shotWebviewElements(name: string, selectors: readonly string[]): Promise<void>;
  /** What the workbench shows now, as text: notifications, dialogs, quick input, editors, views, status bar. */
  describeScreen(): Promise<string>;
  close(): Promise<void>;
}

export async function openSession(server: CodeServer, testName: string): Promise<Session> {
  const modulePath = playwrightCorePath();
  const executablePath = chromiumPath();
  if (!modulePath || !executablePath) throw new Error('playwright-core or chromium missing: run `bash scripts/setup-e2e.sh`');
  const playwright = (await import(modulePath)) as PlaywrightCore & { default?: PlaywrightCore };
  const chromium = (playwright.chromium ?? playwright.default?.chromium) as PlaywrightCore['chromium'];

  const shotsDir = path.join(shotsRoot, testName);
  rmSync(shotsDir, { recursive: true, force: true });
  mkdirSync(shotsDir, { recursive: true });

  const browser: Browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text().slice(0, 300));
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message.slice(0, 300)}`));

  let shotCounter = 0;
  const shot = async (name: string): Promise<string> => {
    shotCounter += 1;
    const file = path.join(shotsDir, `${String(shotCounter).padStart(2, '0')}-${slug(name)}.png`);
    await page.screenshot({ path: file, timeout: 10_000 }).catch((error: Error) => log(`screenshot ${path.basename(file)} failed: ${error.message.split('\n')[0]}`));
    return file;
  };

  const describeScreen = (): Promise<string> => describeWorkbench(page, consoleErrors);

  const shotWebviewElements = async (name: string, selectors: readonly string[]): Promise<void> => {
    const content = page.frameLocator('iframe.webview.ready >> visible=true').first().frameLocator('#active-frame');
    for (const selector of selectors) {
      await content.locator(selector).scrollIntoViewIfNeeded({ timeout: 5_000 }).catch(() => undefined);
      await shot(`${name} ${selector}`);
    }
    await content.locator('body').evaluate(() => window.scrollTo(0, 0)).catch(() => undefined);
  };

  const step = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const result = await body();
      await shot(name);
      log(`${testName}: ${name} (${Date.now() - started} ms)`);
      return result;
    } catch (error) {
      const file = await shot(`FAILED-${name}`);
      const screen = await describeScreen().catch((e: Error) => `(could not read the screen: ${e.message})`);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `step "${name}" failed: ${message}\n--- screenshot: ${file}\n--- on screen:\n${screen}\n` +
          `--- code-server log (tail):\n${server.logTail(25)}`,
        { cause: error },
      );
    }
  };

  const close = async (): Promise<void> => {
    await browser.close().catch(() => undefined);
  };

  await page.goto(server.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return { page, server, shotsDir, step, shot, shotWebviewElements, describeScreen, close };
}

export function log(line: string): void {
  process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** Reads the visible parts of the workbench that explain a failure; each bounded so the dump stays short. */
/** What the workbench shows now, as text: focus, notifications, dialogs, quick input, editors, views, status bar. */
export async function describeWorkbench(page: Page, consoleErrors: readonly string[] = []): Promise<string> {
  const focus = await page
    .evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : ''}` : 'none';
    })
    .catch(() => '?');
  const sections: Array<[string, string]> = [
    ['notifications', '.notifications-toasts .notification-toast, .notifications-center .notification-list-item'],
    ['dialog', '.monaco-dialog-box'],
    ['quick input', '.quick-input-widget:not([style*="display: none"])'],
    ['editor tabs', '.tabs-container .tab'],
    ['side bar', '.part.sidebar'],
    ['panel', '.part.panel .composite.title'],
    ['terminal', '.part.panel .xterm-rows'],
    ['status bar', '.part.statusbar'],
  ];
  // Focus matters: a quick input closes when a webview takes it.
  const lines: string[] = [`[focus] ${focus}`];
  for (const [title, selector] of sections) {
    const texts = await page
      .locator(selector)
      .evaluateAll((elements) =>
        elements
          .filter((element) => (element as HTMLElement).offsetParent !== null)
          .map((element) => ((element as HTMLElement).innerText || '').replace(/\s+/g, ' ').trim())
          .filter((text) => text.length > 0),
      )
      .catch(() => [] as string[]);
    if (texts.length > 0) lines.push(`[${title}] ${texts.join(' | ').slice(0, 1200)}`);
  }
  for (const frame of page.frames()) {
    if (frame === page.mainFrame() || !frame.url().includes('fake.html')) continue;
    const text = await frame
      .evaluate(() => document.body?.innerText ?? '')
      .catch(() => '');
    if (text.trim()) lines.push(`[webview] ${text.replace(/\s+/g, ' ').trim().slice(0, 800)}`);
  }
  if (consoleErrors.length > 0) lines.push(`[browser console errors] ${consoleErrors.slice(-8).join(' | ')}`);
  return lines.join('\n') || '(nothing readable on screen)';
}

/** Waits until the workbench has rendered and its extension host is up (the status bar shows and settles). */
export async function waitForWorkbench(page: Page): Promise<void> {
  await poll('the workbench (.monaco-workbench) to render', () => page.locator('.monaco-workbench').isVisible(), {
    timeoutMs: 60_000,
  });
  await poll('the status bar', () => page.locator('.part.statusbar').isVisible(), { timeoutMs: 30_000 });
}
