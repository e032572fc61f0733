// A run on the PyTorch engine, from the editor: `ELSA: Train` on a run config with "engine": {"type": "torch",
// "nproc": 2} runs torchrun with the interpreter of the elsa.pythonPath setting (code-server has no Python
// extension), the status bar follows it from events.jsonl, and the PyTorch-written checkpoint shows in the
// Checkpoints tree and in the dashboard with every chart and the numbers of the file.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { assertDashboardMatchesCheckpoint, levelRowLabel } from './harness/checks';
import { chartIds, waitForDashboard } from './harness/dashboard';
import { ensureBuilt, makeWorkspace, readElsaMetadata, tensorSizes } from './harness/fixtures';
import { poll } from './harness/poll';
import { log, openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate, repoRoot } from './harness/tools';
import { expandTreeItem, openViewContainer, pickQuickItem, runCommand, runCommandForPicker, statusBarText, waitForEditorTab, waitForTreeItem } from './harness/ui';

const gate = e2eGate();
const PYTHON = process.env.ELSA_TEST_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch.distributed'], { encoding: 'utf8' }).status === 0;
const torchMissing = `PyTorch is not installed for ${PYTHON} (apt-get install python3-torch)`;
const skip = gate.skip || (!hasTorch && !process.env.CI ? `${torchMissing}; the PyTorch e2e test is skipped` : false);
const VIEW = 'Checkpoints';

test('PyTorch engine from the editor: torchrun task, status bar, tree and dashboard of the run', { skip, timeout: 420_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  if (!hasTorch) assert.fail(`${torchMissing} (CI is set, so this fails instead of skipping)`);
  ensureBuilt();
  const workspace = makeWorkspace('torch');
  copyFileSync(path.join(repoRoot, 'examples', 'torch_resnet_fashion.py'), workspace.file('torch_resnet_fashion.py'));
  workspace.write('pt.elsa.json', JSON.stringify({
    name: 'pt',
    levels: [0.9, 0.5],
    sparsifier: { type: 'gmp', pruneEvery: 4 },
    optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
    epochs: { warmup: 1, perPhase: 1, dense: 1 },
    batchSize: 64,
    data: { path: path.join(repoRoot, 'data', 'fashion-mnist-small'), limitTrain: 512, limitTest: 200 },
    outDir: 'runs/pt',
    engine: { type: 'torch', entry: 'torch_resnet_fashion.py:train', nproc: 2 },
  }, null, 2));
  const checkpoint = workspace.file('runs/pt/pt.elsa.safetensors');

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'torch', workspace: workspace.dir, trustWorkspace: true, settings: { 'elsa.pythonPath': PYTHON } });
    session = await openSession(server, 'torch');
    const { page, step } = session;

    await step('workbench ready', () => waitForWorkbench(page));
    // The ELSA view first, as a user would: the palette lists the extension's commands once it has loaded.
    await step('ELSA view open', () => openViewContainer(page, 'ELSA'));

    await step('palette trains the PyTorch run config; the status bar follows the run', async () => {
      // The workspace's only run config: ELSA: Train starts it without asking.
      await runCommand(page, 'ELSA: Train');
      const statusItem = page.locator('.part.statusbar .statusbar-item', { hasText: 'ELSA Training (PyTorch)' });
      await poll('the ELSA Training (PyTorch) status bar item', () => statusItem.first().isVisible(), { timeoutMs: 60_000 }).catch(async (error: Error) => {
        throw new Error(`${error.message}; status bar: ${await statusBarText(page)}`);
      });
      let lastSeen = '';
      await poll('the PyTorch run to finish', async () => {
        const text = (await statusItem.first().textContent().catch(() => '')) ?? '';
        if (text !== lastSeen) log(`torch: status bar "${(lastSeen = text)}"`);
        const events = existsSync(workspace.file('runs/pt/events.jsonl')) ? readFileSync(workspace.file('runs/pt/events.jsonl'), 'utf8') : '';
        if (events.includes('"type":"run-end"') && !events.includes('"status":"complete"')) throw new Error(`the run failed: ${events.trim().split('\n').at(-1)}`);
        return events.includes('"type":"run-end","status":"complete"') && existsSync(checkpoint);
      }, { timeoutMs: 300_000, intervalMs: 500 });
      await session!.shot('torch run complete');
      const meta = readElsaMetadata(checkpoint);
      assert.equal(meta.provenance?.tool, 'elsa_torch');
      assert.match(String(meta.provenance?.backend), /2 processes \(gloo\)/);
    });

    const meta = readElsaMetadata(checkpoint);
    await step('Checkpoints tree lists the PyTorch checkpoint with its levels', async () => {
      await openViewContainer(page, 'ELSA');
      const item = await waitForTreeItem(page, VIEW, 'pt.elsa.safetensors', 30_000);
      await expandTreeItem(item);
      for (const level of meta.levels) await waitForTreeItem(page, VIEW, levelRowLabel(level));
    });

    await step('the dashboard shows the PyTorch run with every chart and the file numbers', async () => {
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'pt.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: pt.elsa.safetensors');
      const readout = await waitForDashboard(page, 'all charts drawn with every level', (r) =>
        chartIds.every((id) => r.drawn[id]) && r.levels.length === meta.levels.length,
      );
      const events = readFileSync(workspace.file('runs/pt/events.jsonl'), 'utf8').trim().split('\n').length;
      assertDashboardMatchesCheckpoint(readout, meta, { events, tensorSizes: tensorSizes(checkpoint) });
      await session!.shotWebviewElements('dashboard', ['#nesting-heatmap', '#histogram-chart', '#training-chart']);
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
