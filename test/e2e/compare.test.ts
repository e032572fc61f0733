// Compare in a real VS Code (code-server) driven by Chromium: two levels of a CLI checkpoint compared from a level
// row's context menu (the Compare panel) and from the dashboard's "Compare levels" card, and a checkpoint level
// against its own extracted safetensors from the palette; both panels come back after a window reload. Every number the view shows (accuracy, sparsity, Jaccard,
// intersection/union, the difference histogram) must equal `elsa compare --json` on the same sides.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import type { CompareResult } from '../../src/protocol/compare';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { levelRowLabel } from './harness/checks';
import { ensureBuilt, makeWorkspace, readElsaMetadata, runCli, tinyRunConfig } from './harness/fixtures';
import { poll } from './harness/poll';
import { openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate } from './harness/tools';
import { expandTreeItem, openViewContainer, pickQuickItem, runCommand, runCommandForPicker, runContextMenu, visibleWebview, waitForEditorTab, waitForTreeItem, waitForTreeStable } from './harness/ui';

const gate = e2eGate();
const VIEW = 'Checkpoints';

interface CompareReadout {
  state: string;
  sides: { side: string; level: number; accuracy: number; sparsity: number; epochs: number }[];
  layers: { layer: string; jaccard: number; jaccardIfRandom: number; sparsityA: number; sparsityB: number; intersection: number; union: number }[];
  jaccardTexts: string[];
  sparsity?: { layers: string[]; a: number[]; b: number[] };
  jaccard?: { layers: string[]; jaccard: number[]; jaccardIfRandom: number[] };
  diff?: { edges: number[]; both: number[]; onlyA: number[]; onlyB: number[]; zero: number; total: number };
  diffLayer: string;
  drawn: Record<string, boolean>;
  note: string;
}

/** What the Compare view shows, from its data attributes (webview/views/compare.ts). */
async function readCompare(frame: FrameLocator, section = '#compare-section'): Promise<CompareReadout> {
  const root = frame.locator(section);
  await root.evaluate(() => {
    (globalThis as { __name?: unknown }).__name ??= (target: unknown) => target;
  });
  return root.evaluate((el) => {
    const num = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));
    const json = (id: string) => {
      const v = document.getElementById(id)?.dataset.points;
      return v ? JSON.parse(v) : undefined;
    };
    const drawn: Record<string, boolean> = {};
    for (const id of ['compare-sparsity-chart', 'compare-jaccard-chart', 'compare-diff-chart']) {
      const c = document.getElementById(id) as HTMLCanvasElement | null;
      const px = c && c.width > 0 && c.height > 0 ? c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data : undefined;
      drawn[id] = !!px && px.some((v, i) => i % 4 === 3 && v !== 0);
    }
    const section = el as HTMLElement;
    return {
      state: section.dataset.state ?? '',
      sides: [...section.querySelectorAll<HTMLElement>('#compare-sides tbody tr')].map((r) => ({
        side: r.dataset.side ?? '', level: num(r.dataset.level), accuracy: num(r.dataset.accuracy), sparsity: num(r.dataset.sparsity), epochs: num(r.dataset.epochs),
      })),
      layers: [...section.querySelectorAll<HTMLElement>('#compare-table tbody tr')].map((r) => ({
        layer: r.dataset.layer ?? '', jaccard: num(r.dataset.jaccard), jaccardIfRandom: num(r.dataset.jaccardIfRandom), sparsityA: num(r.dataset.sparsityA),
        sparsityB: num(r.dataset.sparsityB), intersection: num(r.dataset.intersection), union: num(r.dataset.union),
      })),
      jaccardTexts: [...section.querySelectorAll<HTMLElement>('#compare-table tbody td[data-col=jaccard]')].map((td) => td.textContent ?? ''),
      sparsity: json('compare-sparsity-chart'),
      jaccard: json('compare-jaccard-chart'),
      diff: json('compare-diff-chart'),
      diffLayer: document.getElementById('compare-diff-chart')?.dataset.layer ?? '',
      drawn,
      note: document.getElementById('compare-section-note')?.textContent ?? '',
    };
  }) as Promise<CompareReadout>;
}

