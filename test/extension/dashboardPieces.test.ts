import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeLines, tailStart } from '../../src/core/eventsTail';
import { evalSummary } from '../../src/extension/cliOutput';
import { contentSecurityPolicy, dashboardHtml, makeNonce } from '../../src/extension/dashboardHtml';
import { foldProgress, progressText, type RunProgress } from '../../src/extension/progressModel';
import type { TrainingEvent } from '../../src/protocol/events';

describe('dashboard HTML', () => {
  const nonce = makeNonce();
  const html = dashboardHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dist/webview.js', styleUris: ['https://x/media/dashboard.css'],
    nonce, target: { uri: 'file:///ws/a "b".elsa.safetensors', label: '<a>.elsa.safetensors' }, host: 'panel',
  });

  it('has a strict CSP: nothing by default, nonce-only scripts, no inline or eval', () => {
    const csp = contentSecurityPolicy('vscode-cdn', nonce);
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
    assert.match(csp, /img-src vscode-cdn data:/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.ok(html.includes('http-equiv="Content-Security-Policy"'));
  });

  it('loads the bundle with the nonce and escapes the target', () => {
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x/dist/webview.js"></script>`));
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'exactly one script, no inline code');
    assert.ok(html.includes('content="file:///ws/a &#34;b&#34;.elsa.safetensors"'));
    assert.ok(html.includes('&#60;a&#62;.elsa.safetensors'));
    assert.ok(!html.includes('<a>'));
    assert.ok(html.includes('<div id="app"'));
  });

  it('makes a fresh alphanumeric nonce every time', () => {
    const a = makeNonce();
    assert.match(a, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(a, makeNonce());
  });
});

describe('events.jsonl tail', () => {
  const line = (o: object) => `${JSON.stringify(o)}\n`;
  const enc = (s: string) => new TextEncoder().encode(s);

  it('consumes complete lines only, so a half-written line is read again', () => {
    const text = line({ type: 'phase-start', time: 't', phase: 1, targetSparsity: 0.9, epochs: 2 }) + '{"type":"epo';
    const chunk = completeLines(enc(text), 100);
    assert.equal(chunk.events.length, 1);
    assert.equal(chunk.next, 100 + text.indexOf('\n') + 1);
    assert.deepEqual(completeLines(enc('{"type":"ep'), 7), { events: [], from: 7, next: 7 });
  });

  it('skips malformed lines but moves past them', () => {
    const text = 'garbage\n' + line({ type: 'run-end', time: 't', status: 'complete', seconds: 1 });
    const chunk = completeLines(enc(text), 0);
    assert.deepEqual(chunk.events.map((e) => e.type), ['run-end']);
    assert.equal(chunk.next, enc(text).length);
  });

  it('restarts from 0 when the file shrank', () => {
    assert.equal(tailStart(500, 100), 0);
    assert.equal(tailStart(100, 100), 100);
  });
});

describe('status bar progress', () => {
  it('follows phases and epochs to the end of a run', () => {
    const events: TrainingEvent[] = [
      { type: 'run-start', time: 't', run: 'demo', kind: 'elsa', targets: [0.95, 0.9, 0.75, 0.5], backend: 'wasm', config: {} },
      { type: 'phase-start', time: 't', phase: 0, targetSparsity: 0, epochs: 1 },
      { type: 'phase-start', time: 't', phase: 2, targetSparsity: 0.9, epochs: 3 },
      { type: 'epoch', time: 't', phase: 2, epoch: 1, step: 10, loss: 0.5, accuracy: 0.8, evalAccuracy: 0.841, sparsity: 0.9, seconds: 1, samplesPerSecond: 100, learningRate: 0.1 },
    ];
    let p: RunProgress = { status: 'starting' };
    assert.equal(progressText(p), 'starting…');
    p = foldProgress(foldProgress(p, events[0]), events[1]);
    assert.equal(progressText(p), 'warm-up · epoch 0/1');
    for (const e of events.slice(2)) p = foldProgress(p, e);
    assert.equal(progressText(p), 'phase 2/4 → 90 % · epoch 1/3 · acc 84.1 %', 'named as the CLI names it');
    p = foldProgress(p, { type: 'run-end', time: 't', status: 'cancelled', seconds: 3 });
    assert.equal(progressText(p), 'cancelled · phase 2/4 → 90 % · epoch 1/3 · acc 84.1 %');
  });
});

describe('Evaluate Checkpoint notification', () => {
  it('lists per-level accuracy from `elsa eval --json`', () => {
    const out = JSON.stringify({ file: 'a', levels: [{ level: 1, sparsity: 0.9, accuracy: 0.8367 }, { level: 2, sparsity: 0, accuracy: 0.8667 }] });
    assert.equal(evalSummary(out), 'accuracy L1 83.7 %, L2 86.7 %');
    assert.equal(evalSummary('{"accuracy": 0.5}'), 'accuracy 50.0 %');
    assert.equal(evalSummary('not json'), 'evaluation finished (details in the log)');
  });
});
