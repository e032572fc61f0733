/**
 * One converter per TF.js layer class: the layers the engine trains (Dense, Conv2D, DepthwiseConv2D,
 * SeparableConv2D, LocallyConnected2D, BatchNormalization, pooling, activations, Flatten, Reshape, ZeroPadding2D, Add/Multiply/
 * Concatenate) and the inference-time identities (Dropout and noise layers). A layer outside this list is
 * refused with its name and class, never exported approximately.
 */
import { INFERENCE_IDENTITIES, checkChannelAxis, checkChannelsLast, convGeometry, locallyConnectedGeometry, num, poolWindow, reshapeTarget, zeroPaddingAmounts } from '../models/layerConfig';
import { GraphBuilder, convKernelToOihw, depthwiseKernelToOihw, isImage, spatialPadding, type Value } from './onnxGraph';

export interface LayerContext {
  g: GraphBuilder;
  name: string;
  className: string;
  config: Record<string, unknown>;
  inputs: Value[];
  /** The weight `${layer}/${short}` as float32 with its TF.js shape; throws when missing or mis-shaped. */
  weight(short: string, shape?: number[]): Float32Array;
  hasWeight(short: string): boolean;
  /** A one-line refusal naming the layer. */
  fail(problem: string): Error;
}

type Converter = (c: LayerContext) => Value;


function single(c: LayerContext): Value {
  if (c.inputs.length !== 1) throw c.fail(`expects one input, got ${c.inputs.length}`);
  return c.inputs[0];
}

function channelsLast(c: LayerContext): void {
  checkChannelsLast(c.config, c.fail);
}

/** The activation function named `activation`, applied to `x`. */
export function applyActivation(c: LayerContext, x: Value, activation: unknown): Value {
  const { g } = c;
  const act = typeof activation === 'string' ? activation : activation === undefined || activation === null ? 'linear' : undefined;
  const out = (name: string): Value => ({ ...x, name });
  const base = `${c.name}_${act ?? 'act'}`;
  switch (act) {
    case 'linear': return x;
    case 'relu': return out(g.node('Relu', [x.name], base));
    case 'relu6': return out(g.node('Clip', [x.name, g.floatConst(`${base}_min`, [], Float32Array.of(0)), g.floatConst(`${base}_max`, [], Float32Array.of(6))], base));
    case 'sigmoid': return out(g.node('Sigmoid', [x.name], base));
    case 'tanh': return out(g.node('Tanh', [x.name], base));
    case 'elu': return out(g.node('Elu', [x.name], base, { alpha: { kind: 'float', value: 1 } }));
    case 'selu': return out(g.node('Selu', [x.name], base));
    case 'softplus': return out(g.node('Softplus', [x.name], base));
    case 'softsign': return out(g.node('Softsign', [x.name], base));
    case 'hardSigmoid': case 'hard_sigmoid':
      return out(g.node('HardSigmoid', [x.name], base, { alpha: { kind: 'float', value: 0.2 }, beta: { kind: 'float', value: 0.5 } }));
    case 'softmax': return out(g.node('Softmax', [x.name], base, { axis: { kind: 'int', value: g.physicalAxis(x, -1) } }));
    case 'logSoftmax': case 'log_softmax': return out(g.node('LogSoftmax', [x.name], base, { axis: { kind: 'int', value: g.physicalAxis(x, -1) } }));
    case 'swish': return out(g.node('Mul', [x.name, g.node('Sigmoid', [x.name], `${base}_sigmoid`)], base));
    case 'mish': {
      const t = g.node('Tanh', [g.node('Softplus', [x.name], `${base}_softplus`)], `${base}_tanh`);
      return out(g.node('Mul', [x.name, t], base));
    }
    case 'gelu': {
      // TF.js gelu is the exact one: 0.5 x (1 + erf(x / sqrt 2)).
      const erf = g.node('Erf', [g.node('Mul', [x.name, g.floatConst(`${base}_rsqrt2`, [], Float32Array.of(Math.SQRT1_2))], `${base}_scaled`)], `${base}_erf`);
      const onePlus = g.node('Add', [erf, g.floatConst(`${base}_one`, [], Float32Array.of(1))], `${base}_1p`);
      const half = g.node('Mul', [x.name, g.floatConst(`${base}_half`, [], Float32Array.of(0.5))], `${base}_halfx`);
      return out(g.node('Mul', [half, onePlus], base));
    }
    default:
      throw c.fail(`activation ${JSON.stringify(activation)} is not supported by the ONNX export`);
  }
}

