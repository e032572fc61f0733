/**
 * Builds the dashboard with a fake host (fixtures) into a static page and screenshots it in Chromium, in light,
 * dark and high-contrast themes, in the extension's own page (src/extension/dashboardHtml.ts: strict CSP, nonce'd
 * script). Prints console errors and CSP violations; exits non-zero on any.
 *
 *   node --import tsx test/webview/harness/shoot.ts [outDir] [--scenario=elsa,meta-only,foreign,broken] [--theme=light,dark,hc]
 *     [--width=1280] [--query=live=1] [--file=runs/demo/demo.elsa.safetensors] [--element=#training-section]
 *
 * Run from the repository root. Default outDir: test/e2e/shots/webview (git-ignored). Needs /usr/bin/chromium
 * and playwright-core.
 */
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { dashboardHtml } from '../../../src/extension/dashboardHtml';
import { loadRealFile } from './realFile';
import { themeCss, type ThemeKind } from './themes';

const NONCE = 'harnessnonce';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built page over loopback http, as a webview is served (CSP 'self' does not cover file: URLs). */
export async function serveHarness(outDir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html';
    try {
      const body = readFileSync(path.join(outDir, name));
      res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      // (Chromium asks for /favicon.ico; nothing the dashboard loads should miss.)
      res.writeHead(name === 'favicon.ico' ? 204 : 404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/index.html`, server };
}

/** Builds page + bundle into outDir; `realFile` (a checkpoint path) becomes the data of `?scenario=file`. */
export async function buildHarness(outDir: string, sourcemap = true, realFile?: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.resolve('test/webview/harness/entry.ts')],
    outfile: path.join(outDir, 'harness.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: sourcemap ? 'inline' : false,
    logLevel: 'warning',
    loader: { '.css': 'text' },
  });
  copyFileSync('media/dashboard.css', path.join(outDir, 'dashboard.css'));
  const real = realFile ? await loadRealFile(realFile) : null;
  writeFileSync(path.join(outDir, 'realdata.js'), `window.elsaRealData = ${JSON.stringify(real)};\n`);
  // The extension's own page (same CSP, same tags), plus the theme variables VS Code would set on <html> and
  // the real-file data, both nonce'd like the page's script.
  const page = dashboardHtml({
    cspSource: "'self'",
    scriptUri: 'harness.js',
    styleUris: ['dashboard.css'],
    nonce: NONCE,
    target: { uri: 'file:///harness', label: 'harness' },
    host: 'panel',
  });
  const html = page
    .replace('</head>', `  <style nonce="${NONCE}">\n${themeCss()}  </style>\n</head>`)
    .replace(`<script nonce="${NONCE}" src="harness.js">`, `<script nonce="${NONCE}" src="realdata.js"></script>\n  <script nonce="${NONCE}" src="harness.js">`);
  if (!html.includes('realdata.js')) throw new Error('harness: the dashboard page no longer loads its script as expected');
  writeFileSync(path.join(outDir, 'index.html'), html);
  // The same page for a study folder (the host marks the target as a study).
  const studyPage = dashboardHtml({ cspSource: "'self'", scriptUri: 'harness.js', styleUris: ['dashboard.css'], nonce: NONCE, target: { uri: 'file:///harness', label: 'harness', kind: 'study' }, host: 'panel' })
    .replace('</head>', `  <style nonce="${NONCE}">\n${themeCss()}  </style>\n</head>`);
  writeFileSync(path.join(outDir, 'study.html'), studyPage);
}

/** Waits until the dashboard has loaded and, for an ELSA file, drawn its heatmap and histogram. */
export async function waitForDashboard(page: Page, scenario: string, settleMs = 300): Promise<void> {
  await page.waitForSelector('#elsa-dashboard[data-state="ready"], #elsa-dashboard[data-state="error"]', { timeout: 15000 });
  if (scenario !== 'broken') await page.waitForSelector('#histogram-chart[data-points]', { timeout: 15000 });
  if (scenario !== 'broken') await page.waitForSelector('#nesting-heatmap[data-rows], #nesting-section-note:not([hidden])', { timeout: 15000 });
  if (settleMs > 0) await page.waitForTimeout(settleMs);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outDir = args.find((a) => !a.startsWith('--')) ?? 'test/e2e/shots/webview';
  const pick = (name: string, all: string[]): string[] => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1].split(',') ?? all;
  const file = pick('file', [''])[0] || undefined;
  const scenarios = pick('scenario', file ? ['file'] : ['elsa', 'meta-only', 'foreign', 'broken']);
  const themes = pick('theme', ['light', 'dark', 'hc']) as ThemeKind[];
  const width = Number(pick('width', ['1280'])[0]);
  const extra = pick('query', [''])[0];
  const element = pick('element', [''])[0];
  await buildHarness(outDir, true, file);
  const { url, server } = await serveHarness(outDir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  let problems = 0;
  try {
    for (const scenario of scenarios) {
      for (const theme of themes) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') {
            problems += m.type() === 'error' ? 1 : 0;
            console.log(`[${scenario}/${theme}] console.${m.type()}: ${m.text()}`);
          }
        });
        page.on('pageerror', (e) => {
          problems++;
          console.log(`[${scenario}/${theme}] page error: ${e.message}`);
        });
        await page.goto(`${url}?scenario=${scenario}&theme=${theme}${extra ? `&${extra}` : ''}`);
        await waitForDashboard(page, scenario);
        const shot = path.join(outDir, `${scenario}-${theme}${width !== 1280 ? `-${width}` : ''}.png`);
        if (element) await page.locator(element).screenshot({ path: shot });
        else await page.screenshot({ path: shot, fullPage: true });
        console.log(`wrote ${shot}`);
        await page.close();
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  if (problems > 0) {
    console.log(`${problems} console error(s)`);
    process.exitCode = 1;
  }
}

if (/shoot\.ts$/.test(process.argv[1] ?? '')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
