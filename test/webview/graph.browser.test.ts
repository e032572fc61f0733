/**
 * The model graph in the dashboard bundle, in Chromium under the extension's CSP, against the fixture host:
 * nodes drawn with the summary's numbers, a click selects that layer in every per-layer chart, a layer chosen
 * elsewhere highlights its node, the host's revealLayer does both, a level change recolours the nodes.
 * Skipped where /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { makeModel } from './harness/fixtures';
import { chromiumSkip, useBrowserSuite } from './harness/browserSuite';

describe('model graph in a browser', { skip: chromiumSkip }, () => {
  const suite = useBrowserSuite('elsa-graph-');

  async function open(query: string): Promise<{ page: Page; errors: string[] }> {
    const opened = await suite.open(query);
    await opened.page.waitForSelector('#model-graph .graph-node');
    return opened;
  }

  type NodeAttrs = Record<string, string | undefined>;
  const nodeAttrs = (page: Page): Promise<NodeAttrs[]> => page.$$eval('#model-graph .graph-node', (gs) => gs.map((g) => ({ ...(g as SVGGElement).dataset, pressed: g.getAttribute('aria-pressed') ?? undefined, fill: g.querySelector('rect')?.getAttribute('fill') ?? undefined })));
  const selected = (page: Page) => page.evaluate(() => ({
    graph: document.querySelector('#model-graph')?.getAttribute('data-selected-layer'),
    heatmap: document.querySelector('#nesting-heatmap')?.getAttribute('data-layer'),
    histogram: document.querySelector('#histogram-chart')?.getAttribute('data-layer'),
    bars: document.querySelector('#layer-sparsity-chart')?.getAttribute('data-selected-layer'),
    select: (document.querySelector('#layer-select') as HTMLElement & { value: string }).value,
    pressed: [...document.querySelectorAll('#model-graph .graph-node[aria-pressed="true"]')].map((g) => (g as SVGGElement).dataset.name),
  }));

  it('draws one node per layer with the summary\'s parameters and sparsity, under the CSP, without errors', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    const summary = makeModel('elsa').summary;
    const nodes = await nodeAttrs(page);
    assert.deepEqual(nodes.map((n) => n.name), summary.layers.map((l) => l.name.replace(/\/kernel$/, '')));
    for (const l of summary.layers) {
      const n = nodes.find((x) => JSON.parse(x.tensors ?? '[]').includes(l.name))!;
      assert.equal(Number(n.params), l.params);
      // All levels selected: coloured by the sparsest level.
      assert.equal(Number(n.sparsity), l.levelSparsity[0]);
    }
    assert.equal(await page.getAttribute('#model-graph', 'data-edge-count'), String(summary.layers.length - 1));
    assert.equal(await page.getAttribute('#model-graph', 'data-level'), '1');
    assert.match((await page.textContent('#graph-legend')) ?? '', /sparsity at L1 95 %/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a click on a node selects its layer in the heatmap, the histogram, the bars and the select', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    const before = await selected(page);
    assert.equal(before.pressed.length, 1);
    assert.equal(`${before.pressed[0]}/kernel`, before.heatmap);
    const target = 'conv2d_1/kernel';
    assert.notEqual(before.heatmap, target);
    await page.click('#model-graph .graph-node[data-name="conv2d_1"]');
    await page.waitForSelector(`#nesting-heatmap[data-layer="${target}"]`);
    await page.waitForSelector(`#histogram-chart[data-layer="${target}"]`);
    const after = await selected(page);
    assert.deepEqual(after, { graph: target, heatmap: target, histogram: target, bars: target, select: target, pressed: ['conv2d_1'] });
    // The keyboard works too.
    await page.focus('#model-graph .graph-node[data-name="dense_1"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#nesting-heatmap[data-layer="dense_1/kernel"]');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('a layer chosen in the select, or revealed by the host, highlights its node', async () => {
    const { page } = await open('scenario=elsa&theme=dark');
    await page.$eval('#layer-select', (el) => {
      (el as HTMLElement & { value: string }).value = 'dense_2/kernel';
      el.dispatchEvent(new Event('change'));
    });
    await page.waitForSelector('#model-graph .graph-node[data-name="dense_2"][aria-pressed="true"]');
    await page.evaluate(() => window.postMessage({ id: 900, type: 'notification', body: { kind: 'revealLayer', layer: 'conv2d/kernel' } }, '*'));
    await page.waitForSelector('#nesting-heatmap[data-layer="conv2d/kernel"]');
    assert.deepEqual((await selected(page)).pressed, ['conv2d']);
    await page.close();
  });

  it('recolours the nodes with the selected level', async () => {
    const { page } = await open('scenario=elsa&theme=dark');
    const summary = makeModel('elsa').summary;
    const first = await nodeAttrs(page);
    await page.$eval('#level-select', (el) => {
      (el as HTMLElement & { value: string }).value = '3';
      el.dispatchEvent(new Event('change'));
    });
    await page.waitForSelector('#model-graph[data-level="3"]');
    const third = await nodeAttrs(page);
    for (const l of summary.layers) {
      const n = third.find((x) => JSON.parse(x.tensors ?? '[]').includes(l.name))!;
      assert.equal(Number(n.sparsity), l.levelSparsity[2]);
    }
    assert.notDeepEqual(third.map((n) => n.fill), first.map((n) => n.fill));
    await page.close();
  });
});
