// The model as a graph in a real VS Code (code-server) driven by Chromium: a residual CNN checkpoint made by the
// CLI opens in the dashboard with its layers as nodes (parameter counts from the file, the residual Add with two
// inputs); clicking a node makes the heatmap, the histogram and the per-layer bars show that layer; a layer
// row's "Reveal in Graph" in the Checkpoints tree selects its layer and node in the dashboard.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { chartIds, readVisibleDashboard, waitForDashboard } from './harness/dashboard';
import { ensureBuilt, makeWorkspace, runCli, tensorSizes, tinyRunConfig } from './harness/fixtures';
import { poll } from './harness/poll';
import { openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate } from './harness/tools';
import { expandTreeItem, openViewContainer, pickQuickItem, runCommandForPicker, runContextMenu, visibleWebview, waitForEditorTab, waitForTreeItem } from './harness/ui';

const gate = e2eGate();
const VIEW = 'Checkpoints';
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

interface GraphNodeReadout {
  name: string;
  className: string;
  params: number;
  tensors: string[];
  pressed: boolean;
}

async function readGraph(session: Session): Promise<{ nodes: GraphNodeReadout[]; edges: { from: string; to: string }[]; selectedLayer: string }> {
  const svg = visibleWebview(session.page).locator('#model-graph');
  return svg.evaluate((el) => {
    const byId = new Map<string, string>();
    const nodes = [...el.querySelectorAll<SVGGElement>('.graph-node')].map((g) => {
      byId.set(g.dataset.nodeId ?? '', g.dataset.name ?? '');
      return { name: g.dataset.name ?? '', className: g.dataset.className ?? '', params: Number(g.dataset.params), tensors: JSON.parse(g.dataset.tensors ?? '[]') as string[], pressed: g.getAttribute('aria-pressed') === 'true' };
    });
    const edges = [...el.querySelectorAll<SVGPathElement>('.graph-edge')].map((p) => ({ from: byId.get(p.dataset.from ?? '') ?? '?', to: byId.get(p.dataset.to ?? '') ?? '?' }));
    return { nodes, edges, selectedLayer: (el as SVGSVGElement).dataset.selectedLayer ?? '' };
  }, undefined, { timeout: 5_000 });
}

/** The layer every per-layer view shows now. */
async function selectedEverywhere(session: Session): Promise<Record<string, string | undefined>> {
  const r = await readVisibleDashboard(session.page);
  const graph = await readGraph(session);
  return {
    heatmap: r.attributes['nesting-heatmap'].layer,
    histogram: r.attributes['histogram-chart'].layer,
    bars: r.attributes['layer-sparsity-chart'].selectedLayer,
    graph: graph.selectedLayer,
    node: graph.nodes.filter((n) => n.pressed).map((n) => n.name).join(','),
  };
}

/** ELSA_UPDATE_DOC_SHOTS=1 copies the screenshots the README shows into docs/screenshots/. */
function docShot(name: string, file: string): void {
  if (process.env.ELSA_UPDATE_DOC_SHOTS !== '1') return;
  mkdirSync(path.join(repoRoot, 'docs', 'screenshots'), { recursive: true });
  copyFileSync(file, path.join(repoRoot, 'docs', 'screenshots', name));
}

