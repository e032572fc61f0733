// An untrusted workspace (code-server asks about trust; the test keeps it restricted): inspecting checkpoints works
// (tree, dashboard, custom editor), while training, extraction and evaluation are not offered (palette, context
// menu), and the dashboard's own Extract button and a crafted `evaluate` message from the webview are refused with
// a message instead of running the CLI.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { assertDashboardMatchesCheckpoint, levelRowLabel } from './harness/checks';
import { chartIds, waitForDashboard } from './harness/dashboard';
import { ensureBuilt, makeWorkspace, readElsaMetadata, runCli, tensorSizes, tinyRunConfig } from './harness/fixtures';
import { poll } from './harness/poll';
import { openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate } from './harness/tools';
import type { Frame, Locator, Page } from 'playwright-core';
import { clearNotifications, expandTreeItem, keepWorkspaceRestricted, openFileByQuickOpen, openViewContainer, paletteHasCommand, pickQuickItem, runCommandForPicker, visibleWebview, waitForEditorTab, waitForNotification, waitForTreeItem } from './harness/ui';

const gate = e2eGate();

/**
 * The labels of an element's context menu (closed again with Escape); [] when VS Code shows none, which it does
 * when every entry's `when` clause is false.
 */
async function contextMenuEntries(page: Page, target: Locator): Promise<string[]> {
  await target.click({ button: 'right' });
  const labels = page.locator('.context-view .monaco-menu .action-label');
  const shown = await poll('the context menu', () => labels.first().isVisible(), { timeoutMs: 4_000 }).then(() => true, () => false);
  if (!shown) return [];
  const entries = (await labels.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  return entries;
}

/** The dashboard webview's content frame (the one `acquireVsCodeApi` lives in). */
async function dashboardFrame(page: Page): Promise<Frame> {
  let found: Frame | undefined;
  await poll('the dashboard frame', async () => {
    for (const f of page.frames()) {
      if (await f.evaluate(() => document.querySelector('#levels-table') !== null).catch(() => false)) found = f;
    }
    return found !== undefined;
  });
  return found!;
}
const VIEW = 'Checkpoints';

test('restricted mode: inspection works, training and extraction are refused', { skip: gate.skip, timeout: 180_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('restricted');
  workspace.write('fixture.elsa.json', JSON.stringify(tinyRunConfig('fixture', 'runs/fixture'), null, 2));
  await runCli(['train', 'fixture.elsa.json'], workspace.dir);
  const fixturePath = workspace.file('runs/fixture/fixture.elsa.safetensors');
  const fixtureMeta = readElsaMetadata(fixturePath);
  const fixtureSizes = tensorSizes(fixturePath);
  const filesBefore = readdirSync(workspace.file('runs/fixture')).sort();

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'restricted', workspace: workspace.dir, trustWorkspace: false });
    session = await openSession(server, 'restricted');
    const { page, step } = session;

    await step('workbench asks about trust; keep it restricted', async () => {
      await waitForWorkbench(page);
      await keepWorkspaceRestricted(page);
    });

    await step('Checkpoints tree lists the checkpoint with its levels', async () => {
      await openViewContainer(page, 'ELSA');
      const checkpoint = await waitForTreeItem(page, VIEW, 'fixture.elsa.safetensors');
      await expandTreeItem(checkpoint);
      for (const level of fixtureMeta.levels) await waitForTreeItem(page, VIEW, levelRowLabel(level));
    });

    await step('palette offers inspection but not training or extraction', async () => {
      assert.equal(await paletteHasCommand(page, 'ELSA: Open Dashboard'), true, 'Open Dashboard is offered');
      assert.equal(await paletteHasCommand(page, 'ELSA: Train'), false, 'Train is not offered in Restricted Mode');
      assert.equal(await paletteHasCommand(page, 'ELSA: Extract Sparse Model'), false, 'Extract is not offered in Restricted Mode');
      assert.equal(await paletteHasCommand(page, 'ELSA: Evaluate Checkpoint'), false, 'Evaluate is not offered in Restricted Mode');
    });

    await step('the context menu of a checkpoint and of a level offers no Evaluate, Extract or Export', async () => {
      for (const label of ['fixture.elsa.safetensors', levelRowLabel(fixtureMeta.levels[0])]) {
        const item = await waitForTreeItem(page, VIEW, label);
        const entries = await contextMenuEntries(page, item);
        // The checkpoint's menu keeps its inspection entries (so the right-click did open a menu).
        if (label.endsWith('.safetensors')) assert.ok(entries.some((e) => /Open Dashboard/.test(e)), `${label}: the menu opened (${entries.join(' / ')})`);
        for (const refused of [/Evaluate/, /Extract/, /Export/]) assert.ok(!entries.some((e) => refused.test(e)), `${label}: ${refused} offered: ${entries.join(' / ')}`);
      }
    });

    await step('dashboard shows the checkpoint', async () => {
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'fixture.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors');
      const readout = await waitForDashboard(page, 'all charts drawn with every level', (r) =>
        chartIds.every((id) => r.drawn[id]) && r.levels.length === fixtureMeta.levels.length,
      );
      assertDashboardMatchesCheckpoint(readout, fixtureMeta, { tensorSizes: fixtureSizes });
      await session!.shotWebviewElements('dashboard', ['#nesting-heatmap', '#histogram-chart', '#training-chart']);
    });

    await step("the dashboard's Extract button is refused with a message", async () => {
      await visibleWebview(page).locator('#levels-table .extract[data-level="1"]').click();
      const message = await waitForNotification(page, /trusted workspace/i);
      assert.match(message, /Extract/);
      // Nothing ran: the run folder holds exactly what the CLI wrote before the editor opened.
      assert.deepEqual(readdirSync(workspace.file('runs/fixture')).sort(), filesBefore);
    });

    await step("an `evaluate` message from the webview is refused with a message", async () => {
      await clearNotifications(page);
      // What the page's `acquireVsCodeApi().postMessage` does: VS Code deletes `window.parent` in the content
      // frame, so call the host frame's bridge (which that API wraps) directly.
      const host = (await dashboardFrame(page)).parentFrame();
      assert.ok(host, 'the webview host frame');
      await host.evaluate(() => {
        const post = (window as unknown as Record<string, (channel: string, data: unknown) => void>).__vscode_post_message__;
        post('onmessage', { message: { id: 900_000, type: 'notification', body: { kind: 'command', command: 'evaluate', level: 1 } }, transfer: [] });
      });
      const message = await waitForNotification(page, /trusted workspace/i);
      assert.match(message, /Evaluate/);
      assert.deepEqual(readdirSync(workspace.file('runs/fixture')).sort(), filesBefore);
      await session!.shot('evaluate-refused');
    });

    await step('opening the checkpoint file shows the custom editor', async () => {
      await openFileByQuickOpen(page, 'runs/fixture/fixture.elsa.safetensors');
      await poll('the custom editor tab to be active', async () => {
        const active = await page.locator('.tabs-container .tab.active').getAttribute('aria-label');
        return active?.includes('fixture.elsa.safetensors') && !active.startsWith('ELSA:');
      });
      const readout = await waitForDashboard(page, 'the checkpoint in the editor', (r) =>
        chartIds.every((id) => r.drawn[id]) && r.levels.length === fixtureMeta.levels.length,
      );
      assertDashboardMatchesCheckpoint(readout, fixtureMeta, { tensorSizes: fixtureSizes });
      assert.ok(!existsSync(workspace.file('runs/fixture/exports')), 'no export was written');
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
