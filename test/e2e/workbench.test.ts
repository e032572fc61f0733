// The harness itself: code-server starts with ELSA Studio linked in, Chromium renders the workbench, and the
// extension shows up as installed. If this fails, every other e2e test would fail for the same reason.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startCodeServer } from './harness/codeServer';
import { poll } from './harness/poll';
import { openSession, waitForWorkbench } from './harness/session';
import { e2eGate } from './harness/tools';
import { runCommand } from './harness/ui';

const gate = e2eGate();

test('code-server opens the workbench with ELSA Studio installed', { skip: gate.skip, timeout: 120_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'elsa-e2e-smoke-'));
  writeFileSync(path.join(workspace, 'README.md'), '# e2e smoke workspace\n');
  const server = await startCodeServer({ name: 'smoke', workspace, trustWorkspace: true });
  const session = await openSession(server, 'smoke').catch(async (error: Error) => {
    await server.stop();
    throw error;
  });
  try {
    const { page, step } = session;
    await step('workbench ready', () => waitForWorkbench(page));
    await step('enabled extensions list ELSA Studio', async () => {
      await runCommand(page, 'Extensions: Show Enabled Extensions');
      const entry = page.locator('.extensions-viewlet .extension-list-item .name', { hasText: 'ELSA Studio' });
      await poll('ELSA Studio among the enabled extensions', () => entry.first().isVisible(), { timeoutMs: 30_000 });
    });
  } finally {
    await session.close();
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
});
