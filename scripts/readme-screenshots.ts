// Takes the README screenshots in a real VS Code (code-server + Chromium, the e2e harness) with the built
// extension, on the demo run made by `npm run demo`: the Checkpoints tree, the dashboard panel and the custom editor.
// Not a test (npm test runs only test/**/*.test.ts). Run: node --import tsx scripts/readme-screenshots.ts
// Writes docs/images/{explorer,dashboard,checkpoint-editor}.png (light theme; the editor in Dark Modern), shrunk with
// pngquant when installed. Needs `bash scripts/setup-e2e.sh` and runs/demo; ELSA_SCREENSHOTS_KEEP=1 keeps the workspace.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from '../test/e2e/harness/codeServer';
import { chartIds, waitForDashboard } from '../test/e2e/harness/dashboard';
import { ensureBuilt, makeWorkspace } from '../test/e2e/harness/fixtures';
import { delay, poll } from '../test/e2e/harness/poll';
import { log, openSession, waitForWorkbench, type Session } from '../test/e2e/harness/session';
import { missingE2eTools, repoRoot } from '../test/e2e/harness/tools';
import {
  clearNotifications,
  expandTreeItem,
  openFileByQuickOpen,
  openViewContainer,
  pickQuickItem,
  runCommand,
  waitForEditorTab,
  waitForTreeItem,
  waitForTreeStable,
} from '../test/e2e/harness/ui';

const VIEW = 'Checkpoints';
const demoRun = path.join(repoRoot, 'runs', 'demo');
const demoConfig = path.join(repoRoot, 'examples', 'demo.elsa.json');
const imagesDir = path.join(repoRoot, 'docs', 'images');
const viewport = { width: 1440, height: 900 };
/** Tall enough for the whole dashboard of the demo run, down to the training curve's legend, without scrolling. */
const dashboardViewport = { width: 1440, height: 2060 };
/** Wide enough for rows like `Level 2 · 90.0 % sparse · acc 87.2 %` with their descriptions. */
const sideBarWidth = 560;
/** README images are kept small: pngquant (apt) re-encodes them with a palette; without it a warning says so. */
const maxImageBytes = 250 * 1024;

function requireDemoRun(): void {
  const needed = ['demo.elsa.safetensors', 'report.json', 'baselines'].map((name) => path.join(demoRun, name));
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`${path.relative(repoRoot, demoRun)}: missing ${missing.map((m) => path.basename(m)).join(', ')}; run \`npm run demo\` first`);
  }
}

/** Drags the sash between the side bar and the editor until the side bar is `width` pixels wide. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const sideBar = await page.locator('.part.sidebar').boundingBox();
  if (!sideBar) throw new Error('the side bar is not visible');
  const edge = sideBar.x + sideBar.width;
  const y = sideBar.y + sideBar.height / 2;
  await page.mouse.move(edge - 1, y);
  await page.mouse.down();
  await page.mouse.move(edge + 40, y, { steps: 4 });
  await page.mouse.move(sideBar.x + width, y, { steps: 8 });
  await page.mouse.up();
  await poll(`the side bar to be about ${width} px wide`, async () => {
    const box = await page.locator('.part.sidebar').boundingBox();
    return box && Math.abs(box.width - width) < 24;
  }, { timeoutMs: 5_000 });
}

/** Clears notifications, takes the mouse off hovers, and waits a moment for animations to end. */
async function quietScreen(page: Page): Promise<void> {
  await clearNotifications(page);
  await page.mouse.move(viewport.width - 2, viewport.height - 2);
  await delay(800);
}

async function capture(page: Page, name: string): Promise<string> {
  mkdirSync(imagesDir, { recursive: true });
  const file = path.join(imagesDir, `${name}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  const shrink = spawnSync('pngquant', ['--quality', '70-100', '--speed', '1', '--strip', '--force', '--skip-if-larger', '--output', file, file], { encoding: 'utf8' });
  // 98 and 99: pngquant kept the original (it would not be smaller, or not at that quality).
  if (shrink.status !== 0 && shrink.status !== 98 && shrink.status !== 99) {
    log(`pngquant did not shrink ${name}.png (${shrink.error?.message ?? shrink.stderr.trim()}); \`apt-get install pngquant\` keeps the images small`);
  }
  const kilobytes = Math.round(statSync(file).size / 1024);
  log(`wrote ${path.relative(repoRoot, file)} (${kilobytes} KB${statSync(file).size > maxImageBytes ? ', over the 250 KB meant for the README' : ''})`);
  return file;
}

