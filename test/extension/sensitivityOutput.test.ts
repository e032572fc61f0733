/** What the dashboard makes of `elsa sensitivity --json`: the protocol's SensitivityData, or a readable error. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sensitivityFromCliJson } from '../../src/extension/sensitivityOutput';
import { EnvelopeIds, parseHostMessage } from '../../src/protocol/validate';

const cliJson = {
  file: 'runs/demo/demo.elsa.safetensors', level: 5, dataset: 'fashion-mnist-small (1000 test)', seconds: 8.3,
  scan: {
    baseline: { accuracy: 0.882, loss: 0.33 }, fractions: [0.5, 0.75, 0.9, 0.95, 0.98], evaluations: 3, interrupted: false,
    layers: [{ name: 'conv1/kernel', size: 144, baseSparsity: 0.035, points: [{ sparsity: 0.035, accuracy: 0.882, loss: 0.33 }, { sparsity: 0.5, accuracy: 0.882, loss: 0.34 }] }],
  },
  suggestion: { target: 0.9, reached: 0.9, reachable: true, layers: [{ name: 'conv1/kernel', size: 144, baseSparsity: 0.035, sparsity: 0.5, accuracyAlone: 0.882 }], estimatedDrop: 0 },
  config: '/work/runs/demo/demo.suggested.elsa.json',
};

describe('sensitivity CLI output', () => {
  it('becomes SensitivityData the webview accepts', () => {
    const data = sensitivityFromCliJson(JSON.stringify(cliJson), (f) => `file://${f}`);
    assert.equal(data.configUri, 'file:///work/runs/demo/demo.suggested.elsa.json');
    assert.equal(data.level, 5);
    assert.deepEqual(data.suggestion.layers, [{ name: 'conv1/kernel', sparsity: 0.5, accuracyAlone: 0.882 }]);
    const env = new EnvelopeIds().response(1, { kind: 'sensitivity' as const, sensitivity: data });
    assert.deepEqual(parseHostMessage(env), env);
  });

  it('says what is wrong with output it cannot use', () => {
    assert.throws(() => sensitivityFromCliJson('[1/21] baseline', String), /printed no JSON/);
    assert.throws(() => sensitivityFromCliJson(JSON.stringify({ scan: {} }), String), /without scan, suggestion and config/);
  });
});