function addBias(c: LayerContext, x: Value, channels: number, axisFromEnd: boolean): Value {
  if (c.config.use_bias === false || !c.hasWeight('bias')) return x;
  const bias = c.weight('bias', [channels]);
  // NCHW images take the bias as [C, 1, 1] so it broadcasts over H and W.
  const dims = isImage(x) && x.layout === 'nchw' && !axisFromEnd ? [channels, 1, 1] : [channels];
  return { ...x, name: c.g.node('Add', [x.name, c.g.floatConst(`${c.name}/bias`, dims, bias)], `${c.name}_biased`) };
}

const dense: Converter = (c) => {
  const x0 = single(c);
  const units = num(c.config.units, NaN);
  const fanIn = x0.shape[x0.shape.length - 1];
  const kernel = c.weight('kernel', [fanIn, units]);
  const w = c.g.floatConst(`${c.name}/kernel`, [fanIn, units], kernel);
  let y: Value;
  if (x0.shape.length === 1) {
    const inputs = [x0.name, w];
    if (c.config.use_bias !== false && c.hasWeight('bias')) inputs.push(c.g.floatConst(`${c.name}/bias`, [units], c.weight('bias', [units])));
    y = { name: c.g.node('Gemm', inputs, `${c.name}_gemm`), shape: [units], layout: 'nhwc' };
  } else {
    // Dense on a higher-rank input contracts the last TF.js axis: MatMul on the NHWC value.
    const x = c.g.as(x0, 'nhwc');
    y = addBias(c, { name: c.g.node('MatMul', [x.name, w], `${c.name}_matmul`), shape: [...x.shape.slice(0, -1), units], layout: 'nhwc' }, units, true);
  }
  return applyActivation(c, y, c.config.activation);
};

function convLike(c: LayerContext, kind: 'conv' | 'depthwise' | 'separable'): Value {
  channelsLast(c);
  const x0 = single(c);
  if (!isImage(x0)) throw c.fail(`needs a [height, width, channels] input, got [${x0.shape.join(', ')}]`);
  const x = c.g.as(x0, 'nchw');
  const [h, w, cin] = x.shape;
  const { kernel: [kh, kw], strides: [sh, sw], dilation: [dh, dw], padding } = convGeometry(c.config, c.fail);
  const py = spatialPadding(h, kh, sh, dh, padding);
  const px = spatialPadding(w, kw, sw, dw, padding);
  const attrs = (group: number) => ({
    kernel_shape: { kind: 'ints' as const, value: [kh, kw] },
    strides: { kind: 'ints' as const, value: [sh, sw] },
    dilations: { kind: 'ints' as const, value: [dh, dw] },
    pads: { kind: 'ints' as const, value: [py.begin, px.begin, py.end, px.end] },
    group: { kind: 'int' as const, value: group },
  });
  let y: Value;
  let channels: number;
  if (kind === 'conv') {
    channels = num(c.config.filters, NaN);
    const k = convKernelToOihw(c.weight('kernel', [kh, kw, cin, channels]), [kh, kw, cin, channels]);
    y = { name: c.g.node('Conv', [x.name, c.g.floatConst(`${c.name}/kernel`, k.dims, k.values)], `${c.name}_conv`, attrs(1)), shape: [py.out, px.out, channels], layout: 'nchw' };
  } else {
    const mult = num(c.config.depth_multiplier, 1);
    const k = depthwiseKernelToOihw(c.weight('depthwise_kernel', [kh, kw, cin, mult]), [kh, kw, cin, mult]);
    channels = cin * mult;
    y = { name: c.g.node('Conv', [x.name, c.g.floatConst(`${c.name}/depthwise_kernel`, k.dims, k.values)], `${c.name}_depthwise`, attrs(cin)), shape: [py.out, px.out, channels], layout: 'nchw' };
    if (kind === 'separable') {
      const filters = num(c.config.filters, NaN);
      const p = convKernelToOihw(c.weight('pointwise_kernel', [1, 1, channels, filters]), [1, 1, channels, filters]);
      const pointwise = { kernel_shape: { kind: 'ints' as const, value: [1, 1] } };
      y = { name: c.g.node('Conv', [y.name, c.g.floatConst(`${c.name}/pointwise_kernel`, p.dims, p.values)], `${c.name}_pointwise`, pointwise), shape: [py.out, px.out, filters], layout: 'nchw' };
      channels = filters;
    }
  }
  return applyActivation(c, addBias(c, y, channels, false), c.config.activation);
}

