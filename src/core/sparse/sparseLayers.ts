/**
 * The layers of the sparse inference path, one compiler per TF.js layer class — the same set the ONNX export
 * handles (src/core/io/onnxLayers.ts): Dense, the convolutions and LocallyConnected2D run on CSR weights (`csr.ts`), the rest
 * (batch norm, pooling, padding, reshapes, merges, activations, inference-time identities) are plain loops.
 * Values are one sample (batch 1) in TF.js order: images NHWC without the batch, `shape` = [H, W, C].
 * A compiler sees the weights once and returns the function that runs the layer on every call.
 */
import { spatialPadding } from '../io/onnxGraph';
import { INFERENCE_IDENTITIES, checkChannelAxis, checkChannelsLast, convGeometry, convPadding, locallyConnectedGeometry, num, poolWindow, reshapeTarget, zeroPaddingAmounts } from '../models/layerConfig';
import { csrAccumulate, csrFromDense, type Csr } from './csr';
import { activationFn } from './sparseActivations';

export interface SValue {
  data: Float32Array;
  /** TF.js shape without the batch. */
  shape: number[];
}

export interface SparseLayerContext {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Shapes of the inputs (known at compile time: the graph is walked once with shapes only). */
  inputShapes: number[][];
  weight(short: string, shape?: number[]): Float32Array;
  hasWeight(short: string): boolean;
  fail(problem: string): Error;
  /** Adds a compiled CSR's nonzeros to the model's count. */
  countCsr(m: Csr): void;
}

export interface CompiledLayer {
  outShape: number[];
  run(inputs: SValue[]): Float32Array;
}

type Compiler = (c: SparseLayerContext) => CompiledLayer;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function single(c: SparseLayerContext): number[] {
  if (c.inputShapes.length !== 1) throw c.fail(`expects one input, got ${c.inputShapes.length}`);
  return c.inputShapes[0];
}

function image(c: SparseLayerContext): [number, number, number] {
  const s = single(c);
  checkChannelsLast(c.config, c.fail);
  if (s.length !== 3) throw c.fail(`needs a [height, width, channels] input, got [${s.join(', ')}]`);
  return s as [number, number, number];
}

function bias(c: SparseLayerContext, channels: number): Float32Array | undefined {
  return c.config.use_bias === false || !c.hasWeight('bias') ? undefined : c.weight('bias', [channels]);
}

const dense: Compiler = (c) => {
  const s = single(c);
  const fanIn = s[s.length - 1];
  const units = num(c.config.units, NaN);
  const m = csrFromDense(c.weight('kernel', [fanIn, units]), fanIn, units);
  c.countCsr(m);
  const b = bias(c, units);
  const positions = size(s) / fanIn;
  const outShape = [...s.slice(0, -1), units];
  const act = activationFn(c, c.config.activation, outShape);
  return {
    outShape,
    run: ([x]) => {
      const y = new Float32Array(positions * units);
      if (b) for (let p = 0; p < positions; p++) y.set(b, p * units);
      csrAccumulate(x.data, positions, m, y);
      act(y);
      return y;
    },
  };
};

/** A [kh, kw, cin, mult] depthwise kernel as CSR rows (ky, kx, c) over the cin·mult output channels. */
function depthwiseCsr(k: Float32Array, kh: number, kw: number, cin: number, mult: number): Csr {
  const rows = kh * kw * cin;
  const rowStart = new Int32Array(rows + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < rows; r++) {
    rowStart[r] = cols.length;
    const ch = r % cin;
    for (let m = 0; m < mult; m++) {
      const v = k[r * mult + m];
      if (v !== 0) {
        cols.push(ch * mult + m);
        vals.push(v);
      }
    }
  }
  rowStart[rows] = cols.length;
  return { rows, cols: cin * mult, rowStart, colIndex: Int32Array.from(cols), values: Float32Array.from(vals) };
}

/**
 * A convolution over the nonzeros: every output position walks the receptive field (implicit im2col), skips
 * zero and padded inputs, and scatters each input into the output channels of its CSR row. With
 * `positionRows` (LocallyConnected2D: no sharing) output position p reads its own block of rows, starting at
 * p · positionRows, and `b` holds one bias per position and channel ([rows, cols, channels]).
 */
