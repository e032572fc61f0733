/**
 * The evaluation batch: smaller for big models (a stop waits for one batch, src/cli/supervisor.ts), unchanged
 * for the built-in models (their recorded test losses sum in the same order), and never a change in the result.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initEngine } from '../../../src/core/engine/backend';
import { evaluateModel, evaluationBatchSize } from '../../../src/core/method/evaluate';
import { BUILTIN_MODEL_TYPES, buildModel } from '../../../src/core/models/builders';
import { quadrantDataset } from '../../helpers/synthetic';

describe('evaluation batch size', () => {
  before(() => initEngine('cpu'));

  it('the built-in models at Fashion-MNIST size keep 256 images per batch', () => {
    for (const type of BUILTIN_MODEL_TYPES) {
      const model = buildModel({ type }, [28, 28, 1], 10, 1);
      assert.equal(evaluationBatchSize(model.countParams()), 256, `${type}: ${model.countParams()} weights`);
      model.dispose();
    }
  });

  it('a 20-million-weight model gets batches of about 2^28 multiplications, at least 8 images', () => {
    assert.equal(evaluationBatchSize(20_000_000), 13);
    assert.equal(evaluationBatchSize(1e12), 8);
    assert.equal(evaluationBatchSize(0), 256);
  });

  it('the batch size does not change accuracy or loss', async () => {
    const dataset = quadrantDataset(10, 101, 3);
    const model = buildModel({ type: 'mlp' }, dataset.shape, dataset.numClasses, 2);
    const whole = await evaluateModel(model, dataset.test, dataset.shape, { numClasses: dataset.numClasses });
    const small = await evaluateModel(model, dataset.test, dataset.shape, { numClasses: dataset.numClasses, batchSize: 7 });
    model.dispose();
    assert.equal(small.accuracy, whole.accuracy);
    assert.equal(small.count, 101);
    assert.ok(Math.abs(small.loss - whole.loss) < 1e-6, `${small.loss} vs ${whole.loss}`);
  });
});
