// Inspection beyond the basic dashboard, in a real VS Code (code-server) with a trusted workspace:
// - the value heatmap beside the level codes: hovering cell row 300 of a 784×128 layer names exactly the rows,
//   columns, value range and code that src/core/heatmapGrid.ts puts in that cell (rows 596–597, not 600–601);
// - the layer sensitivity card: Run scan runs `elsa sensitivity` and draws one curve per layer, whose points, the
//   suggested per-layer sparsity and the config it links to equal what the CLI prints for the same file;
// - a 2 GiB Hugging Face sharded model, written at test time as sparse files: the tree lists every tensor with its
//   dtype (F16/BF16 too), and the dashboard shows each layer's exact zero share and N:M pattern.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { cellStarts } from '../../src/core/heatmapGrid';
import { heatmapFromStore } from '../../src/core/inspectStore';
import { fileByteSource } from '../../src/core/io/byteSource';
import { saveLayersModelFile } from '../../src/core/models/layersFile';
import { openSafetensorsStore } from '../../src/core/tensorStore';
import { formatPercent } from '../../src/protocol/format';
import { describeCell } from '../../webview/heatmap';
import { levelLabel } from '../../webview/format';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { waitForDashboard } from './harness/dashboard';
import { ensureBuilt, makeWorkspace, readElsaMetadata, runCli, tinyRunConfig } from './harness/fixtures';
import { poll } from './harness/poll';
import { log, openSession, waitForWorkbench, type Session } from './harness/session';
import { twoGiBLayout, writeShardedModel, type ShardedModel } from './harness/shardedModel';
import { e2eGate } from './harness/tools';
import { expandTreeItem, openViewContainer, pickQuickItem, runCommandForPicker, treeLabels, visibleWebview, waitForEditorTab, waitForTreeItem } from './harness/ui';

const gate = e2eGate();
const VIEW = 'Checkpoints';
const CKPT = 'runs/mlp128/mlp128.elsa.safetensors';
const LAYER = 'dense1/kernel';

/** Input 28×28×1 → Flatten → dense1 (784×128, ReLU) → logits (128×10): the issue's 784×128 layer. */
async function writeMlp128(file: string): Promise<void> {
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(input) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 128, activation: 'relu', name: 'dense1' }).apply(flat) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 10, name: 'logits' }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: 'mlp128' });
  await saveLayersModelFile(model, file);
  model.dispose();
}

// The tiny run's settings on this Layers model (spreading keeps the key order: the file reads as before).
const mlp128Config = { ...tinyRunConfig('mlp128', 'runs/mlp128'), model: { type: 'layers-json', path: 'mlp128/model.json' } };