function sparseConv(inShape: [number, number, number], m: Csr, kh: number, kw: number, strides: number[], dilation: number[], padding: string, b: Float32Array | undefined, positionRows = 0) {
  const [h, w, cin] = inShape;
  const [sh, sw] = strides;
  const [dh, dw] = dilation;
  const py = spatialPadding(h, kh, sh, dh, padding);
  const px = spatialPadding(w, kw, sw, dw, padding);
  const cout = m.cols;
  const { rowStart, colIndex, values } = m;
  const outShape = [py.out, px.out, cout];
  const run = (x: Float32Array): Float32Array => {
    const y = new Float32Array(py.out * px.out * cout);
    for (let oy = 0; oy < py.out; oy++) {
      for (let ox = 0; ox < px.out; ox++) {
        const p = oy * px.out + ox;
        const yo = p * cout;
        if (b) y.set(positionRows ? b.subarray(yo, yo + cout) : b, yo);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky * dh - py.begin;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx * dw - px.begin;
            if (ix < 0 || ix >= w) continue;
            const xo = (iy * w + ix) * cin;
            const r0 = p * positionRows + (ky * kw + kx) * cin;
            for (let ci = 0; ci < cin; ci++) {
              const xv = x[xo + ci];
              if (xv === 0) continue;
              const end = rowStart[r0 + ci + 1];
              for (let k = rowStart[r0 + ci]; k < end; k++) y[yo + colIndex[k]] += xv * values[k];
            }
          }
        }
      }
    }
    return y;
  };
  return { outShape, run };
}

function convLike(c: SparseLayerContext, kind: 'conv' | 'depthwise' | 'separable'): CompiledLayer {
  const s = image(c);
  const cin = s[2];
  const { kernel: [kh, kw], strides, dilation, padding } = convGeometry(c.config, c.fail);
  let first: Csr;
  let channels: number;
  if (kind === 'conv') {
    channels = num(c.config.filters, NaN);
    first = csrFromDense(c.weight('kernel', [kh, kw, cin, channels]), kh * kw * cin, channels);
  } else {
    const mult = num(c.config.depth_multiplier, 1);
    channels = cin * mult;
    first = depthwiseCsr(c.weight('depthwise_kernel', [kh, kw, cin, mult]), kh, kw, cin, mult);
  }
  c.countCsr(first);
  let pointwise: Csr | undefined;
  if (kind === 'separable') {
    const filters = num(c.config.filters, NaN);
    pointwise = csrFromDense(c.weight('pointwise_kernel', [1, 1, channels, filters]), channels, filters);
    c.countCsr(pointwise);
    channels = filters;
  }
  const b = bias(c, channels);
  const conv = sparseConv(s, first, kh, kw, strides, dilation, padding, pointwise ? undefined : b);
  const outShape = [conv.outShape[0], conv.outShape[1], channels];
  const act = activationFn(c, c.config.activation, outShape);
  const positions = conv.outShape[0] * conv.outShape[1];
  return {
    outShape,
    run: ([x]) => {
      let y = conv.run(x.data);
      if (pointwise) {
        const z = new Float32Array(positions * channels);
        if (b) for (let p = 0; p < positions; p++) z.set(b, p * channels);
        csrAccumulate(y, positions, pointwise, z);
        y = z;
      }
      act(y);
      return y;
    },
  };
}

/**
 * LocallyConnected2D (Keras' kernel [positions, kh·kw·in, filters]): one CSR whose rows are (position, ky, kx,
 * c), walked by `sparseConv` with each output position reading its own block of rows; the bias is one per
 * position and filter ([rows, cols, filters]).
 */
const locallyConnected: Compiler = (c) => {
  const [h, w, cin] = image(c);
  const { kernel: [kh, kw], strides, padding, rows, cols, filters, positions, patch } = locallyConnectedGeometry(c.config, [h, w, cin], c.fail);
  const m = csrFromDense(c.weight('kernel', [positions, patch, filters]), positions * patch, filters);
  c.countCsr(m);
  const b = c.config.use_bias === false || !c.hasWeight('bias') ? undefined : c.weight('bias', [rows.out, cols.out, filters]);
  const conv = sparseConv([h, w, cin], m, kh, kw, strides, [1, 1], padding, b, patch);
  const act = activationFn(c, c.config.activation, conv.outShape);
  return {
    outShape: conv.outShape,
    run: ([x]) => {
      const y = conv.run(x.data);
      act(y);
      return y;
    },
  };
};