/**
 * LocallyConnected2D (ELSA Studio's layer, Keras' kernel layout [positions, kh·kw·in, filters]): the patches
 * tap by tap — one strided Slice per tap, concatenated in the kernel's (row, column, channel) order — then one
 * batched MatMul over the positions: [N, patch, rows, cols] → [positions, N, patch] × kernel → NCHW.
 */
const locallyConnected: Converter = (c) => {
  channelsLast(c);
  const x0 = single(c);
  if (!isImage(x0)) throw c.fail(`needs a [height, width, channels] input, got [${x0.shape.join(', ')}]`);
  const { g } = c;
  const x = g.as(x0, 'nchw');
  const { kernel: [kh, kw], strides: [sh, sw], rows: py, cols: px, filters, positions, patch } = locallyConnectedGeometry(c.config, x.shape, c.fail);
  const kernel = c.weight('kernel', [positions, patch, filters]);
  const padded = py.begin || py.end || px.begin || px.end
    ? g.node('Pad', [x.name, g.int64Const(`${c.name}_pads`, [0, 0, py.begin, px.begin, 0, 0, py.end, px.end])], `${c.name}_padded`)
    : x.name;
  const axes = g.int64Const(`${c.name}_tap_axes`, [2, 3]);
  const steps = g.int64Const(`${c.name}_tap_steps`, [sh, sw]);
  const taps: string[] = [];
  for (let dy = 0; dy < kh; dy++) {
    for (let dx = 0; dx < kw; dx++) {
      const starts = g.int64Const(`${c.name}_tap_starts`, [dy, dx]);
      const ends = g.int64Const(`${c.name}_tap_ends`, [dy + (py.out - 1) * sh + 1, dx + (px.out - 1) * sw + 1]);
      taps.push(g.node('Slice', [padded, starts, ends, axes, steps], `${c.name}_tap`));
    }
  }
  const patches = taps.length === 1 ? taps[0] : g.node('Concat', taps, `${c.name}_patches`, { axis: { kind: 'int', value: 1 } });
  // Reshape's 0 copies the batch dimension.
  const flat = g.node('Reshape', [patches, g.int64Const(`${c.name}_flat_shape`, [0, patch, positions])], `${c.name}_flat`);
  const byPosition = g.node('Transpose', [flat], `${c.name}_by_position`, { perm: { kind: 'ints', value: [2, 0, 1] } });
  const product = g.node('MatMul', [byPosition, g.floatConst(`${c.name}/kernel`, [positions, patch, filters], kernel)], `${c.name}_matmul`);
  const nfp = g.node('Transpose', [product], `${c.name}_nfp`, { perm: { kind: 'ints', value: [1, 2, 0] } });
  let y = g.node('Reshape', [nfp, g.int64Const(`${c.name}_out_shape`, [0, filters, py.out, px.out])], `${c.name}_out`);
  if (c.config.use_bias !== false && c.hasWeight('bias')) {
    // Keras' bias is one per position and filter, [rows, cols, filters]: [filters, rows, cols] for NCHW.
    const bias = c.weight('bias', [py.out, px.out, filters]);
    const chw = new Float32Array(bias.length);
    for (let p = 0; p < positions; p++) for (let f = 0; f < filters; f++) chw[f * positions + p] = bias[p * filters + f];
    y = g.node('Add', [y, g.floatConst(`${c.name}/bias`, [filters, py.out, px.out], chw)], `${c.name}_biased`);
  }
  return applyActivation(c, { name: y, shape: [py.out, px.out, filters], layout: 'nchw' }, c.config.activation);
};