test('inspection: value heatmap hover, sensitivity scan, a 2 GiB sharded model', { skip: gate.skip, timeout: 240_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('inspect');
  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    const t0 = Date.now();
    await writeMlp128(workspace.file('mlp128/model.json'));
    workspace.write('mlp128.elsa.json', JSON.stringify(mlp128Config, null, 2));
    await runCli(['train', 'mlp128.elsa.json'], workspace.dir);
    const meta = readElsaMetadata(workspace.file(CKPT));
    mkdirSync(workspace.file('big'));
    const big: ShardedModel = writeShardedModel(workspace.file('big'), twoGiBLayout());
    log(`inspect: fixtures (checkpoint + ${(big.totalBytes / 2 ** 30).toFixed(2)} GiB sharded model) in ${Date.now() - t0} ms`);

    server = await startCodeServer({ name: 'inspect', workspace: workspace.dir, trustWorkspace: true });
    session = await openSession(server, 'inspect-more');
    const { page, step } = session;
    await step('workbench ready', () => waitForWorkbench(page));

    await step('dashboard of the 784×128 checkpoint', async () => {
      // The ELSA view appears once the extension is registered; the palette lists its commands from then on.
      await openViewContainer(page, 'ELSA');
      await waitForTreeItem(page, VIEW, 'mlp128.elsa.safetensors');
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'mlp128.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: mlp128.elsa.safetensors');
      await waitForDashboard(page, `the heatmap of ${LAYER}`, (r) => r.drawn['nesting-heatmap'] && r.attributes['nesting-heatmap'].layer === LAYER);
    });

    await step('hovering value-heatmap cell row 300 names the weights that cell holds', async () => {
      const frame = visibleWebview(page);
      const canvas = frame.locator('#values-heatmap');
      await canvas.scrollIntoViewIfNeeded();
      const attrs = await frame.locator('#nesting-heatmap').evaluate((c) => ({ ...(c as HTMLElement).dataset }));
      const rows = Number(attrs.rows);
      const cols = Number(attrs.cols);
      assert.equal(`${attrs.sourceRows}×${attrs.sourceCols}`, '784×128');
      const box = await canvas.boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, 'the value heatmap has a size');
      const row = 300;
      const col = 10;
      await canvas.hover({ position: { x: ((col + 0.5) / cols) * box.width, y: ((row + 0.5) / rows) * box.height } });
      const hover = frame.locator('#nesting-hover');
      const text = await poll('the hover readout of cell (300, 10)', async () => {
        const d = await hover.evaluate((e) => ({ row: (e as HTMLElement).dataset.row, col: (e as HTMLElement).dataset.col, text: e.textContent ?? '' }));
        return d.row === String(row) && d.col === String(col) ? d.text : undefined;
      });
      // What the host computes for that cell (src/core/heatmapGrid.ts via inspectStore), from the file itself.
      const store = await openSafetensorsStore(fileByteSource(workspace.file(CKPT)));
      const expected = await heatmapFromStore(store, LAYER, 160 * 160);
      const values = await store.readValues(LAYER);
      const codes = await store.readCodes!(LAYER);
      await store.close();
      assert.equal(expected.rows, rows);
      assert.equal(expected.cols, cols);
      const levelCount = meta.targets.length + 1;
      assert.equal(text, describeCell(expected, row, col, (code) => levelLabel(code, levelCount, code < levelCount ? meta.targets[code - 1] : undefined)));
      // The issue's example, and the cell's contents straight from the weights: rows r with floor(r · 395 / 784) = 300.
      const cellRows = [...Array(784).keys()].filter((r) => Math.floor((r * rows) / 784) === row);
      assert.deepEqual(cellRows, [596, 597]);
      const [c0, c1] = [cellStarts(cols, 128)[col], cellStarts(cols, 128)[col + 1]];
      const inCell = cellRows.flatMap((r) => [...Array(c1 - c0).keys()].map((j) => r * 128 + c0 + j));
      const ws = inCell.map((i) => values[i]);
      assert.match(text, new RegExp(`^weights \\[596–597, ${c0}–${c1 - 1}\\] \\(${inCell.length}\\)`));
      const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(3));
      assert.ok(text.includes(`values ${fmt(Math.min(...ws))} … ${fmt(Math.max(...ws))}`), `${text} names the cell's min and max`);
      assert.ok(text.includes(`code ${Math.min(...inCell.map((i) => codes[i]))} (smallest in the cell)`), `${text} names the cell's smallest code`);
      log(`inspect: hover readout: ${text}`);
      await canvas.hover({ position: { x: ((col + 0.5) / cols) * box.width, y: ((row + 0.5) / rows) * box.height } });
    });

    const scanConfig = workspace.file('runs/mlp128/mlp128.suggested.elsa.json');
    await step('Run scan draws a curve per layer and links the suggested config', async () => {
      const frame = visibleWebview(page);
      const section = frame.locator('#sensitivity-section');
      await section.scrollIntoViewIfNeeded();
      await frame.locator('#sensitivity-target').fill('0.8');
      await frame.locator('#sensitivity-run').click();
      await poll('the scan to finish', async () => {
        const state = await section.getAttribute('data-state');
        if (state === 'error') throw new Error(`scan failed: ${await section.innerText()}`);
        return state === 'ready';
      }, { timeoutMs: 120_000, intervalMs: 500 });
      await frame.locator('#sensitivity-chart').scrollIntoViewIfNeeded();
    });

    await step('the chart and the suggestion equal elsa sensitivity --json on the same file', async () => {
      const frame = visibleWebview(page);
      const chart = JSON.parse((await frame.locator('#sensitivity-chart').getAttribute('data-points')) ?? 'null') as { layer: string; points: [number, number][] }[];
      const rows = await frame.locator('#sensitivity-table tbody tr').evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.layer, Number((tr as HTMLElement).dataset.sparsity)]));
      const link = (await frame.locator('#sensitivity-open-config').innerText()).trim();
      const cli = JSON.parse((await runCli(['sensitivity', CKPT, '--json', '--target', '0.8', '--out', 'cli-suggested.elsa.json'], workspace.dir)).stdout) as {
        scan: { layers: { name: string; points: { sparsity: number; accuracy: number }[] }[] };
        suggestion: { layers: { name: string; sparsity: number }[] };
      };
      assert.deepEqual(chart.map((l) => l.layer), ['dense1/kernel', 'logits/kernel']);
      assert.deepEqual(chart, cli.scan.layers.map((l) => ({ layer: l.name, points: l.points.map((p) => [p.sparsity, p.accuracy]) })));
      for (const l of chart) assert.ok(l.points.length >= 5, `${l.layer}: a curve of ${l.points.length} points`);
      assert.deepEqual(rows, cli.suggestion.layers.map((l) => [l.name, l.sparsity]));
      assert.equal(link, path.basename(scanConfig));
      const fromCard = JSON.parse(readFileSync(scanConfig, 'utf8')) as { sparsifier: { layerTargets: unknown } };
      const fromCli = JSON.parse(readFileSync(workspace.file('cli-suggested.elsa.json'), 'utf8')) as { sparsifier: { layerTargets: unknown } };
      assert.deepEqual(fromCard.sparsifier.layerTargets, fromCli.sparsifier.layerTargets);
      await frame.locator('#sensitivity-open-config').click();
      await waitForEditorTab(page, path.basename(scanConfig));
      await poll('the suggested config to be the active editor', async () => (await page.locator('.tabs-container .tab.active').getAttribute('aria-label'))?.includes(path.basename(scanConfig)));
      await session!.shot('the suggested config opened from the card');
      // Back to the dashboard: its webview was reloaded while hidden, and the scan must still be there.
      await page.locator('.tabs-container .tab', { hasText: 'ELSA: mlp128.elsa.safetensors' }).first().click();
      await waitForDashboard(page, 'the dashboard again', (r) => r.drawn['layer-sparsity-chart']);
      const again = visibleWebview(page).locator('#sensitivity-chart');
      await poll('the scan shown again after the tab came back', async () => (await again.getAttribute('data-points')) === JSON.stringify(chart));
      assert.equal(await visibleWebview(page).locator('#sensitivity-target').inputValue(), '0.8', 'the target of the restored scan');
      await again.scrollIntoViewIfNeeded();
    });

    await step('the 2 GiB sharded model in the tree: every tensor with its dtype', async () => {
      await openViewContainer(page, 'ELSA');
      const row = await waitForTreeItem(page, VIEW, 'model.safetensors.index.json');
      await expandTreeItem(row);
      const rows = await treeLabels(page, VIEW);
      assert.deepEqual(rows.filter((l) => /^model-\d{5}-of-\d{5}\.safetensors/.test(l)), [], `one row for the model, not one per shard: ${rows.join(' / ')}`);
      const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      for (const t of big.tensors) {
        const label = new RegExp(`^${escape(`${t.name}, [${t.shape.join(', ')}] · ${t.dtype}`)}$`);
        await waitForTreeItem(page, VIEW, label, 15_000).catch(async (e: Error) => {
          throw new Error(`${e.message}; tree rows: ${(await treeLabels(page, VIEW)).join(' / ')}`);
        });
      }
    });

    await step('the sharded model opened: zero share and N:M of every layer', async () => {
      const row = await waitForTreeItem(page, VIEW, 'model.safetensors.index.json');
      await row.locator('.label-name').first().click();
      await waitForEditorTab(page, 'model.safetensors.index.json', 30_000);
      const readout = await waitForDashboard(page, 'the layer table of the sharded model', (r) => r.drawn['layer-sparsity-chart'], 120_000);
      assert.equal(readout.kind, 'foreign');
      const frame = visibleWebview(page);
      const table = await frame.locator('#layer-sparsity-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({
          layer: (tr as HTMLElement).dataset.layer ?? '',
          zeros: Number(tr.querySelector('td[data-level]')?.getAttribute('data-value')),
          nm: tr.querySelector('td[data-nm]')?.textContent ?? '',
        })),
      );
      assert.deepEqual(table.map((r) => r.layer), big.tensors.map((t) => t.name));
      for (const t of big.tensors) {
        const r = table.find((x) => x.layer === t.name)!;
        assert.ok(Math.abs(r.zeros - t.zeroShare) < 1e-12, `${t.name}: zero share ${r.zeros}, wrote ${t.zeroShare}`);
        const sampled = t.fill === 'filler' ? ' (sampled)' : '';
        const nm = t.shape.length < 2 ? '' : t.nmHolds ? `${t.nmHolds} in every group${sampled}` : `2:4 in ${formatPercent(t.share24)} of groups${sampled}`;
        assert.equal(r.nm, nm, `${t.name} (${t.dtype}, ${t.fill}): N:M`);
      }
      const note = await frame.locator('#layers-section').innerText();
      assert.match(note, /N:M structure: 2 of 9 layers keep at most N nonzeros in every group of M \(2:4\)/);
      assert.equal((await frame.locator('#file-facts [data-fact=format] dd').innerText()).trim(), 'sharded safetensors (no ELSA metadata)');
    });

    await step('the largest layer (496 MiB of BF16) gets its zero pattern, values and histogram', async () => {
      // The dashboard picks the layer with the most weights; its views stream the tensor 4 MiB at a time.
      const largest = big.tensors.reduce((a, b) => (b.shape.reduce((x, y) => x * y, 1) > a.shape.reduce((x, y) => x * y, 1) ? b : a));
      const readout = await waitForDashboard(page, `the heatmap and histogram of ${largest.name}`, (r) =>
        r.drawn['nesting-heatmap'] && r.attributes['nesting-heatmap'].layer === largest.name && r.drawn['histogram-chart'], 120_000);
      const share = JSON.parse(readout.attributes['nesting-heatmap'].codeShare) as number[];
      assert.ok(Math.abs(share[1] - largest.zeroShare) < 1e-12, `zero share in the heatmap ${share[1]}, wrote ${largest.zeroShare}`);
      const histogram = readout.points['histogram-chart'] as { datasets: { counts: number[] }[] };
      const counted = histogram.datasets[0].counts.reduce((a, b) => a + b, 0);
      assert.equal(counted, largest.shape.reduce((x, y) => x * y, 1), 'the histogram counts every weight of the layer');
      const captions = await visibleWebview(page).locator('#nesting-section figcaption').allInnerTexts();
      assert.deepEqual(captions.map((c) => c.trim()), ['Zero or not', 'Weight values'], 'a file without levels has no level codes');
      await visibleWebview(page).locator('#nesting-section').scrollIntoViewIfNeeded();
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