async function explorerShot(session: Session): Promise<void> {
  const { page, step } = session;
  await step('Checkpoints tree: demo checkpoint, its levels, layers and the baselines', async () => {
    await openViewContainer(page, 'ELSA');
    await widenSideBar(page, sideBarWidth);
    const checkpoint = await waitForTreeItem(page, VIEW, 'demo.elsa.safetensors');
    await waitForTreeStable(page, VIEW);
    await expandTreeItem(checkpoint);
    await expandTreeItem(await waitForTreeItem(page, VIEW, /^Layers \(/));
    await expandTreeItem(await waitForTreeItem(page, VIEW, /^Baselines/));
    await waitForTreeItem(page, VIEW, 'independent-90-strict-5ep.safetensors');
    // The run config beside the tree, so the picture shows where the run came from.
    await openFileByQuickOpen(page, 'examples/demo.elsa.json');
    await waitForEditorTab(page, 'demo.elsa.json');
    // Focus in the editor: the tree's last expanded row would otherwise keep its focus outline.
    await page.locator('.editor-group-container .monaco-editor .view-lines').first().click({ position: { x: 400, y: 700 } });
    await quietScreen(page);
    await capture(page, 'explorer');
  });
}

async function dashboardShot(session: Session): Promise<void> {
  const { page, step } = session;
  await step('dashboard panel of the demo run', async () => {
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'ELSA: Open Dashboard');
    await pickQuickItem(page, /run · runs\/demo(?!\/)/, { title: 'ELSA: open the dashboard of' });
    await waitForEditorTab(page, 'ELSA: demo');
    await waitForDashboard(page, 'every chart with the report baselines', (r) =>
      chartIds.every((id) => r.drawn[id]) && (r.points['accuracy-chart'] as { source?: string } | undefined)?.source === 'report',
    60_000);
    // The charts need the room: no side bar, and a window tall enough for the whole dashboard.
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await page.setViewportSize(dashboardViewport);
    await quietScreen(page);
    await capture(page, 'dashboard');
    await page.setViewportSize(viewport);
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  });
}

/** Switches the color theme the way a user does: Preferences: Color Theme, then the theme's row. */
async function useColorTheme(page: Page, theme: string, bodyClass: 'vs' | 'vs-dark'): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await pickQuickItem(page, new RegExp(`^${theme}\\b`));
  await poll(`the ${theme} theme`, () => page.locator(`.monaco-workbench.${bodyClass}`).isVisible(), { timeoutMs: 15_000 });
}

async function editorShot(session: Session): Promise<void> {
  const { page, step } = session;
  await step('custom editor on the checkpoint file, dark theme', async () => {
    await useColorTheme(page, 'Dark Modern', 'vs-dark');
    await runCommand(page, 'View: Close All Editors');
    await openFileByQuickOpen(page, 'runs/demo/demo.elsa.safetensors');
    await poll('the custom editor tab to be active', async () => {
      const active = await page.locator('.tabs-container .tab.active').getAttribute('aria-label');
      return active?.includes('demo.elsa.safetensors') && !active.startsWith('ELSA:');
    });
    await waitForDashboard(page, 'the checkpoint in the editor', (r) => chartIds.every((id) => r.drawn[id]), 60_000);
    await quietScreen(page);
    await capture(page, 'checkpoint-editor');
  });
}

async function main(): Promise<void> {
  const missing = missingE2eTools();
  if (missing.length > 0) throw new Error(`missing: ${missing.join('; ')}; run \`bash scripts/setup-e2e.sh\``);
  requireDemoRun();
  ensureBuilt();
  const workspace = makeWorkspace('screenshots');
  // Same layout as the repository, so the config's outDir (../runs/demo) points at the run.
  cpSync(demoRun, workspace.file('runs/demo'), { recursive: true });
  cpSync(demoConfig, workspace.file('examples/demo.elsa.json'));
  // The config's $schema (../schemas/elsa-run.schema.json) resolves, so the editor shows no warning.
  cpSync(path.join(repoRoot, 'schemas'), workspace.file('schemas'), { recursive: true });

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({
      name: 'readme-screenshots',
      workspace: workspace.dir,
      trustWorkspace: true,
      settings: { 'workbench.colorTheme': 'Default Light Modern', 'window.commandCenter': false, 'workbench.layoutControl.enabled': false },
    });
    session = await openSession(server, 'readme-screenshots');
    await session.page.setViewportSize(viewport);
    await session.step('workbench ready', () => waitForWorkbench(session!.page));
    await explorerShot(session);
    await dashboardShot(session);
    await editorShot(session);
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_SCREENSHOTS_KEEP) workspace.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
