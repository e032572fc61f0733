// A level on a sample, in a real VS Code (code-server) driven by Chromium: in the dashboard of a checkpoint the CLI
// trained, the sample view predicts test images with every level (the same predictions `elsa predict` prints),
// shows each level's latency on the dense kernels and the sparse CSR path with the faster one picked, predicts an
// image file chosen in the host's file picker exactly like the test image it was made from, copies the extract
// command and extracts the recommended level; an image of the wrong size is refused in one line.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { loadDataset } from '../../src/core/data/dataset';
import { encodePng } from '../../src/core/data/png';
import { isSampleResult, type SampleResult } from '../../src/protocol/sample';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { ensureBuilt, makeWorkspace, runCli } from './harness/fixtures';
import { poll } from './harness/poll';
import { openSession, waitForWorkbench, type Session } from './harness/session';
import { e2eGate } from './harness/tools';
import { answerInputBox, openViewContainer, pickQuickItem, runCommandForPicker, statusBarText, visibleWebview, waitForEditorTab, waitForTaskResult, waitForTreeItem } from './harness/ui';

const gate = e2eGate();

interface RowReadout {
  level: number;
  picked: string;
  denseMs: number;
  sparseMs: number;
  predicted: number[];
}

test('sample view: per-level predictions and latencies, an image file, copy and extract', { skip: gate.skip, timeout: 400_000 }, async () => {
  if (gate.failure) assert.fail(gate.failure);
  ensureBuilt();
  const workspace = makeWorkspace('sample');
  const config = {
    name: 'fixture', model: { type: 'mlp' }, data: { name: 'fashion-mnist-small', limitTrain: 3000 }, levels: [0.95, 0.9, 0.75, 0.5],
    sparsifier: { type: 'gmp' }, optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 }, epochs: { warmup: 1, perPhase: 1, dense: 1 },
    batchSize: 64, seed: 1, outDir: 'runs/fixture',
  };
  workspace.write('fixture.elsa.json', JSON.stringify(config, null, 2));
  await runCli(['train', 'fixture.elsa.json'], workspace.dir);
  const ckpt = workspace.file('runs/fixture/fixture.elsa.safetensors');
  // The CLI's answer on the same inputs: the view must show these predictions.
  const cli = await runCli(['predict', ckpt, '--sample', '0,1,2,3', '--runs', '2', '--json'], workspace.dir);
  const expected = JSON.parse(cli.stdout) as SampleResult;
  assert.ok(isSampleResult(expected));
  // Test image #2 as a PNG in the workspace, and a picture of the wrong size.
  const data = await loadDataset({ name: 'fashion-mnist-small', limitTrain: 1, limitTest: 3 });
  const pixels = Uint8Array.from(data.test.images.subarray(2 * 784, 3 * 784), (v) => Math.round(v * 255));
  writeFileSync(workspace.file('trouser.png'), encodePng(28, 28, 1, pixels, (b) => deflateSync(b)));
  writeFileSync(workspace.file('wide.png'), encodePng(32, 28, 1, new Uint8Array(32 * 28), (b) => deflateSync(b)));

  let server: CodeServer | undefined;
  let session: Session | undefined;
  try {
    server = await startCodeServer({ name: 'sample', workspace: workspace.dir, trustWorkspace: true });
    session = await openSession(server, 'sample');
    const { page, step } = session;
    const view = () => visibleWebview(page);
    const section = () => view().locator('#sample-section');
    const readRows = async (): Promise<RowReadout[]> =>
      section().locator('#sample-table tbody tr').evaluateAll((rows) => rows.map((r) => {
        const d = (r as HTMLElement).dataset;
        return { level: Number(d.level), picked: String(d.picked), denseMs: Number(d.denseMs), sparseMs: Number(d.sparseMs), predicted: JSON.parse(d.predicted ?? '[]') as number[] };
      }));
    const predict = async (what: string) => {
      await section().locator('#sample-run').click();
      await poll(`the sample view to show ${what}`, async () => (await section().getAttribute('data-state')) !== 'running' && (await section().getAttribute('data-state')), { timeoutMs: 120_000 });
    };

    await step('workbench ready', () => waitForWorkbench(page));

    await step('dashboard of the checkpoint shows the sample view', async () => {
      await openViewContainer(page, 'ELSA');
      await waitForTreeItem(page, 'Checkpoints', 'fixture.elsa.safetensors');
      await runCommandForPicker(page, 'ELSA: Open Dashboard', 'ELSA: open the dashboard of');
      await pickQuickItem(page, 'fixture.elsa.safetensors', { title: 'ELSA: open the dashboard of' });
      await waitForEditorTab(page, 'ELSA: fixture.elsa.safetensors');
      await poll('the sample section', () => section().isVisible());
      await section().scrollIntoViewIfNeeded();
    });

    await step('test images 0-3: every level predicts what elsa predict prints, with both latencies', async () => {
      await section().locator('#sample-indices').fill('0,1,2,3');
      await section().locator('#sample-runs').fill('20');
      await predict('four test images');
      assert.equal(await section().getAttribute('data-state'), 'ready', await section().innerText());
      const rows = await readRows();
      assert.deepEqual(rows.map((r) => r.level), expected.levels.map((l) => l.level));
      for (const r of rows) {
        const want = expected.levels.find((l) => l.level === r.level)!;
        assert.deepEqual(r.predicted, want.predictions.map((p) => p.predicted), `level ${r.level}`);
        assert.ok(r.denseMs > 0 && r.sparseMs > 0, `level ${r.level}: ${r.denseMs} / ${r.sparseMs} ms`);
        assert.equal(r.picked, r.sparseMs < r.denseMs ? 'sparse' : 'dense', `level ${r.level}`);
      }
      assert.equal(await section().locator('#sample-inputs canvas').count(), 4);
      const rec = expected.recommended;
      if (rec) {
        assert.equal(await section().locator('#sample-recommendation').getAttribute('data-level'), String(rec.level));
        assert.equal(await section().locator('#sample-command').innerText(), rec.command);
      }
      // The view's top at the top of the panel: inputs, table and recommendation in one screenshot (docs/screenshots).
      await section().evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await session!.shot('sample view with four test images');
    });

    await step('Copy extract command puts it on the clipboard', async () => {
      await section().locator('#sample-copy-command').click();
      await poll('the copied message in the status bar', async () => (await statusBarText(page)).includes('copied to the clipboard'));
    });

    await step('an image file from the picker predicts like the test image it was made from', async () => {
      await section().locator('#sample-indices').fill('');
      await section().locator('#sample-pick-image').click();
      await answerInputBox(page, workspace.file('trouser.png'), { title: 'An image for every level to predict' });
      await poll('the image name in the view', async () => (await section().locator('#sample-image-name').innerText()) === 'trouser.png');
      await predict('the image file');
      const rows = await readRows();
      for (const r of rows) {
        const want = expected.levels.find((l) => l.level === r.level)!;
        assert.deepEqual(r.predicted, [want.predictions[2].predicted], `level ${r.level} on trouser.png`);
      }
      assert.equal(await section().locator('#sample-inputs figure').getAttribute('data-input'), 'trouser.png');
    });

    await step('a picture of the wrong size is refused in one line', async () => {
      await section().locator('#sample-pick-image').click();
      await answerInputBox(page, workspace.file('wide.png'), { title: 'An image for every level to predict' });
      await poll('the image name in the view', async () => (await section().locator('#sample-image-name').innerText()) === 'wide.png');
      await predict('an error');
      assert.equal(await section().getAttribute('data-state'), 'error');
      const note = await section().locator('#sample-section-note').innerText();
      assert.match(note, /wide\.png: the image is 28×32×1 \(H×W×C\), the model takes 28×28×1/);
      assert.ok(!note.includes('\n'), note);
    });

    await step('Extract this level writes the recommended level', async () => {
      await section().locator('#sample-clear-image').click();
      await section().locator('#sample-indices').fill('0,1,2,3');
      await predict('four test images again');
      const level = Number(await section().locator('#sample-recommendation').getAttribute('data-level'));
      assert.ok(level >= 1, 'a recommended level');
      await section().locator('#sample-extract').click();
      await pickQuickItem(page, 'safetensors', { title: `ELSA: format for level ${level}` });
      const out = `runs/fixture/exports/fixture-level${level}.safetensors`;
      await answerInputBox(page, out, { title: 'ELSA: output path' });
      await waitForTaskResult(page, `${out} to be written`, () => existsSync(workspace.file(out)));
    });

  } finally {
    await session?.close();
    await server?.stop();
    if (!process.env.ELSA_E2E_KEEP) workspace.remove();
  }
});
