/**
 * The dashboard's saved state keeps the last sensitivity scan, so hiding the tab (which reloads the webview)
 * does not lose a scan that took minutes; a malformed saved scan (older version, tampered storage) is dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SensitivityData } from '../../src/protocol/webview';
import { restoreUiState } from '../../webview/uiState';

const scan: SensitivityData = {
  dataset: 'fashion-mnist (300 test)',
  seconds: 4.2,
  baseline: { accuracy: 0.75, loss: 0.7 },
  layers: [{ name: 'dense1/kernel', size: 100352, baseSparsity: 0.1, points: [{ sparsity: 0.1, accuracy: 0.75, loss: 0.7 }, { sparsity: 0.5, accuracy: 0.74, loss: 0.72 }] }],
  suggestion: { target: 0.8, reached: 0.8, reachable: true, layers: [{ name: 'dense1/kernel', sparsity: 0.8, accuracyAlone: 0.73 }] },
  configUri: 'file:///w/runs/x/x.suggested.elsa.json',
};

describe('restoreUiState: the saved sensitivity scan', () => {
  it('comes back as it was saved', () => {
    const saved = JSON.parse(JSON.stringify({ version: 1, level: 0, histogramLog: true, sensitivity: scan }));
    assert.deepEqual(restoreUiState(saved).sensitivity, scan);
  });

  it('is dropped when malformed, the rest of the state kept', () => {
    for (const bad of [{ ...scan, layers: [{ name: 'x' }] }, { ...scan, configUri: 7 }, 'scan', { ...scan, suggestion: undefined }]) {
      const restored = restoreUiState({ level: 2, histogramLog: false, sensitivity: bad });
      assert.equal(restored.sensitivity, undefined);
      assert.equal(restored.level, 2);
    }
  });
});
