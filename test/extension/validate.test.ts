import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvelopeIds, MAX_HEATMAP_CELLS, parseHostMessage, parseWebviewMessage } from '../../src/protocol/validate';
import type { HostResponse, WebviewNotification, WebviewRequest } from '../../src/protocol/webview';

const request = (id: number, body: unknown) => ({ id, type: 'request', body });
const note = (id: number, body: unknown) => ({ id, type: 'notification', body });

describe('parseWebviewMessage', () => {
  const valid: [string, unknown][] = [
    ['getSummary', request(1, { kind: 'getSummary' })],
    ['getHeatmap', request(2, { kind: 'getHeatmap', layer: 'conv/kernel', maxCells: 4096 })],
    ['getHistogram', request(3, { kind: 'getHistogram', layer: 'd', bins: 40 })],
    ['getEvents', request(4, { kind: 'getEvents', since: 0 })],
    ['getSensitivity', request(9, { kind: 'getSensitivity', level: 0, target: 0.9 })],
    ['ready', note(5, { kind: 'ready', protocol: 1, state: { level: 2 } })],
    ['saveState', note(6, { kind: 'saveState', state: { any: 'thing' } })],
    ['log', note(7, { kind: 'log', level: 'warn', message: 'x' })],
    ['command', note(8, { kind: 'command', command: 'extractLevel', level: 2, uri: 'file:///a' })],
  ];
  for (const [name, raw] of valid) {
    it(`accepts a well-formed ${name}`, () => {
      const msg = parseWebviewMessage(raw);
      assert.ok(msg, name);
      assert.deepEqual(msg, raw);
    });
  }

  const invalid: [string, unknown][] = [
    ['null', null],
    ['a string', 'getSummary'],
    ['a missing id', { type: 'request', body: { kind: 'getSummary' } }],
    ['a negative id', request(-1, { kind: 'getSummary' })],
    ['a fractional id', request(1.5, { kind: 'getSummary' })],
    ['an unknown envelope type', { id: 1, type: 'response', body: { kind: 'getSummary' } }],
    ['an unknown request kind', request(1, { kind: 'deleteEverything' })],
    ['a notification kind sent as a request', request(1, { kind: 'ready', protocol: 1 })],
    ['a heatmap without a layer', request(1, { kind: 'getHeatmap', maxCells: 10 })],
    ['a heatmap over the cell limit', request(1, { kind: 'getHeatmap', layer: 'a', maxCells: MAX_HEATMAP_CELLS + 1 })],
    ['zero bins', request(1, { kind: 'getHistogram', layer: 'a', bins: 0 })],
    ['a negative events offset', request(1, { kind: 'getEvents', since: -3 })],
    ['a string events offset', request(1, { kind: 'getEvents', since: '0' })],
    ['a sensitivity target of 1', request(1, { kind: 'getSensitivity', level: 0, target: 1 })],
    ['a sensitivity level of -1', request(1, { kind: 'getSensitivity', level: -1, target: 0.5 })],
    ['ready without a protocol', note(1, { kind: 'ready' })],
    ['an unknown log level', note(1, { kind: 'log', level: 'debug', message: 'x' })],
    ['an unknown command', note(1, { kind: 'command', command: 'rm -rf' })],
    ['a command with level 0', note(1, { kind: 'command', command: 'evaluate', level: 0 })],
  ];
  for (const [name, raw] of invalid) {
    it(`drops ${name}`, () => assert.equal(parseWebviewMessage(raw), undefined));
  }

  it('never throws and never lets extra fields through (random mutations)', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const junk = [null, undefined, -1, 0, 1.5, 'x', [], {}, { kind: 'getSummary' }, true, 2 ** 60];
    for (let i = 0; i < 2000; i++) {
      const base = structuredClone(valid[Math.floor(rand() * valid.length)][1]) as Record<string, unknown>;
      const target = rand() < 0.5 ? base : (base.body as Record<string, unknown>);
      const keys = [...Object.keys(target), 'extra'];
      target[keys[Math.floor(rand() * keys.length)]] = junk[Math.floor(rand() * junk.length)];
      const parsed = parseWebviewMessage(base);
      if (parsed) {
        assert.ok(!('extra' in parsed) && !('extra' in (parsed.body as object)));
        assert.equal(parseWebviewMessage(parsed) !== undefined, true, 'a parsed message parses again');
      }
    }
  });

  it('truncates oversized log messages', () => {
    const msg = parseWebviewMessage(note(1, { kind: 'log', level: 'info', message: 'x'.repeat(50_000) }));
    assert.equal((msg?.body as Extract<WebviewNotification, { kind: 'log' }>).message.length, 10_000);
  });
});