async function waitForCompare(page: Page, what: string, accept: (r: CompareReadout) => boolean): Promise<CompareReadout> {
  let last: CompareReadout | undefined;
  return poll(`the Compare view to show ${what}`, async () => {
    last = await readCompare(visibleWebview(page)).catch(() => undefined);
    if (last?.state === 'error') throw new Error(`compare failed: ${last.note}`);
    return last && last.state === 'ready' && Object.values(last.drawn).every(Boolean) && accept(last) ? last : undefined;
  }, { timeoutMs: 45_000 }).catch((error: Error) => {
    throw new Error(`${error.message}\nlast readout: ${JSON.stringify(last)?.slice(0, 1500)}`);
  });
}

/** Every number the view shows equals the CLI's. */
function assertSameAsCli(shown: CompareReadout, cli: CompareResult): void {
  assert.deepEqual(shown.sides.map((s) => [s.side, s.level, s.accuracy, s.sparsity]), [['a', cli.a.level ?? 0, cli.a.accuracy ?? NaN, cli.a.sparsity], ['b', cli.b.level ?? 0, cli.b.accuracy ?? NaN, cli.b.sparsity]]);
  assert.deepEqual(shown.layers, cli.layers.map((l) => ({ layer: l.name, jaccard: l.jaccard, jaccardIfRandom: l.jaccardIfRandom, sparsityA: l.sparsityA, sparsityB: l.sparsityB, intersection: l.intersection, union: l.union })));
  assert.deepEqual(shown.jaccardTexts, cli.layers.map((l) => l.jaccard.toFixed(4)));
  assert.deepEqual(shown.sparsity, { layers: cli.layers.map((l) => l.name), a: cli.layers.map((l) => l.sparsityA), b: cli.layers.map((l) => l.sparsityB) });
  assert.deepEqual(shown.jaccard, { layers: cli.layers.map((l) => l.name), jaccard: cli.layers.map((l) => l.jaccard), jaccardIfRandom: cli.layers.map((l) => l.jaccardIfRandom) });
  const layer = cli.layers.find((l) => l.name === shown.diffLayer);
  assert.ok(layer, `the histogram shows a compared layer (${shown.diffLayer})`);
  assert.deepEqual(shown.diff, { edges: layer.diff.edges, both: layer.diff.both, onlyA: layer.diff.onlyA, onlyB: layer.diff.onlyB, zero: layer.diff.zero, nonFinite: layer.diff.nonFinite, total: layer.diff.total, range: layer.diff.range });
}

async function cliCompare(a: string, b: string, cwd: string): Promise<CompareResult> {
  return JSON.parse((await runCli(['compare', a, b, '--json'], cwd, 60_000)).stdout) as CompareResult;
}

