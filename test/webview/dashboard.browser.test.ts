/**
 * The dashboard bundle in a real browser (Chromium via playwright-core) against the fixture host, under the
 * extension's strict CSP: the numbers on the page equal the file's, controls work, live events grow the curve,
 * a theme change repaints, foreign and unreadable files say so. Skipped where /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { layerSparsitySeries } from '../../webview/series';
import { makeEvents, makeModel } from './harness/fixtures';
import { useBrowserSuite, chromiumSkip } from './harness/browserSuite';
import { waitForDashboard } from './harness/shoot';

describe('dashboard in a browser', { skip: chromiumSkip }, () => {
  const suite = useBrowserSuite('elsa-webview-');
  const open = suite.open.bind(suite);

  const json = async (page: Page, selector: string, attr: string): Promise<unknown> => JSON.parse((await page.getAttribute(selector, attr)) ?? 'null');

  it('shows the file’s levels and per-layer sparsity with the same numbers, under the CSP, without errors', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    const summary = makeModel('elsa').summary;
    const rows = await page.$$eval('#levels-table tbody tr', (trs) => trs.map((tr) => ({ level: Number(tr.getAttribute('data-level')), sparsity: Number(tr.getAttribute('data-sparsity')), text: tr.textContent })));
    assert.deepEqual(rows.map((r) => r.level), [1, 2, 3, 4, 5]);
    for (const r of rows) {
      const meta = summary.meta!.levels[r.level - 1];
      assert.equal(r.sparsity, meta.sparsity);
      assert.ok(r.text?.includes(`${(meta.sparsity * 100).toFixed(2)} %`), `row ${r.level} shows its sparsity: ${r.text}`);
    }
    const bars = (await json(page, '#layer-sparsity-chart', 'data-points')) as { layers: string[]; datasets: { level: number; values: number[] }[] };
    const expected = layerSparsitySeries(summary);
    assert.deepEqual(bars.layers, expected.layers);
    assert.deepEqual(bars.datasets.map((d) => d.values), expected.datasets.map((d) => d.values));
    const cells = await page.$$eval('#layer-sparsity-table tbody tr[data-layer="dense/kernel"] td', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
    assert.deepEqual(cells, expected.datasets.map((d) => d.values[expected.layers.indexOf('dense/kernel')]));
    const acc = (await json(page, '#accuracy-chart', 'data-points')) as { source: string; independent: unknown[] };
    assert.equal(acc.source, 'report');
    assert.equal(acc.independent.length, 4);
    const storage = await page.$$eval('#storage-table tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-bytes'))));
    const [elsaLine, ...others] = summary.report!.storage.map((l) => l.bytes);
    assert.deepEqual(storage, [elsaLine, summary.report!.smallParamBytes, ...others]);
    const heat = await page.$eval('#nesting-heatmap', (c) => ({ ...(c as HTMLCanvasElement).dataset }));
    assert.equal(heat.layer, 'dense/kernel');
    assert.ok(Number(heat.rows) * Number(heat.cols) <= 160 * 160);
    assert.equal(heat.nestingOk, 'true');
    assert.equal(await page.getAttribute('#training-chart', 'data-event-count'), String(makeEvents().length));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('selecting a level narrows the bars and the table, and the choice is saved', async () => {
    const { page } = await open('scenario=elsa&theme=light');
    await page.$eval('#level-select', (el) => {
      (el as HTMLElement & { value: string }).value = '2';
      el.dispatchEvent(new Event('change'));
    });
    assert.equal(await page.getAttribute('#layer-sparsity-chart', 'data-selected-level'), '2');
    assert.equal(await page.getAttribute('#levels-table tbody tr.selected', 'data-level'), '2');
    assert.equal(await page.getAttribute('#nesting-heatmap', 'data-selected-level'), '2');
    const saved = await page.evaluate(() =>
      (window as unknown as { elsaHarness: { log: { body: { kind: string; state?: { level?: number } } }[] } }).elsaHarness.log.filter((m) => m.body.kind === 'saveState').pop(),
    );
    assert.equal(saved?.body.state?.level, 2);
    // A click on a table row selects that level too.
    await page.click('#levels-table tbody tr[data-level="4"] th');
    assert.equal(await page.getAttribute('#layer-sparsity-chart', 'data-selected-level'), '4');
    // After a reload (VS Code restoring the webview) the selection comes back from the saved state.
    await page.reload();
    await waitForDashboard(page, 'elsa', 0);
    assert.equal(await page.getAttribute('#layer-sparsity-chart', 'data-selected-level'), '4');
    assert.equal(await page.$eval('#level-select', (el) => (el as HTMLElement & { value: string }).value), '4');
    // The heatmap legend selects levels as well.
    await page.click('#nesting-legend li[data-level="3"]');
    assert.equal(await page.getAttribute('#nesting-heatmap', 'data-selected-level'), '3');
    assert.equal(await page.getAttribute('#levels-table tbody tr.selected', 'data-level'), '3');
    await page.close();
  });

  it('changing the layer loads that layer’s heatmap and histogram', async () => {
    const { page } = await open('scenario=elsa&theme=dark');
    await page.$eval('#layer-select', (el) => {
      (el as HTMLElement & { value: string }).value = 'dense_2/kernel';
      el.dispatchEvent(new Event('change'));
    });
    await page.waitForSelector('#nesting-heatmap[data-layer="dense_2/kernel"]');
    await page.waitForSelector('#histogram-chart[data-layer="dense_2/kernel"]');
    const heat = await page.$eval('#nesting-heatmap', (c) => ({ ...(c as HTMLCanvasElement).dataset }));
    assert.deepEqual([heat.rows, heat.cols, heat.reduction], ['64', '10', 'exact']);
    await page.close();
  });

  it('shows the weight values beside the codes, and hovering names the cell\'s exact weights, values and code', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    await page.waitForSelector('#values-heatmap[data-scale]');
    const heat = await page.$eval('#nesting-heatmap', (c) => ({ ...(c as HTMLCanvasElement).dataset }));
    const rowStarts = JSON.parse(heat.rowStarts ?? '[]') as number[];
    const colStarts = JSON.parse(heat.colStarts ?? '[]') as number[];
    assert.equal(rowStarts.at(-1), Number(heat.sourceRows));
    await page.locator('#values-heatmap').scrollIntoViewIfNeeded();
    const box = (await page.locator('#values-heatmap').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.41);
    await page.waitForSelector('#nesting-hover[data-row]');
    const hover = await page.$eval('#nesting-hover', (p) => ({ row: Number((p as HTMLElement).dataset.row), col: Number((p as HTMLElement).dataset.col), text: p.textContent ?? '' }));
    const [r0, r1, c0, c1] = [rowStarts[hover.row], rowStarts[hover.row + 1], colStarts[hover.col], colStarts[hover.col + 1]];
    const span = (a: number, b: number) => (b - a === 1 ? String(a) : `${a}–${b - 1}`);
    assert.ok(hover.text.startsWith(`weights [${span(r0, r1)}, ${span(c0, c1)}] (${(r1 - r0) * (c1 - c0)}): values `), hover.text);
    assert.match(hover.text, / · code \d/);
    // The values' pixels are drawn: not all one colour.
    const distinct = await page.$eval('#values-heatmap', (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    });
    assert.ok(distinct > 20, `${distinct} colours`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('runs the sensitivity scan on request and draws a line per layer with the suggested targets', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    await page.fill('#sensitivity-target', '0.8');
    await page.click('#sensitivity-run');
    await page.waitForSelector('#sensitivity-table tbody tr');
    const sent = await page.evaluate(() => (window as unknown as { elsaHarness: { log: { body: { kind: string } }[] } }).elsaHarness.log.map((m) => m.body).filter((b) => b.kind === 'getSensitivity'));
    assert.deepEqual(sent, [{ kind: 'getSensitivity', level: 0, target: 0.8 }]);
    const lines = (await json(page, '#sensitivity-chart', 'data-points')) as { layer: string; points: number[][] }[];
    const summary = makeModel('elsa').summary;
    assert.deepEqual(lines.map((l) => l.layer), summary.layers.map((l) => l.name));
    assert.ok(lines.every((l) => l.points.length === 6));
    const rows = await page.$$eval('#sensitivity-table tbody tr', (trs) => trs.map((tr) => ({ layer: tr.getAttribute('data-layer'), sparsity: Number(tr.getAttribute('data-sparsity')) })));
    const params = new Map(summary.layers.map((l) => [l.name, l.params]));
    const total = [...params.values()].reduce((a, b) => a + b, 0);
    const overall = rows.reduce((n, r) => n + r.sparsity * params.get(r.layer!)!, 0) / total;
    assert.ok(Math.abs(overall - 0.8) < 1e-9, `suggested overall ${overall}`);
    assert.match((await page.textContent('#sensitivity-config')) ?? '', /demo\.suggested\.elsa\.json/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('grows the training curve as events are appended', async () => {
    // Record every value the counter takes, from before the page's own scripts run.
    const record = (page: Page) =>
      page.addInitScript(() => {
        const seen: number[] = [];
        (window as unknown as { eventCounts: number[] }).eventCounts = seen;
        new MutationObserver(() => {
          const n = Number(document.getElementById('training-chart')?.getAttribute('data-event-count') ?? NaN);
          if (Number.isFinite(n) && n !== seen[seen.length - 1]) seen.push(n);
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-event-count'] });
      });
    const { page } = await open('scenario=elsa&theme=dark&live=1&liveBatch=100&liveTick=80', record);
    const total = makeEvents().length;
    await page.waitForSelector(`#training-chart[data-event-count="${total}"]`, { timeout: 15000 });
    const counts = await page.evaluate(() => (window as unknown as { eventCounts: number[] }).eventCounts);
    assert.ok(counts.filter((n) => n > 0).length >= 3, `the count grew in steps: ${counts.join(' ')}`);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i] > counts[i - 1], `never shrinks: ${counts.join(' ')}`);
    const points = (await json(page, '#training-chart', 'data-points')) as { loss: unknown[] };
    assert.equal(points.loss.length, makeEvents().filter((e) => e.type === 'epoch').length);
    assert.equal(await page.getAttribute('#training-chart', 'data-status'), 'complete');
    await page.close();
  });

  it('follows a run folder while it trains: no checkpoint yet, then the summary once one is written', async () => {
    const page = await suite.browser.newPage({ viewport: { width: 1200, height: 900 } });
    // The banner shows for only ~4 live ticks before the checkpoint arrives, which a polling wait can miss on a
    // loaded machine: an observer installed before the page's scripts records every state the banner takes,
    // with whether the live curve was on screen at that moment.
    await page.addInitScript(() => {
      const seen: { banner: string; curve: boolean }[] = [];
      (window as unknown as { bannerStates: typeof seen }).bannerStates = seen;
      new MutationObserver(() => {
        const banner = document.querySelector<HTMLElement>('#dashboard-error');
        const curve = document.querySelector<HTMLElement>('#training-section');
        if (banner && !banner.hidden) seen.push({ banner: banner.textContent ?? '', curve: curve !== null && !curve.hidden && curve.offsetParent !== null });
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.goto(`${suite.url}?scenario=training&theme=dark&live=1&liveBatch=40&liveTick=100`);
    await page.waitForSelector('#elsa-dashboard[data-state="ready"]', { timeout: 15000 });
    const states = await page.evaluate(() => (window as unknown as { bannerStates: { banner: string; curve: boolean }[] }).bannerStates);
    const waiting = states.filter((s) => /no checkpoint in this run folder yet/.test(s.banner));
    assert.ok(waiting.length > 0, `the banner said there is no checkpoint yet: ${JSON.stringify(states.slice(0, 5))}`);
    assert.ok(waiting.some((s) => s.curve), 'the live curve shows without a checkpoint');
    await page.waitForSelector('#levels-table tbody tr[data-level="1"]');
    assert.equal(await page.isVisible('#dashboard-error'), false);
    assert.equal(await page.isVisible('#accuracy-section'), true);
    await page.close();
  });

  it('repaints in the new theme’s colours when VS Code switches theme', async () => {
    const { page } = await open('scenario=elsa&theme=dark');
    const pixel = () =>
      page.$eval('#nesting-share .share-seg[data-level="5"]', (el) => getComputedStyle(el).backgroundColor);
    const dark = await pixel();
    await page.evaluate(() => {
      document.documentElement.className = 'theme-light';
      document.body.classList.replace('vscode-dark', 'vscode-light');
    });
    await page.waitForFunction((before) => getComputedStyle(document.querySelector('#nesting-share .share-seg[data-level="5"]')!).backgroundColor !== before, dark);
    assert.notEqual(await pixel(), dark);
    await page.close();
  });

  it('shows what makes sense for a foreign file, and a readable error for an unreadable one', async () => {
    const foreign = await open('scenario=foreign&theme=light');
    assert.equal(await foreign.page.getAttribute('#elsa-dashboard', 'data-kind'), 'foreign');
    assert.equal(await foreign.page.isVisible('#accuracy-section'), false);
    assert.equal(await foreign.page.textContent('#nesting-section h2'), 'Zero pattern');
    assert.deepEqual(await foreign.page.$$eval('#nesting-legend li', (lis) => lis.map((li) => li.querySelector('.legend-label')?.textContent)), ['nonzero', 'zero']);
    assert.equal(await foreign.page.isVisible('#nesting-check'), false);
    assert.match((await foreign.page.textContent('#file-note')) ?? '', /no ELSA metadata/);
    const hist = (await json(foreign.page, '#histogram-chart', 'data-points')) as { datasets: { label: string }[] };
    assert.deepEqual(hist.datasets.map((d) => d.label), ['all weights']);
    assert.deepEqual(foreign.errors, []);
    await foreign.page.close();

    const broken = await open('scenario=broken&theme=hc');
    assert.equal(await broken.page.getAttribute('#elsa-dashboard', 'data-state'), 'error');
    assert.match((await broken.page.textContent('#dashboard-error')) ?? '', /header length 9e18 exceeds file size 4096/);
    await broken.page.close();
  });

  it('ignores malformed messages', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    await page.evaluate(() => {
      for (const m of [null, 'x', { id: 1, type: 'notification', body: { kind: 'eventsAppended', events: 'no', next: 1 } }, { type: 'response' }]) window.postMessage(m, '*');
    });
    await page.waitForTimeout(100);
    assert.equal(await page.getAttribute('#elsa-dashboard', 'data-state'), 'ready');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('draws an error bar on every accuracy point and names the epochs behind each curve', async () => {
    const { page, errors } = await open('scenario=elsa&theme=dark');
    await page.waitForSelector('#accuracy-chart[data-error-bars]');
    // ELSA 5 points, strict and cheap independent 4 each, the dense baseline 1: one bar each (1,000 test images).
    assert.equal(await page.getAttribute('#accuracy-chart', 'data-error-bars'), '14');
    const acc = (await json(page, '#accuracy-chart', 'data-points')) as { elsa: { y: number; low: number; high: number; epochs: number }[]; independentCheap: unknown[] };
    assert.equal(acc.independentCheap.length, 4);
    for (const p of acc.elsa) assert.ok(p.low < p.y && p.y < p.high && p.epochs > 0, JSON.stringify(p));
    assert.match((await page.getAttribute('#accuracy-chart', 'aria-label')) ?? '', /ELSA: .*\(10 epochs\).*Independent, strict budget: .*\(9 epochs\).*Independent, cheap budget: .*\(3 epochs\).*Dense: .*\(10 epochs\)/);
    assert.match((await page.textContent('#accuracy-section-note')) ?? '', /95 % binomial interval of 1000 test images/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a study folder: one chart per group with error bars, and the table with epochs', async () => {
    const page = await suite.browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${suite.url.replace('index.html', 'study.html')}?scenario=study&theme=light`);
    await page.waitForSelector('#elsa-dashboard[data-state="ready"]', { timeout: 15000 });
    await page.waitForSelector('#study-chart-cnn-gmp[data-error-bars]');
    assert.equal(await page.getAttribute('#elsa-dashboard', 'data-kind'), 'study');
    assert.match((await page.textContent('#study-facts')) ?? '', /10000 test images; seeds 1, 2, 3.*Cells complete: 4 of 6/);
    assert.deepEqual(await page.$$eval('#study-groups section', (ss) => ss.map((x) => x.getAttribute('data-group'))), ['cnn-gmp', 'mlp-gmp']);
    // 3 ELSA + 2 strict + 2 cheap + 1 dense points, each with its bar.
    assert.equal(await page.getAttribute('#study-chart-cnn-gmp', 'data-error-bars'), '8');
    const pts = (await json(page, '#study-chart-cnn-gmp', 'data-points')) as { elsa: { y: number; low: number; high: number; epochs: number }[] };
    assert.deepEqual(pts.elsa.map((p) => p.epochs), [14, 11, 7]);
    assert.ok(Math.abs(pts.elsa[2].high - pts.elsa[2].y - 0.003) < 1e-9, 'the bar is ±1 std over seeds');
    assert.match((await page.textContent('#study-cnn-gmp-note')) ?? '', /±1 standard deviation over 3 seeds/);
    assert.match((await page.textContent('#study-mlp-gmp-note')) ?? '', /binomial interval of 10000 test images/);
    const row = await page.$$eval('#study-cnn-gmp tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(row[2], ['3 (dense)', '0.0 %', '0.00 %', '90.50 ± 0.20', '14', '90.70 ± 0.10', '14', '-0.20', '–', '–']);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
