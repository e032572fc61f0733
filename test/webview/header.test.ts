/** The header names the file's format from the summary: a sharded model's index is not a TF.js model.json. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointSummary } from '../../src/protocol/webview';
import { formatName } from '../../webview/views/header';

const foreign = (fileName: string) => ({ fileName, levelCount: 0, layers: [] }) as unknown as CheckpointSummary;

describe('formatName', () => {
  it('tells a sharded safetensors index from a TF.js model.json and a single safetensors file', () => {
    assert.equal(formatName(foreign('model.safetensors.index.json')), 'sharded safetensors (no ELSA metadata)');
    assert.equal(formatName(foreign('pytorch_model.SAFETENSORS.INDEX.JSON')), 'sharded safetensors (no ELSA metadata)');
    assert.equal(formatName(foreign('model.json')), 'TF.js Layers model (no ELSA levels)');
    assert.equal(formatName(foreign('weights.safetensors')), 'safetensors (no ELSA metadata)');
  });
});