const batchNorm: Converter = (c) => {
  const x0 = single(c);
  const rank = x0.shape.length + 1;
  checkChannelAxis(c.config, rank - 1, c.fail);
  if (x0.shape.length !== 1 && !isImage(x0)) throw c.fail(`inputs of rank ${rank} are not supported (2 or 4)`);
  const x = c.g.as(x0, 'nchw');
  const ch = x.shape[x.shape.length - 1];
  const gamma = c.config.scale === false ? new Float32Array(ch).fill(1) : c.weight('gamma', [ch]);
  const beta = c.config.center === false ? new Float32Array(ch) : c.weight('beta', [ch]);
  const inputs = [x.name, c.g.floatConst(`${c.name}/gamma`, [ch], gamma), c.g.floatConst(`${c.name}/beta`, [ch], beta),
    c.g.floatConst(`${c.name}/moving_mean`, [ch], c.weight('moving_mean', [ch])), c.g.floatConst(`${c.name}/moving_variance`, [ch], c.weight('moving_variance', [ch]))];
  return { ...x, name: c.g.node('BatchNormalization', inputs, `${c.name}_bn`, { epsilon: { kind: 'float', value: num(c.config.epsilon, 1e-3) } }) };
};

function pooling(op: 'MaxPool' | 'AveragePool'): Converter {
  return (c) => {
    channelsLast(c);
    const x0 = single(c);
    if (!isImage(x0)) throw c.fail(`needs a [height, width, channels] input, got [${x0.shape.join(', ')}]`);
    const x = c.g.as(x0, 'nchw');
    const { kernel: [kh, kw], strides: [sh, sw] } = poolWindow(c.config);
    const padding = String(c.config.padding ?? 'valid');
    const py = spatialPadding(x.shape[0], kh, sh, 1, padding);
    const px = spatialPadding(x.shape[1], kw, sw, 1, padding);
    // TF's "same" average ignores the padded cells: ONNX's count_include_pad = 0, the default.
    const name = c.g.node(op, [x.name], `${c.name}_pool`, {
      kernel_shape: { kind: 'ints', value: [kh, kw] }, strides: { kind: 'ints', value: [sh, sw] }, pads: { kind: 'ints', value: [py.begin, px.begin, py.end, px.end] },
    });
    return { name, shape: [py.out, px.out, x.shape[2]], layout: 'nchw' };
  };
}

