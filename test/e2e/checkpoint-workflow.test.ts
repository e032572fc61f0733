// The whole editor workflow in a real VS Code (code-server) driven by Chromium, in a trusted workspace:
// a checkpoint made by the CLI shows in the Checkpoints tree with its levels; the dashboard shows every chart with
// the numbers in the file; the custom editor opens the checkpoint; a training run started from the palette feeds
// the live training curve and its checkpoint appears in the tree; a level extracted from the tree's context menu is
// a file the CLI can inspect.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { assertDashboardMatchesCheckpoint, levelRowLabel } from './harness/checks';
import { chartIds, readVisibleDashboard, waitForDashboard } from './harness/dashboard';
import { ensureBuilt, inspectJson, makeWorkspace, readElsaMetadata, runCli, tensorSizes, tinyRunConfig } from './harness/fixtures';
import { poll } from './harness/poll';
import { log, openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate } from './harness/tools';
import { answerInputBox, expandTreeItem, openFileByQuickOpen, openViewContainer, pickQuickItem, runCommandForPicker, runContextMenu, statusBarText, waitForEditorTab, waitForTaskResult, waitForTreeItem, waitForTreeStable } from './harness/ui';

const gate = e2eGate();
const VIEW = 'Checkpoints';

test('checkpoint workflow: tree, dashboard, custom editor, live training, extraction', { skip: gate.skip, timeout: 300_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('workflow');
  // A checkpoint made by the CLI on tiny settings, and a second run config the test trains from the palette.
  workspace.write('fixture.elsa.json', JSON.stringify(tinyRunConfig('fixture', 'runs/fixture'), null, 2));
  const live = { ...tinyRunConfig('live', 'runs/live'), data: { limitTrain: 6000, limitTest: 300 }, epochs: { warmup: 8, perPhase: 8, dense: 8 } };
  workspace.write('live.elsa.json', JSON.stringify(live, null, 2));
  // The run folder exists before its first training (an empty log), so its dashboard can be open when it starts.
  workspace.write('runs/live/events.jsonl', '');
  await runCli(['train', 'fixture.elsa.json'], workspace.dir);
  const fixturePath = workspace.file('runs/fixture/fixture.elsa.safetensors');
  const fixtureMeta = readElsaMetadata(fixturePath);
  const fixtureSizes = tensorSizes(fixturePath);
  const fixtureEvents = readFileSync(workspace.file('runs/fixture/events.jsonl'), 'utf8').trim().split('\n').length;

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'workflow', workspace: workspace.dir, trustWorkspace: true });
    session = await openSession(server, 'workflow');
    const { page, step } = session;

    await step('workbench ready', () => waitForWorkbench(page));

    await step('Checkpoints tree lists the CLI checkpoint with its levels', async () => {
      await openViewContainer(page, 'ELSA');
      const checkpoint = await waitForTreeItem(page, VIEW, 'fixture.elsa.safetensors');
      await expandTreeItem(checkpoint);
      for (const level of fixtureMeta.levels) await waitForTreeItem(page, VIEW, levelRowLabel(level));
    });

    await step('palette opens the dashboard with every chart and the file numbers', async () => {
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'fixture.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors');
      const readout = await waitForDashboard(page, 'all charts drawn with every level', (r) =>
        chartIds.every((id) => r.drawn[id]) && r.levels.length === fixtureMeta.levels.length,
      );
      assertDashboardMatchesCheckpoint(readout, fixtureMeta, { events: fixtureEvents, tensorSizes: fixtureSizes });
      await session!.shotWebviewElements('dashboard', ['#nesting-heatmap', '#histogram-chart', '#training-chart']);
    });

    await step('opening the checkpoint file shows the custom editor charts', async () => {
      await openFileByQuickOpen(page, 'runs/fixture/fixture.elsa.safetensors');
      await poll('the custom editor tab to be active', async () => {
        const active = await page.locator('.tabs-container .tab.active').getAttribute('aria-label');
        return active?.includes('fixture.elsa.safetensors') && !active.startsWith('ELSA:');
      });
      const readout = await waitForDashboard(page, 'the checkpoint in the editor', (r) =>
        chartIds.every((id) => r.drawn[id]) && r.levels.length === fixtureMeta.levels.length,
      );
      assertDashboardMatchesCheckpoint(readout, fixtureMeta, { events: fixtureEvents, tensorSizes: fixtureSizes });
    });

    const eventCounts: number[] = [];
    await step('dashboard of the run folder waits for its first training', async () => {
      // Opened before training starts: loading a webview while a training run holds one of two cores can take
      // longer than the run itself.
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'run · runs/live', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: live');
      const readout = await poll('the run dashboard to load', () => readVisibleDashboard(page));
      assert.equal(Number(readout.attributes['training-chart'].eventCount), 0, 'no events yet');
    });

    await step('palette trains the run config; the live training curve grows', async () => {
      await runCommandForPicker(page, 'ELSA: Train', 'ELSA: run config');
      await pickQuickItem(page, 'live.elsa.json', { title: 'ELSA: run config' });
      const statusItem = page.locator('.part.statusbar .statusbar-item', { hasText: 'ELSA Training' });
      await poll('the ELSA Training status bar item', () => statusItem.first().isVisible(), { timeoutMs: 30_000 }).catch(async (error: Error) => {
        throw new Error(`${error.message}; status bar: ${await statusBarText(page)}`);
      });
      let lastSeen = '';
      await poll(
        'the training run to finish in the dashboard',
        async () => {
          const readout = await readVisibleDashboard(page).catch((error: Error) => error);
          const seen =
            readout instanceof Error
              ? `error ${readout.message.split('\n')[0]}`
              : `${readout.state} ${readout.attributes['training-chart'].eventCount} ${readout.attributes['training-chart'].status}`;
          if (seen !== lastSeen) log(`workflow: live dashboard ${(lastSeen = seen)}`);
          if (readout instanceof Error) return false;
          const count = Number(readout.attributes['training-chart'].eventCount ?? NaN);
          if (Number.isFinite(count) && count > 0 && count !== eventCounts.at(-1)) eventCounts.push(count);
          return readout.attributes['training-chart'].status === 'complete';
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      );
      await session!.shot('live training complete');
      const lines = readFileSync(workspace.file('runs/live/events.jsonl'), 'utf8').trim().split('\n');
      const finalEvents = lines.length;
      if (eventCounts.at(-1) !== finalEvents) {
        const copy = path.join(session!.shotsDir, 'live-events.jsonl');
        writeFileSync(copy, lines.join('\n') + '\n');
        const types = lines.map((l) => (JSON.parse(l) as { type: string }).type).join(' ');
        assert.fail(`the chart ends with ${eventCounts.at(-1)} events, events.jsonl has ${finalEvents} (saw ${eventCounts.join(' → ')}; the file's types: ${types}; copied to ${copy})`);
      }
      const growth = eventCounts.filter((count) => count > 0 && count < finalEvents);
      assert.ok(growth.length >= 2, `the curve grew while training: saw event counts ${eventCounts.join(' → ')}`);
      for (let i = 1; i < eventCounts.length; i++) assert.ok(eventCounts[i] > eventCounts[i - 1], `event count never shrinks: ${eventCounts.join(' → ')}`);
    });

    await step('the new checkpoint appears in the tree', async () => {
      assert.ok(existsSync(workspace.file('runs/live/live.elsa.safetensors')), 'training wrote runs/live/live.elsa.safetensors');
      await openViewContainer(page, 'ELSA');
      await waitForTreeItem(page, VIEW, 'live.elsa.safetensors', 30_000);
    });

    const exportRelative = 'runs/fixture/exports/fixture-level1.safetensors';
    await step('extracting level 1 from the tree context menu writes a file', async () => {
      // The tree refreshes as the finished run's files settle; right-click once it is quiet.
      await waitForTreeStable(page, VIEW);
      const level1 = await waitForTreeItem(page, VIEW, levelRowLabel(fixtureMeta.levels[0]));
      await runContextMenu(page, level1, 'Extract Sparse Model');
      // The level comes from the row: the extension asks only for the format and the output path.
      await pickQuickItem(page, 'safetensors', { title: 'ELSA: format for level 1' });
      await answerInputBox(page, exportRelative, { title: 'ELSA: output path' });
      await waitForTaskResult(page, `${exportRelative} to be written`, () => existsSync(workspace.file(exportRelative)));
    });

    await step('the CLI inspects the extracted file', async () => {
      const report = await inspectJson(exportRelative, workspace.dir);
      const levelMeta = JSON.parse(String((report.metadata as Record<string, unknown>)['elsa-level'])) as { level: number; sparsity: number };
      assert.equal(levelMeta.level, 1);
      assert.equal(levelMeta.sparsity, fixtureMeta.levels[0].sparsity);
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
