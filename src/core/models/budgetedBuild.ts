/**
 * Builds a Layers model from an untrusted topology (a checkpoint's metadata, a model.json) without letting the
 * topology allocate more weight values than the file that came with it holds.
 *
 * `topologyCheck.ts` bounds each size key (units, filters, kernel_size, …), but not their products: a 2.6 KB
 * model.json declaring one `LocallyConnected2D` (130×130×3 input, 2,048 filters) and no weights made TF.js
 * allocate and initialise a 905M-value kernel — 7 GB of memory and 45 s — before it noticed that the weights
 * were missing; 4× the filters would be killed by the OOM killer instead of getting an error. Every weight a
 * layer creates goes through `Layer.addWeight(name, shape, …)` before anything is allocated, so that is where
 * the sizes are summed and the build refused, with one line naming the layer and the file.
 *
 * A legitimate model needs exactly the values its file stores (TF.js' strict loading and `setWeightsByName`
 * require every weight), so the budget is what the file holds. Weights that will be overwritten are created
 * as zeros (TF.js' own "fast weight init" for the same case: no random initialiser runs on them).
 */
import * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors';
import { shortName } from '../io/limits';
// Registers LocallyConnected2D, which TF.js Layers lacks, before any topology is rebuilt.
import './locallyConnected';

const fmt = (n: number) => n.toLocaleString('en-US');

type AddWeight = (this: tf.layers.Layer, name: string, shape: number[], ...rest: unknown[]) => tf.LayerVariable;

/**
 * How many weight values a topology may create beyond those its file holds: 2^26 float32 values, 256 MiB, 25×
 * the largest model this project builds (the locally connected residual CNN, 2.7M). A file that lacks a
 * tensor or two still builds, so that the loader's exact message ("missing weight tensor dense2/bias") is what
 * the user sees; a topology rebuilt without weights (tests, probes) gets this much in all.
 */
export const WEIGHT_SLACK_VALUES = 2 ** 26;

/**
 * `tf.models.modelFromJSON(topology)` with every `addWeight` counted against `held + WEIGHT_SLACK_VALUES`;
 * with `zeroInit` (the weights are about to be overwritten) each is initialised with zeros. The topology is
 * deserialised synchronously inside `modelFromJSON` (its first `await` comes after the build), so the counter
 * is installed and removed around that synchronous part only: no model built elsewhere in the process is ever
 * counted.
 */
export async function buildWithWeightBudget(topology: object, file: string | undefined, options: { held: number; zeroInit: boolean }): Promise<tf.LayersModel> {
  const { held, zeroInit } = options;
  const maxValues = held + WEIGHT_SLACK_VALUES;
  const proto = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = proto.addWeight;
  const zeros = tf.initializers.zeros();
  let total = 0;
  proto.addWeight = function (this: tf.layers.Layer, name: string, shape: number[], dtype: unknown, initializer: unknown, ...rest: unknown[]) {
    const size = shape.reduce((a, b) => a * b, 1);
    total += size;
    if (!Number.isFinite(total) || total > maxValues) {
      throw modelError(
        file,
        `model topology: layer "${shortName(this.name)}" would create a [${shape.join(', ')}] ${shortName(name)} (${fmt(total)} weight values so far) where the file holds ${fmt(held)}; at most ${fmt(WEIGHT_SLACK_VALUES)} more are built`,
      );
    }
    return original.call(this, name, shape, dtype, zeroInit ? zeros : initializer, ...rest);
  };
  let pending: Promise<tf.LayersModel>;
  try {
    pending = tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelArtifacts['modelTopology'] } as Parameters<typeof tf.models.modelFromJSON>[0]);
  } finally {
    proto.addWeight = original;
  }
  return pending;
}