describe('parseHostMessage', () => {
  const ids = new EnvelopeIds();
  const summary: HostResponse = {
    kind: 'summary',
    summary: {
      uri: 'file:///a', fileName: 'a.elsa.safetensors', fileSize: 10, levelCount: 3, nestingOk: true,
      layers: [{ name: 'w', shape: [2, 2], params: 4, levelSparsity: [0.5, 0.25, 0], codeShare: [0.5, 0.25, 0.25] }],
    },
  };

  const heatmap = { layer: 'w', rows: 1, cols: 2, codes: [1, 2], reduction: 'exact', sourceRows: 1, sourceCols: 2, levelCount: 2, codeShare: [0.5, 0.5], nestingOk: true, rowStarts: [0, 1], colStarts: [0, 1, 2] };
  const sensitivity = {
    level: 3, dataset: 'd (10 test)', seconds: 1.5, baseline: { accuracy: 0.9, loss: 0.3 }, configUri: '/r/x.suggested.elsa.json',
    layers: [{ name: 'w', size: 4, baseSparsity: 0, points: [{ sparsity: 0, accuracy: 0.9, loss: 0.3 }, { sparsity: 0.5, accuracy: 0.8, loss: 0.5 }] }],
    suggestion: { target: 0.5, reached: 0.5, reachable: true, layers: [{ name: 'w', sparsity: 0.5, accuracyAlone: 0.8 }] },
  };

  it('accepts what the host sends', () => {
    for (const body of [
      summary,
      { kind: 'heatmap', heatmap: { layer: 'w', rows: 1, cols: 2, codes: [1, 2], reduction: 'exact', sourceRows: 1, sourceCols: 2, levelCount: 2, codeShare: [0.5, 0.5], nestingOk: true, rowStarts: [0, 1], colStarts: [0, 1, 2] } },
      { kind: 'heatmap', heatmap: { ...heatmap, values: { mean: [0.5, -1], min: [0.5, -1], max: [0.5, -1], scale: 1 } } },
      { kind: 'sensitivity', sensitivity },
      { kind: 'histogram', histogram: { layer: 'w', edges: [0, 1, 2], counts: [[1, 2], [3, 4]], levelCount: 2 } },
      { kind: 'events', events: [{ type: 'epoch' }], from: 0, next: 10 },
      { kind: 'error', message: 'CheckpointError: a: broken' },
    ] as HostResponse[]) {
      const env = ids.response(7, body);
      assert.deepEqual(parseHostMessage(env), env);
    }
    for (const body of [
      { kind: 'init', target: { uri: 'file:///a', label: 'a' }, theme: 'dark' },
      { kind: 'eventsAppended', events: [], from: 0, next: 0 },
      { kind: 'summaryChanged' },
    ]) {
      const env = ids.notification(body);
      assert.deepEqual(parseHostMessage(env), env);
    }
  });

  it('drops responses without inReplyTo or with inconsistent payloads', () => {
    assert.equal(parseHostMessage({ id: 1, type: 'response', body: summary }), undefined);
    assert.equal(parseHostMessage(ids.response(1, { kind: 'heatmap', heatmap: { layer: 'w', rows: 2, cols: 2, codes: [1], reduction: 'exact', sourceRows: 2, sourceCols: 2, levelCount: 2, codeShare: [], nestingOk: true } })), undefined);
    assert.equal(parseHostMessage(ids.response(1, { kind: 'histogram', histogram: { layer: 'w', edges: [0, 1], counts: [[1, 2]], levelCount: 1 } })), undefined);
    // The cell mapping must cover the source exactly, in increasing order; values one per cell.
    for (const bad of [{ rowStarts: [0, 2] }, { colStarts: [0, 2, 1] }, { colStarts: [0, 1] }, { rowStarts: undefined }, { values: { mean: [1], min: [1], max: [1], scale: 1 } }]) {
      assert.equal(parseHostMessage(ids.response(1, { kind: 'heatmap', heatmap: { ...heatmap, ...bad } })), undefined, JSON.stringify(bad));
    }
    assert.equal(parseHostMessage(ids.response(1, { kind: 'sensitivity', sensitivity: { ...sensitivity, layers: [{ name: 'w', size: 4, baseSparsity: 0, points: [{ sparsity: 0 }] }] } })), undefined);
    assert.equal(parseHostMessage(ids.response(1, { kind: 'sensitivity', sensitivity: { ...sensitivity, suggestion: undefined } })), undefined);
    assert.equal(parseHostMessage(ids.notification({ kind: 'init', target: { uri: 3 } })), undefined);
    // An event chunk names where it starts (the page applies it only there); a chunk without it, or ending before it starts, is dropped.
    assert.equal(parseHostMessage(ids.notification({ kind: 'eventsAppended', events: [], next: 5 })), undefined);
    assert.equal(parseHostMessage(ids.notification({ kind: 'eventsAppended', events: [], from: 9, next: 5 })), undefined);
    assert.equal(parseHostMessage(ids.response(1, { kind: 'events', events: [], from: -1, next: 5 })), undefined);
    assert.equal(parseHostMessage(ids.request({ kind: 'getSummary' } as WebviewRequest)), undefined);
  });

  it('numbers envelopes in order', () => {
    const e = new EnvelopeIds();
    assert.deepEqual([e.request({}).id, e.notification({}).id, e.response(1, {}).id], [1, 2, 3]);
  });
});