test('model graph: nodes from the checkpoint, a click selects the layer in every chart, Reveal in Graph from the tree', { skip: gate.skip, timeout: 300_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('graph');
  workspace.write('res.elsa.json', JSON.stringify({ ...tinyRunConfig('res', 'runs/res'), model: { type: 'resnet' }, data: { limitTrain: 300, limitTest: 100 } }, null, 2));
  await runCli(['train', 'res.elsa.json'], workspace.dir);
  const checkpoint = workspace.file('runs/res/res.elsa.safetensors');
  const sizes = tensorSizes(checkpoint);

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'graph', workspace: workspace.dir, trustWorkspace: true });
    session = await openSession(server, 'graph');
    const s = session;
    const { page, step } = s;
    await step('workbench ready', () => waitForWorkbench(page));
    await step('the Checkpoints view lists the checkpoint', async () => {
      await openViewContainer(page, 'ELSA');
      await waitForTreeItem(page, VIEW, 'res.elsa.safetensors');
    });

    await step('the dashboard draws the model graph with the file\'s layers and parameter counts', async () => {
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'res.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: res.elsa.safetensors');
      await waitForDashboard(page, 'every chart drawn', (r) => chartIds.filter((id) => id !== 'training-chart').every((id) => r.drawn[id]));
      const graph = await poll('the graph nodes', async () => {
        const g = await readGraph(s).catch(() => undefined);
        return g && g.nodes.length > 0 ? g : undefined;
      });
      const names = graph.nodes.map((n) => n.name);
      for (const name of ['input', 'stem_conv', 'block1_add', 'block3_b_conv', 'logits']) assert.ok(names.includes(name), `node ${name} in ${names.join(', ')}`);
      // The residual merge takes the block's main path and its projection.
      assert.deepEqual(graph.edges.filter((e) => e.to === 'block1_add').map((e) => e.from).sort(), ['block1_b_bn', 'block1_proj_bn']);
      // Every weight tensor of the file (bookkeeping elsa.* left out) is in exactly one node, with its size.
      const weights = Object.keys(sizes).filter((n) => !n.startsWith('elsa.')).sort();
      assert.deepEqual(graph.nodes.flatMap((n) => n.tensors).sort(), weights);
      for (const n of graph.nodes) assert.equal(n.params, n.tensors.reduce((sum, t) => sum + sizes[t], 0), `${n.name} parameters`);
      await s.shotWebviewElements('graph', ['#graph-section']);
    });

    await step('clicking a node shows its layer in the heatmap, the histogram and the per-layer bars', async () => {
      const target = 'block1_proj_conv/kernel';
      assert.notEqual((await selectedEverywhere(s)).heatmap, target);
      const node = visibleWebview(page).locator('#model-graph .graph-node[data-name="block1_proj_conv"]');
      await node.scrollIntoViewIfNeeded();
      await node.click();
      const seen = await poll('every per-layer chart to follow the click', async () => {
        const now = await selectedEverywhere(s);
        return now.heatmap === target && now.histogram === target && now.bars === target && now.graph === target ? now : undefined;
      });
      assert.equal(seen.node, 'block1_proj_conv');
      const r = await readVisibleDashboard(page);
      assert.equal(r.drawn['nesting-heatmap'], true);
      assert.equal(JSON.parse(r.attributes['histogram-chart'].points).datasets.length > 0, true);
      // The graph's clicked node above the heatmap and histogram that now show its layer.
      await visibleWebview(page).locator('#nesting-section').scrollIntoViewIfNeeded();
      await visibleWebview(page).locator('#nesting-section').evaluate(() => window.scrollBy(0, -160));
      docShot('graph-node-clicked.png', await s.shot('graph node clicked, the charts follow'));
    });

    await step('Reveal in Graph on a tree layer row selects that layer and its node', async () => {
      await openViewContainer(page, 'ELSA');
      const item = await waitForTreeItem(page, VIEW, 'res.elsa.safetensors');
      await expandTreeItem(item);
      const layers = await waitForTreeItem(page, VIEW, /^Layers \(/);
      await expandTreeItem(layers);
      const row = await waitForTreeItem(page, VIEW, 'block3_b_conv/kernel');
      await runContextMenu(page, row, 'Reveal in Graph');
      const target = 'block3_b_conv/kernel';
      const seen = await poll('the dashboard to select the revealed layer', async () => {
        const now = await selectedEverywhere(s).catch(() => undefined);
        return now && now.heatmap === target && now.histogram === target && now.bars === target && now.graph === target ? now : undefined;
      });
      assert.equal(seen.node, 'block3_b_conv');
      docShot('graph-reveal-from-tree.png', await s.shot('revealed from the tree'));
    });
  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