function globalPooling(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter {
  return (c) => {
    channelsLast(c);
    const x0 = single(c);
    if (!isImage(x0)) throw c.fail(`needs a [height, width, channels] input, got [${x0.shape.join(', ')}]`);
    if (c.config.keepdims === true || c.config.keep_dims === true) throw c.fail('keepdims is not supported');
    const x = c.g.as(x0, 'nchw');
    const pooled = c.g.node(op, [x.name], `${c.name}_pool`);
    return { name: c.g.node('Flatten', [pooled], c.name, { axis: { kind: 'int', value: 1 } }), shape: [x.shape[2]], layout: 'nhwc' };
  };
}

const flatten: Converter = (c) => {
  const x0 = single(c);
  if (x0.shape.length === 1) return x0;
  // TF.js flattens in NHWC order: back to NHWC first, so the next Dense sees its inputs in trained order.
  const x = c.g.as(x0, 'nhwc');
  return { name: c.g.node('Flatten', [x.name], c.name, { axis: { kind: 'int', value: 1 } }), shape: [x.shape.reduce((a, b) => a * b, 1)], layout: 'nhwc' };
};

const reshape: Converter = (c) => {
  const x = c.g.as(single(c), 'nhwc');
  const shape = reshapeTarget(c.config, x.shape, c.fail);
  return { name: c.g.node('Reshape', [x.name, c.g.int64Const(`${c.name}_shape`, [-1, ...shape])], c.name), shape, layout: 'nhwc' };
};

const zeroPadding: Converter = (c) => {
  channelsLast(c);
  const x = c.g.as(single(c), 'nchw');
  const [[t, b], [l, r]] = zeroPaddingAmounts(c.config);
  const pads = c.g.int64Const(`${c.name}_pads`, [0, 0, t, l, 0, 0, b, r]);
  return { name: c.g.node('Pad', [x.name, pads], c.name), shape: [x.shape[0] + t + b, x.shape[1] + l + r, x.shape[2]], layout: 'nchw' };
};

function merge(op: 'Add' | 'Mul'): Converter {
  return (c) => {
    if (c.inputs.length < 2) throw c.fail('needs at least two inputs');
    // All inputs in one layout: NCHW when any of them already is (the residual branch usually comes from a BN).
    const layout = c.inputs.some((v) => isImage(v) && v.layout === 'nchw') ? 'nchw' : 'nhwc';
    const xs = c.inputs.map((v) => c.g.as(v, layout));
    let acc = xs[0].name;
    for (let i = 1; i < xs.length; i++) acc = c.g.node(op, [acc, xs[i].name], i === xs.length - 1 ? c.name : `${c.name}_${i}`);
    return { name: acc, shape: xs[0].shape, layout: xs[0].layout };
  };
}

const concatenate: Converter = (c) => {
  if (c.inputs.length < 2) throw c.fail('needs at least two inputs');
  const layout = c.inputs.some((v) => isImage(v) && v.layout === 'nchw') ? 'nchw' : 'nhwc';
  const xs = c.inputs.map((v) => c.g.as(v, layout));
  const rank = xs[0].shape.length + 1;
  const axis = num(c.config.axis, -1);
  const a = axis < 0 ? rank + axis : axis;
  const shape = [...xs[0].shape];
  shape[a - 1] = xs.reduce((n, v) => n + v.shape[a - 1], 0);
  return { name: c.g.node('Concat', xs.map((v) => v.name), c.name, { axis: { kind: 'int', value: c.g.physicalAxis(xs[0], axis) } }), shape, layout: xs[0].layout };
};

const identity: Converter = (c) => single(c);

export const CONVERTERS: Record<string, Converter> = {
  Dense: dense,
  Conv2D: (c) => convLike(c, 'conv'),
  DepthwiseConv2D: (c) => convLike(c, 'depthwise'),
  SeparableConv2D: (c) => convLike(c, 'separable'),
  LocallyConnected2D: locallyConnected,
  BatchNormalization: batchNorm,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  ZeroPadding2D: zeroPadding,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Concatenate: concatenate,
  Activation: (c) => applyActivation(c, single(c), c.config.activation),
  ReLU: (c) => {
    const x = single(c);
    const max = c.config.max_value;
    if (max === null || max === undefined) return applyActivation(c, x, 'relu');
    const lo = c.g.floatConst(`${c.name}_min`, [], Float32Array.of(0));
    const hi = c.g.floatConst(`${c.name}_max`, [], Float32Array.of(Number(max)));
    return { ...x, name: c.g.node('Clip', [x.name, lo, hi], c.name) };
  },
  LeakyReLU: (c) => { const x = single(c); return { ...x, name: c.g.node('LeakyRelu', [x.name], c.name, { alpha: { kind: 'float', value: num(c.config.alpha, 0.3) } }) }; },
  ELU: (c) => { const x = single(c); return { ...x, name: c.g.node('Elu', [x.name], c.name, { alpha: { kind: 'float', value: num(c.config.alpha, 1) } }) }; },
  ThresholdedReLU: (c) => { const x = single(c); return { ...x, name: c.g.node('ThresholdedRelu', [x.name], c.name, { alpha: { kind: 'float', value: num(c.config.theta, 1) } }) }; },
  Softmax: (c) => {
    const x = single(c);
    const axis = Array.isArray(c.config.axis) ? c.config.axis : [num(c.config.axis, -1)];
    if (axis.length !== 1) throw c.fail('softmax over several axes is not supported');
    return { ...x, name: c.g.node('Softmax', [x.name], c.name, { axis: { kind: 'int', value: c.g.physicalAxis(x, Number(axis[0])) } }) };
  },
  ...Object.fromEntries(INFERENCE_IDENTITIES.map((k) => [k, identity])),
};
