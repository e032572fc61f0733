/**
 * The sample view's messages: the validator accepts the well-formed requests and answers and drops every
 * malformed one (the webview and the CLI's JSON are both input to the host and the page).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSampleResult, SAMPLE_FORMAT, sampleResultFromJson, type SampleResult } from '../../src/protocol/sample';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/validate';

const request = (body: unknown) => ({ id: 3, type: 'request', body });
const response = (body: unknown) => ({ id: 4, type: 'response', inReplyTo: 3, body });
const stats = { medianMs: 0.2, p10Ms: 0.1, p90Ms: 0.4, runs: 30 };

function result(): SampleResult {
  return {
    format: SAMPLE_FORMAT, checkpoint: '/w/run/x.elsa.safetensors', source: 'fashion-mnist-small (embedded) test split', engine: 'wasm',
    classNames: ['a', 'b', 'c'], runs: 30, warmup: 5,
    inputs: [{ id: 'test #0', label: 1, shape: [2, 2, 1], pixels: [0, 255, 3, 4] }],
    levels: [
      { level: 1, targetSparsity: 0.9, sparsity: 0.9, isDense: false, predictions: [{ predicted: 1, confidence: 0.8, top: [{ class: 1, p: 0.8 }], correct: true }], denseLatency: stats, sparseLatency: stats, maxLogitDiff: 1e-7, picked: 'sparse' },
      { level: 2, targetSparsity: 0, sparsity: 0, isDense: true, predictions: [{ predicted: 1, confidence: 0.9, top: [] }], denseLatency: stats, sparseSkipped: 'layer X', picked: 'dense' },
    ],
    recommended: { level: 1, reason: 'r', command: 'elsa extract …' },
  };
}

describe('sample view protocol', () => {
  it('accepts well-formed requests and notifications', () => {
    for (const body of [
      { kind: 'getSamplePrediction', samples: [0, 5], runs: 30 },
      { kind: 'getSamplePrediction', samples: [], imageUri: 'file:///w/a.png', runs: 1 },
      { kind: 'pickSampleImage' },
    ]) assert.deepEqual(parseWebviewMessage(request(body))?.body, body);
    assert.deepEqual(parseWebviewMessage({ id: 1, type: 'notification', body: { kind: 'copyText', text: 'elsa extract a' } })?.body, { kind: 'copyText', text: 'elsa extract a' });
  });

  it('drops malformed requests', () => {
    for (const body of [
      { kind: 'getSamplePrediction', samples: [], runs: 30 }, // nothing to predict
      { kind: 'getSamplePrediction', samples: [-1], runs: 30 },
      { kind: 'getSamplePrediction', samples: [1.5], runs: 30 },
      { kind: 'getSamplePrediction', samples: '0,1', runs: 30 },
      { kind: 'getSamplePrediction', samples: Array.from({ length: 65 }, (_, i) => i), runs: 30 },
      { kind: 'getSamplePrediction', samples: [0], runs: 0 },
      { kind: 'getSamplePrediction', samples: [0], runs: 10_001 },
      { kind: 'getSamplePrediction', samples: [0] },
      { kind: 'getSamplePrediction', samples: [0], runs: 3, imageUri: 7 },
    ]) assert.equal(parseWebviewMessage(request(body)), undefined, JSON.stringify(body));
    assert.equal(parseWebviewMessage({ id: 1, type: 'notification', body: { kind: 'copyText', text: 5 } }), undefined);
    assert.equal(parseWebviewMessage({ id: 1, type: 'notification', body: { kind: 'copyText', text: 'x'.repeat(10_001) } }), undefined);
  });

  it('accepts a complete result and drops incomplete ones', () => {
    assert.ok(parseHostMessage(response({ kind: 'samplePrediction', sample: result() })));
    assert.deepEqual(parseHostMessage(response({ kind: 'sampleImage', uri: 'file:///a.png', name: 'a.png' }))?.body, { kind: 'sampleImage', uri: 'file:///a.png', name: 'a.png' });
    assert.deepEqual(parseHostMessage(response({ kind: 'sampleImage' }))?.body, { kind: 'sampleImage' });
    assert.equal(parseHostMessage(response({ kind: 'sampleImage', uri: 3 })), undefined);
    const broken: [string, (r: Record<string, unknown>) => void][] = [
      ['format', (r) => { r.format = 'elsa-predict/2'; }],
      ['no inputs', (r) => { r.inputs = []; }],
      ['pixels of the wrong size', (r) => { (r.inputs as { pixels: number[] }[])[0].pixels = [1, 2]; }],
      ['pixel out of range', (r) => { (r.inputs as { pixels: number[] }[])[0].pixels = [0, 256, 0, 0]; }],
      ['a prediction missing', (r) => { (r.levels as { predictions: unknown[] }[])[0].predictions = []; }],
      ['latency not a number', (r) => { (r.levels as { denseLatency: unknown }[])[0].denseLatency = { ...stats, medianMs: 'fast' }; }],
      ['zero runs', (r) => { (r.levels as { denseLatency: unknown }[])[0].denseLatency = { ...stats, runs: 0 }; }],
      ['picked unknown', (r) => { (r.levels as { picked: string }[])[0].picked = 'gpu'; }],
      ['level 0', (r) => { (r.levels as { level: number }[])[0].level = 0; }],
      ['recommendation without command', (r) => { r.recommended = { level: 1, reason: 'r' }; }],
    ];
    for (const [what, mutate] of broken) {
      const r = result() as unknown as Record<string, unknown>;
      mutate(r);
      assert.equal(isSampleResult(r), false, what);
      assert.equal(parseHostMessage(response({ kind: 'samplePrediction', sample: r })), undefined, what);
    }
  });

  it('reads the CLI output or says what is wrong with it', () => {
    assert.deepEqual(sampleResultFromJson(JSON.stringify(result())), result());
    assert.throws(() => sampleResultFromJson('progress…'), /elsa predict printed no JSON/);
    assert.throws(() => sampleResultFromJson('{"format":"x"}'), /printed JSON that is not elsa-predict\/1/);
  });
});