test('compare: two levels from the tree and the dashboard, a level against its extracted file from the palette', { skip: gate.skip, timeout: 300_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('compare');
  workspace.write('fixture.elsa.json', JSON.stringify(tinyRunConfig('fixture', 'runs/fixture'), null, 2));
  await runCli(['train', 'fixture.elsa.json'], workspace.dir);
  const ckpt = 'runs/fixture/fixture.elsa.safetensors';
  const exported = 'runs/fixture/exports/fixture-level1.safetensors';
  await runCli(['extract', ckpt, '--level', '1', '--format', 'safetensors', '--out', exported], workspace.dir);
  const meta = readElsaMetadata(workspace.file(ckpt));
  const dense = meta.levels.length;

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'compare', workspace: workspace.dir, trustWorkspace: true });
    session = await openSession(server, 'compare');
    const { page, step } = session;
    await step('workbench ready', () => waitForWorkbench(page));

    await step('a level row compares level 1 with level 2 in the Compare panel; the numbers equal elsa compare --json', async () => {
      await openViewContainer(page, 'ELSA');
      const checkpoint = await waitForTreeItem(page, VIEW, 'fixture.elsa.safetensors');
      await expandTreeItem(checkpoint);
      await waitForTreeStable(page, VIEW);
      await runContextMenu(page, await waitForTreeItem(page, VIEW, levelRowLabel(meta.levels[0])), 'Compare with…');
      await pickQuickItem(page, levelRowLabel(meta.levels[1]), { title: 'ELSA: compare level 1 of fixture.elsa.safetensors with' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors@1 ↔ fixture.elsa.safetensors@2');
      const cli = await cliCompare(`${ckpt}@1`, `${ckpt}@2`, workspace.dir);
      const shown = await waitForCompare(page, 'levels 1 and 2', (r) => r.layers.length === cli.layers.length);
      assertSameAsCli(shown, cli);
      // Nested levels: every weight of level 1 is in level 2, with the same (frozen) value.
      for (const l of cli.layers) assert.equal(l.sharedOfA, 1, `${l.name}: level 1 ⊂ level 2`);
      await session!.shotWebviewElements('compare panel', ['#compare-jaccard-chart', '#compare-diff-chart']);
    });

    await step('the dashboard compares level 1 with the dense level in its Compare levels card', async () => {
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'fixture.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors');
      const frame = visibleWebview(page);
      await poll('the Compare levels card with its level selectors', async () => (await frame.locator('#compare-level-b vscode-option').count().catch(() => 0)) === dense, { timeoutMs: 30_000 });
      // The select is a custom element that may still be upgrading: set it until it reads back the dense level.
      await poll('level B set to the dense level', () => frame.locator('#compare-section').evaluate((_el, level) => {
        const select = document.getElementById('compare-level-b') as HTMLElement & { value: string };
        if (select.value !== String(level)) {
          select.value = String(level);
          select.dispatchEvent(new Event('change'));
        }
        return select.value === String(level);
      }, dense), { timeoutMs: 15_000 });
      await frame.locator('#compare-run').click();
      const cli = await cliCompare(`${ckpt}@1`, `${ckpt}@dense`, workspace.dir);
      const shown = await waitForCompare(page, 'level 1 against the dense level', (r) => r.sides[1]?.level === dense);
      assertSameAsCli(shown, cli);
      await frame.locator('#compare-section').scrollIntoViewIfNeeded();
      await session!.shot('dashboard compare levels card');
    });

    await step('the palette compares level 1 with its extracted safetensors: the same mask, Δw = 0 everywhere', async () => {
      await runCommandForPicker(page, 'ELSA: Compare Checkpoints', 'ELSA: compare — first network (A)');
      await pickQuickItem(page, 'fixture.elsa.safetensors', { title: 'ELSA: compare — first network (A)' });
      await pickQuickItem(page, 'fixture-level1.safetensors', { title: 'ELSA: compare fixture.elsa.safetensors with' });
      await pickQuickItem(page, levelRowLabel(meta.levels[0]), { title: 'ELSA: level of A' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors@1 ↔ fixture-level1.safetensors');
      const cli = await cliCompare(`${ckpt}@1`, exported, workspace.dir);
      const shown = await waitForCompare(page, 'level 1 against its export', (r) => r.layers.length === cli.layers.length);
      assertSameAsCli(shown, cli);
      for (const l of cli.layers) {
        assert.equal(l.jaccard, 1, `${l.name}: the export keeps exactly level 1's weights`);
        assert.equal(l.diff.zero, l.union, `${l.name}: every kept weight has the same value`);
      }
      assert.equal(shown.sides[1].level, 0, 'a plain file has no level');
    });

    await step('after a window reload both Compare panels come back with the same sides and numbers', async () => {
      await runCommand(page, 'Developer: Reload Window');
      await waitForWorkbench(page);
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors@1 ↔ fixture-level1.safetensors');
      const toExport = await cliCompare(`${ckpt}@1`, exported, workspace.dir);
      assertSameAsCli(await waitForCompare(page, 'the restored level-1 ↔ export panel', (r) => r.layers.length === toExport.layers.length), toExport);
      await page.locator('.tabs-container .tab', { hasText: 'ELSA: fixture.elsa.safetensors@1 ↔ fixture.elsa.safetensors@2' }).first().click();
      const levels = await cliCompare(`${ckpt}@1`, `${ckpt}@2`, workspace.dir);
      assertSameAsCli(await waitForCompare(page, 'the restored level 1 ↔ level 2 panel', (r) => r.sides[1]?.level === 2), levels);
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