describe('study messages', () => {
  const ids = new EnvelopeIds();
  const point = { level: 1, targetSparsity: 0.9, sparsity: 0.9, mean: 0.88, std: 0.01, low: 0.87, high: 0.89, interval: 'seed-std', n: 3, epochs: 5 };
  const study = {
    format: 'elsa-study/1', name: 's', createdAt: 'x', testCount: 10000, levels: [0.9], epochs: { warmup: 1, perPhase: 4, dense: 2 }, seeds: [1, 2, 3],
    groups: [{ key: 'cnn-gmp', model: 'cnn', sparsifier: 'gmp', levels: [0.9], seeds: [1, 2, 3], seconds: { elsa: 1, baselines: 2 }, series: [{ method: 'elsa', points: [point] }] }],
    cells: [{ name: 'cnn-gmp-s1', model: 'cnn', sparsifier: 'gmp', seed: 1, status: 'complete' }],
  };

  it('carries getStudy, the study answer and a study target both ways', () => {
    const req = { id: 3, type: 'request', body: { kind: 'getStudy' } };
    assert.deepEqual(parseWebviewMessage(req), req);
    const res = ids.response(3, { kind: 'study', study } as HostResponse);
    assert.deepEqual(parseHostMessage(res), res);
    const init = ids.notification({ kind: 'init', target: { uri: 'file:///s', label: 's', kind: 'study' } });
    assert.deepEqual(parseHostMessage(init), init);
  });

  it('drops a study without epochs or of another format, a bad target kind, and a summary with a pre-epochs report', () => {
    const noEpochs = { ...study, groups: [{ ...study.groups[0], series: [{ method: 'elsa', points: [{ ...point, epochs: undefined }] }] }] };
    assert.equal(parseHostMessage(ids.response(1, { kind: 'study', study: noEpochs })), undefined);
    assert.equal(parseHostMessage(ids.response(1, { kind: 'study', study: { ...study, format: 'elsa-study/0' } })), undefined);
    assert.equal(parseHostMessage(ids.notification({ kind: 'init', target: { uri: 'file:///s', label: 's', kind: 'zip' } })), undefined);
    const summary = { uri: 'file:///a', fileName: 'a', fileSize: 1, levelCount: 2, nestingOk: true, layers: [] };
    const v1 = { format: 'elsa-report/1', run: 'r', createdAt: 'x', elsa: [{ level: 1, targetSparsity: 0.9, sparsity: 0.9, accuracy: 0.8 }], independent: [], storage: [] };
    assert.equal(parseHostMessage(ids.response(1, { kind: 'summary', summary: { ...summary, report: v1 } })), undefined, 'a report without epochs never reaches the chart');
    assert.ok(parseHostMessage(ids.response(1, { kind: 'summary', summary })));
  });
});