const batchNorm: Compiler = (c) => {
  const s = single(c);
  checkChannelAxis(c.config, s.length, c.fail);
  const ch = s[s.length - 1];
  const gamma = c.config.scale === false ? new Float32Array(ch).fill(1) : c.weight('gamma', [ch]);
  const beta = c.config.center === false ? new Float32Array(ch) : c.weight('beta', [ch]);
  const mean = c.weight('moving_mean', [ch]);
  const variance = c.weight('moving_variance', [ch]);
  const eps = num(c.config.epsilon, 1e-3);
  const scale = new Float32Array(ch);
  const shift = new Float32Array(ch);
  for (let i = 0; i < ch; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return {
    outShape: s,
    run: ([x]) => {
      const y = new Float32Array(x.data.length);
      for (let i = 0; i < y.length; i++) y[i] = x.data[i] * scale[i % ch] + shift[i % ch];
      return y;
    },
  };
};

function pooling(kind: 'max' | 'avg'): Compiler {
  return (c) => {
    const [h, w, ch] = image(c);
    const { kernel: [kh, kw], strides: [sh, sw] } = poolWindow(c.config);
    const padding = convPadding(c.config, c.fail);
    const py = spatialPadding(h, kh, sh, 1, padding);
    const px = spatialPadding(w, kw, sw, 1, padding);
    return {
      outShape: [py.out, px.out, ch],
      run: ([x]) => {
        const y = new Float32Array(py.out * px.out * ch);
        for (let oy = 0; oy < py.out; oy++) {
          const y0 = Math.max(0, oy * sh - py.begin);
          const y1 = Math.min(h, oy * sh - py.begin + kh);
          for (let ox = 0; ox < px.out; ox++) {
            const x0 = Math.max(0, ox * sw - px.begin);
            const x1 = Math.min(w, ox * sw - px.begin + kw);
            const yo = (oy * px.out + ox) * ch;
            // TF's "same" pooling ignores the padded cells (max over, and average of, the real ones only).
            const n = (y1 - y0) * (x1 - x0);
            for (let k = 0; k < ch; k++) {
              let acc = kind === 'max' ? -Infinity : 0;
              for (let iy = y0; iy < y1; iy++) {
                for (let ix = x0; ix < x1; ix++) {
                  const v = x.data[(iy * w + ix) * ch + k];
                  acc = kind === 'max' ? (v > acc ? v : acc) : acc + v;
                }
              }
              y[yo + k] = kind === 'max' ? acc : acc / n;
            }
          }
        }
        return y;
      },
    };
  };
}

function globalPooling(kind: 'max' | 'avg'): Compiler {
  return (c) => {
    const [h, w, ch] = image(c);
    if (c.config.keepdims === true || c.config.keep_dims === true) throw c.fail('keepdims is not supported');
    return {
      outShape: [ch],
      run: ([x]) => {
        const y = new Float32Array(ch).fill(kind === 'max' ? -Infinity : 0);
        for (let p = 0; p < h * w; p++) {
          for (let k = 0; k < ch; k++) {
            const v = x.data[p * ch + k];
            y[k] = kind === 'max' ? Math.max(y[k], v) : y[k] + v;
          }
        }
        if (kind === 'avg') for (let k = 0; k < ch; k++) y[k] /= h * w;
        return y;
      },
    };
  };
}

const reshape: Compiler = (c) => {
  const s = single(c);
  const shape = reshapeTarget(c.config, s, c.fail);
  return { outShape: shape, run: ([x]) => x.data };
};

const zeroPadding: Compiler = (c) => {
  const [h, w, ch] = image(c);
  const [[t, bt], [l, r]] = zeroPaddingAmounts(c.config);
  const ow = w + l + r;
  return {
    outShape: [h + t + bt, ow, ch],
    run: ([x]) => {
      const y = new Float32Array((h + t + bt) * ow * ch);
      for (let iy = 0; iy < h; iy++) y.set(x.data.subarray(iy * w * ch, (iy + 1) * w * ch), ((iy + t) * ow + l) * ch);
      return y;
    },
  };
};

function merge(op: 'add' | 'mul'): Compiler {
  return (c) => {
    if (c.inputShapes.length < 2) throw c.fail('needs at least two inputs');
    const s = c.inputShapes[0];
    if (c.inputShapes.some((t) => t.join() !== s.join())) throw c.fail(`inputs of different shapes [${c.inputShapes.map((t) => t.join('×')).join('], [')}] (no broadcasting)`);
    return {
      outShape: s,
      run: (xs) => {
        const y = Float32Array.from(xs[0].data);
        for (const x of xs.slice(1)) for (let i = 0; i < y.length; i++) y[i] = op === 'add' ? y[i] + x.data[i] : y[i] * x.data[i];
        return y;
      },
    };
  };
}

const concatenate: Compiler = (c) => {
  if (c.inputShapes.length < 2) throw c.fail('needs at least two inputs');
  const rank = c.inputShapes[0].length;
  const axis = num(c.config.axis, -1);
  const a = (axis < 0 ? rank + 1 + axis : axis) - 1;
  if (a < 0 || a >= rank) throw c.fail(`axis ${axis} is not supported`);
  const outer = size(c.inputShapes[0].slice(0, a));
  const chunks = c.inputShapes.map((s) => size(s.slice(a)));
  const outShape = [...c.inputShapes[0]];
  outShape[a] = c.inputShapes.reduce((n, s) => n + s[a], 0);
  const total = chunks.reduce((x, y) => x + y, 0);
  return {
    outShape,
    run: (xs) => {
      const y = new Float32Array(outer * total);
      for (let o = 0, at = 0; o < outer; o++) {
        xs.forEach((x, i) => {
          y.set(x.data.subarray(o * chunks[i], (o + 1) * chunks[i]), at);
          at += chunks[i];
        });
      }
      return y;
    },
  };
};

/** A layer that applies `f` to every value. */
function pointwise(f: (c: SparseLayerContext, shape: number[]) => (d: Float32Array) => void): Compiler {
  return (c) => {
    const s = single(c);
    const apply = f(c, s);
    return {
      outShape: s,
      run: ([x]) => {
        const y = Float32Array.from(x.data);
        apply(y);
        return y;
      },
    };
  };
}

const map = (g: (x: number) => number) => (d: Float32Array) => {
  for (let i = 0; i < d.length; i++) d[i] = g(d[i]);
};
const identity: Compiler = (c) => ({ outShape: single(c), run: ([x]) => x.data });

export const SPARSE_COMPILERS: Record<string, Compiler> = {
  Dense: dense,
  Conv2D: (c) => convLike(c, 'conv'),
  DepthwiseConv2D: (c) => convLike(c, 'depthwise'),
  SeparableConv2D: (c) => convLike(c, 'separable'),
  LocallyConnected2D: locallyConnected,
  BatchNormalization: batchNorm,
  MaxPooling2D: pooling('max'),
  AveragePooling2D: pooling('avg'),
  GlobalAveragePooling2D: globalPooling('avg'),
  GlobalMaxPooling2D: globalPooling('max'),
  Flatten: (c) => ({ outShape: [size(single(c))], run: ([x]) => x.data }),
  Reshape: reshape,
  ZeroPadding2D: zeroPadding,
  Add: merge('add'),
  Multiply: merge('mul'),
  Concatenate: concatenate,
  Activation: pointwise((c, s) => activationFn(c, c.config.activation, s)),
  ReLU: pointwise((c) => {
    const max = c.config.max_value;
    const hi = max === null || max === undefined ? Infinity : Number(max);
    return map((x) => Math.min(Math.max(x, 0), hi));
  }),
  LeakyReLU: pointwise((c) => { const a = num(c.config.alpha, 0.3); return map((x) => (x > 0 ? x : a * x)); }),
  ELU: pointwise((c) => { const a = num(c.config.alpha, 1); return map((x) => (x > 0 ? x : a * Math.expm1(x))); }),
  ThresholdedReLU: pointwise((c) => { const t = num(c.config.theta, 1); return map((x) => (x > t ? x : 0)); }),
  Softmax: pointwise((c, s) => {
    const axis = Array.isArray(c.config.axis) ? c.config.axis : [num(c.config.axis, -1)];
    if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === s.length)) throw c.fail('softmax over an axis other than the last is not supported');
    return activationFn(c, 'softmax', s);
  }),
  ...Object.fromEntries(INFERENCE_IDENTITIES.map((k) => [k, identity])),
};
