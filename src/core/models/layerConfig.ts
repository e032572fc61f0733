/**
 * Reading a TF.js Layers layer's config and weights the way both walkers of a topology need them: the ONNX
 * export (src/core/io/onnxLayers.ts, onnxExport.ts) and the sparse inference path (src/core/sparse/). One
 * reader, so the two cannot disagree on a default (strides, padding, pool size, the BN axis) or on which
 * weight a layer needs.
 */
import { modelError } from '../errors';
import type { HostTensor } from '../io/dtype';
import { spatialPadding } from '../io/onnxGraph';

type Config = Record<string, unknown>;
type Fail = (problem: string) => Error;

/** A finite number, else the fallback (TF.js configs hold null for "unset"). */
export const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
/** A 2-D size (`[a, b]` or one number for both), else the fallback. */
export const pair = (v: unknown, fallback: number[]): number[] => (Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v, v] : fallback);

/** Refuses `data_format: channels_first` (only channels_last is read). */
export function checkChannelsLast(config: Config, fail: Fail): void {
  const format = config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') throw fail(`data_format "${String(format)}" is not supported (channels_last only)`);
}

/** The layer's `padding` ('valid' when unset); anything but 'same' / 'valid' is refused. */
export function convPadding(config: Config, fail: Fail): 'same' | 'valid' {
  const padding = String(config.padding ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw fail(`padding "${padding}" is not supported`);
  return padding;
}

/** Kernel, strides and dilation of a convolution (strides and dilation default to 1). */
export function convGeometry(config: Config, fail: Fail): { kernel: number[]; strides: number[]; dilation: number[]; padding: 'same' | 'valid' } {
  return {
    kernel: pair(config.kernel_size, [NaN, NaN]),
    strides: pair(config.strides, [1, 1]),
    dilation: pair(config.dilation_rate, [1, 1]),
    padding: convPadding(config, fail),
  };
}

/** A LocallyConnected2D's geometry on an [h, w, channels] input: Keras' kernel is [positions, patch, filters]. */
export interface LocallyConnectedGeometry {
  kernel: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  rows: { out: number; begin: number; end: number };
  cols: { out: number; begin: number; end: number };
  filters: number;
  positions: number;
  patch: number;
}

/** Reads a LocallyConnected2D config (implementation 1, Keras' layout, only) for the walkers of a topology. */
export function locallyConnectedGeometry(config: Config, [h, w, channels]: number[], fail: Fail): LocallyConnectedGeometry {
  const impl = config.implementation;
  if (impl !== undefined && impl !== null && impl !== 1) throw fail(`implementation ${JSON.stringify(impl)} stores another kernel layout (only 1 is supported)`);
  const { kernel: [kh, kw], strides: [sh, sw], padding } = convGeometry(config, fail);
  const rows = spatialPadding(h, kh, sh, 1, padding);
  const cols = spatialPadding(w, kw, sw, 1, padding);
  return { kernel: [kh, kw], strides: [sh, sw], padding, rows, cols, filters: num(config.filters, NaN), positions: rows.out * cols.out, patch: kh * kw * channels };
}

/** Pool size (default 2×2) and strides (default: the pool size) of a pooling layer. */
export function poolWindow(config: Config): { kernel: number[]; strides: number[] } {
  const kernel = pair(config.pool_size, [2, 2]);
  const strides = config.strides === null || config.strides === undefined ? kernel : pair(config.strides, kernel);
  return { kernel, strides };
}

/** Refuses a BatchNormalization over any axis but the channel one (-1, or `rank - 1` spelled out). */
export function checkChannelAxis(config: Config, lastAxis: number, fail: Fail): void {
  const axis = Array.isArray(config.axis) ? config.axis : [num(config.axis, -1)];
  if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === lastAxis)) throw fail(`axis ${JSON.stringify(config.axis)} is not supported (the channel axis, -1, only)`);
}

/** ZeroPadding2D's `padding` as [[top, bottom], [left, right]] (one number or a pair means symmetric). */
export function zeroPaddingAmounts(config: Config): number[][] {
  const p = config.padding;
  if (Array.isArray(p) && Array.isArray(p[0])) return p as number[][];
  const [a, d] = pair(p, [1, 1]);
  return [[a, a], [d, d]];
}

/** Reshape's `target_shape` for an input of `total` values (-1 resolved); refused when the sizes differ. */
export function reshapeTarget(config: Config, inShape: number[], fail: Fail): number[] {
  const target = Array.isArray(config.target_shape) ? config.target_shape.map(Number) : [];
  const total = inShape.reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape = target.map((d) => (d === -1 ? total / known : d));
  if (shape.reduce((a, b) => a * b, 1) !== total || !shape.every(Number.isInteger)) throw fail(`cannot reshape [${inShape.join(', ')}] to [${target.join(', ')}]`);
  return shape;
}

/** Layer classes that do nothing at inference time (dropout and noise): both walkers pass their input on. */
export const INFERENCE_IDENTITIES = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'ActivityRegularization'] as const;

export function floatData(t: HostTensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
}

/** The one-line refusal of a layer: `<purpose>: layer "<name>" (<class>): <problem>`, naming the file. */
export function layerFail(file: string | undefined, purpose: string, layer: { name: string; className: string }): Fail {
  return (problem) => modelError(file, `${purpose}: layer "${layer.name}" (${layer.className}): ${problem}`);
}

/** The values feeding a layer, looked up by name among those already produced (file order). */
export function inboundValues<T>(inbound: string[], produced: Map<string, T>, fail: Fail): T[] {
  return inbound.map((n) => {
    const v = produced.get(n);
    if (v === undefined) throw fail(`its input "${n}" is not produced by an earlier layer`);
    return v;
  });
}

/** A layer's weights by short name (`kernel`, `bias`, …) from the stable-name map (`layer/weight`). */
export function layerWeights(weights: Record<string, HostTensor>, layer: string, fail: Fail): { hasWeight(short: string): boolean; weight(short: string, shape?: number[]): Float32Array } {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(weights, key);
  return {
    hasWeight: (short) => has(`${layer}/${short}`),
    weight: (short, shape) => {
      const key = `${layer}/${short}`;
      if (!has(key)) throw fail(`weight "${key}" is missing`);
      const t = weights[key];
      if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
        throw fail(`weight "${key}" is [${t.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
      }
      return floatData(t);
    },
  };
}

/** What a layer's converter/compiler sees in either walker, besides its own extras. */
export interface LayerStep<T> {
  name: string;
  className: string;
  config: Config;
  /** The values (or shapes) feeding the layer, in `inbound` order. */
  inputs: T[];
  fail: Fail;
  hasWeight(short: string): boolean;
  weight(short: string, shape?: number[]): Float32Array;
}

/**
 * One step of a walk over a parsed topology: the layer's implementation from `table` (a class outside it is
 * refused first, "not supported by the <purpose>"), then its inputs among the values produced so far and its
 * weights by short name.
 */
export function layerStep<F, T>(
  table: Record<string, F>,
  spec: { name: string; className: string; config: Config; inbound: string[] },
  produced: Map<string, T>,
  weights: Record<string, HostTensor>,
  file: string | undefined,
  purpose: string,
): { impl: F; step: LayerStep<T> } {
  const fail = layerFail(file, purpose, spec);
  const impl = table[spec.className];
  if (!impl) throw fail(`this layer class is not supported by the ${purpose}`);
  const step = { name: spec.name, className: spec.className, config: spec.config, inputs: inboundValues(spec.inbound, produced, fail), fail, ...layerWeights(weights, spec.name, fail) };
  return { impl, step };
}
