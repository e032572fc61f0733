/**
 * Convolution and pooling gradients written as compositions of ops that the tfjs `wasm` backend runs
 * fast (pad, stridedSlice, transpose, plain matMul, conv2d through XNNPACK). wasm lacks some of these
 * kernels outright and runs others ~10× slower than these compositions; see docs/benchmarks.md.
 * Every function here must be called inside a tidy (the kernels in wasmKernels.ts do that).
 */
import * as tf from '@tensorflow/tfjs';

type Pair = [number, number];
type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

export interface ConvGeometry {
  strides: Pair | number;
  pad: ConvPad;
  dimRoundingMode?: Rounding;
  dilations?: Pair | number;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  g: ConvGeometry,
  depthwise = false,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    g.strides,
    g.dilations ?? 1,
    g.pad,
    g.dimRoundingMode,
    depthwise,
  );
}

function padTo(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const p = info.padInfo;
  if (p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0) return x;
  return tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]);
}

/** Inserts (s−1) zeros between neighbouring rows/columns: [N,H,W,C] → [N,(H−1)sh+1,(W−1)sw+1,C]. */
export function zeroUpsample(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  let d = t;
  const [n, h, w, c] = d.shape;
  if (sw > 1) {
    const z = tf.zerosLike(d);
    const parts = [d, ...Array.from({ length: sw - 1 }, () => z)];
    d = tf.stack(parts, 3).reshape([n, h, w * sw, c]).slice([0, 0, 0, 0], [-1, -1, (w - 1) * sw + 1, -1]) as tf.Tensor4D;
  }
  if (sh > 1) {
    const z = tf.zerosLike(d);
    const parts = [d, ...Array.from({ length: sh - 1 }, () => z)];
    d = tf.stack(parts, 2).reshape([n, h * sh, d.shape[2], c]).slice([0, 0, 0, 0], [-1, (h - 1) * sh + 1, -1, -1]) as tf.Tensor4D;
  }
  return d;
}

/** The strided window of the padded input that filter tap (kh, kw) sees: [N,OH,OW,C]. */
function tapSlice(xp: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, kh: number, kw: number): tf.Tensor4D {
  const { batchSize: n, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const h0 = kh * info.dilationHeight;
  const w0 = kw * info.dilationWidth;
  const c = xp.shape[3];
  return tf.stridedSlice(xp, [0, h0, w0, 0], [n, h0 + (oh - 1) * sh + 1, w0 + (ow - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D;
}

/**
 * dW for few input channels: build patchesᵀ [KH·KW·Cin, N·OH·OW] directly, then one plain matMul
 * (wasm's transposed matMul path is ~10× slower than the plain one).
 */
export function conv2dFilterGradPatches(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, g);
  const { batchSize: n, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, inChannels: cin } = info;
  const xpT = padTo(x, info).transpose([3, 0, 1, 2]) as tf.Tensor4D; // [Cin,N,Hp,Wp]
  const { strideHeight: sh, strideWidth: sw } = info;
  const rows: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const h0 = i * info.dilationHeight;
      const w0 = j * info.dilationWidth;
      rows.push(
        tf.stridedSlice(xpT, [0, 0, h0, w0], [cin, n, h0 + (oh - 1) * sh + 1, w0 + (ow - 1) * sw + 1], [1, 1, sh, sw]) as tf.Tensor4D,
      );
    }
  }
  const patchesT = (rows.length === 1 ? rows[0] : tf.stack(rows)).reshape([kh * kw * cin, n * oh * ow]);
  return tf.matMul(patchesT, dy.reshape([n * oh * ow, info.outChannels])).reshape(filterShape);
}

/**
 * dW as one conv2d over transposed tensors: Cin plays the batch, N the input channels, dy the
 * (large) filter, and the forward stride becomes a dilation. Dilated forward convs are not handled.
 */
export function conv2dFilterGradTransposed(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, g);
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  let xp = padTo(x, info);
  // the transposed conv must come out exactly KH×KW: crop rows/columns that no output reads
  const needH = (oh - 1) * sh + kh;
  const needW = (ow - 1) * sw + kw;
  if (xp.shape[1] !== needH || xp.shape[2] !== needW) {
    const extraH = Math.max(0, needH - xp.shape[1]);
    const extraW = Math.max(0, needW - xp.shape[2]);
    if (extraH > 0 || extraW > 0) xp = tf.pad(xp, [[0, 0], [0, extraH], [0, extraW], [0, 0]]);
    xp = xp.slice([0, 0, 0, 0], [-1, needH, needW, -1]);
  }
  const xt = xp.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [Cin,Hp,Wp,N]
  const f = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [OH,OW,N,Cout]
  const r = tf.conv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]); // [Cin,KH,KW,Cout]
  return r.transpose([1, 2, 0, 3]);
}

/** Picks the faster dW path: patchesᵀ for Cin < 8 (measured), the transposed conv otherwise. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const dilated = g.dilations !== undefined && g.dilations !== 1 && !(Array.isArray(g.dilations) && g.dilations.every((d) => d === 1));
  return filterShape[2] < 8 || dilated
    ? conv2dFilterGradPatches(x, dy, filterShape, g)
    : conv2dFilterGradTransposed(x, dy, filterShape, g);
}

/** dx = conv2d(zero-upsampled dy padded by K−1−pad, filter rotated 180° with in/out swapped). */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, g);
  const { inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  let d = zeroUpsample(dy, sh, sw);
  const pt = kh - 1 - info.padInfo.top;
  const pl = kw - 1 - info.padInfo.left;
  const pb = h + kh - 1 - pt - d.shape[1];
  const pr = w + kw - 1 - pl - d.shape[2];
  // negative amounts (output rows the forward pass never read) become crops
  d = tf.pad(d, [[0, 0], [Math.max(pt, 0), Math.max(pb, 0)], [Math.max(pl, 0), Math.max(pr, 0)], [0, 0]]);
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0) {
    d = d.slice([0, Math.max(-pt, 0), Math.max(-pl, 0), 0], [-1, h + kh - 1, w + kw - 1, -1]);
  }
  const flipped = tf.reverse(filter, [0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D; // [KH,KW,Cout,Cin]
  return tf.conv2d(d, flipped, 1, 'valid');
}

/** 2×2 stride-2 max-pool gradient: one-hot of the window's argMax times dy (first max wins, as TF). */
export function maxPool2x2Grad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const windows = x
    .reshape([n, h / 2, 2, w / 2, 2, c])
    .transpose([0, 1, 3, 5, 2, 4])
    .reshape([n, h / 2, w / 2, c, 4]);
  const g = tf.mul(tf.oneHot(tf.argMax(windows, 4), 4), dy.expandDims(4));
  return g.reshape([n, h / 2, w / 2, c, 2, 2]).transpose([0, 1, 4, 2, 5, 3]).reshape([n, h, w, c]);
}

/** Depthwise dW[kh,kw,c,m] = Σ x-window(kh,kw)[n,oh,ow,c] · dy[n,oh,ow,c,m], one tap at a time. */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, g, true);
  const { batchSize: n, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, inChannels: cin } = info;
  const mult = filterShape[3];
  const xp = padTo(x, info);
  const dyByChannel = dy.reshape([n, oh, ow, cin, mult]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(tf.sum(tf.mul(tapSlice(xp, info, i, j).expandDims(4), dyByChannel), [0, 1, 2]));
    }
  }
  return tf.stack(taps).reshape(filterShape);
}

/** Depthwise dx: each tap's contribution Σ_m dy·w, zero-upsampled by the stride and shifted into place. */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, g, true);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, inChannels: cin } = info;
  const mult = filter.shape[3];
  const hp = h + info.padInfo.top + info.padInfo.bottom;
  const wp = w + info.padInfo.left + info.padInfo.right;
  const dyByChannel = dy.reshape([n, oh, ow, cin, mult]);
  let acc: tf.Tensor4D | undefined;
  for (let i = 0; i < info.filterHeight; i++) {
    for (let j = 0; j < info.filterWidth; j++) {
      const wTap = filter.slice([i, j, 0, 0], [1, 1, cin, mult]).reshape([cin, mult]);
      let c = zeroUpsample(tf.sum(tf.mul(dyByChannel, wTap), 4), info.strideHeight, info.strideWidth);
      const h0 = i * info.dilationHeight;
      const w0 = j * info.dilationWidth;
      // rows past the padded input were never read by the forward pass: crop, then pad into place
      const rows = Math.min(c.shape[1], hp - h0);
      const cols = Math.min(c.shape[2], wp - w0);
      if (rows !== c.shape[1] || cols !== c.shape[2]) c = c.slice([0, 0, 0, 0], [-1, rows, cols, -1]);
      c = tf.pad(c, [[0, 0], [h0, hp - h0 - rows], [w0, wp - w0 - cols], [0, 0]]);
      acc = acc ? tf.add<tf.Tensor4D>(acc, c) : c;
    }
  }
  if (!acc) throw new Error('depthwiseInputGrad: empty filter');
  return acc.slice([0, info.padInfo.top, info.padInfo.left, 0], [n, h, w, cin]);
}

/**
 * Max-pool gradient for any window/stride/padding: argMax over the window's taps (scan order, so the
 * first max wins, as TF), then each tap's share of dy is shifted back into place. Used where the 2×2/s2
 * path does not apply; tfjs-wasm's own MaxPoolGrad drops gradient on overlapping windows (4.22).
 */
export function maxPoolGradByTaps(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterSize: [number, number],
  g: ConvGeometry,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, g.strides, g.dilations ?? 1, g.pad, g.dimRoundingMode);
  const { padInfo, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const xp = tf.pad(x, [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]], -Infinity);
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < filterSize[0]; i++) {
    for (let j = 0; j < filterSize[1]; j++) taps.push(tapSlice(xp, info, i, j));
  }
  const k = taps.length;
  const winner = tf.oneHot(tf.argMax(tf.stack(taps, 4), 4), k); // [N,OH,OW,C,K]
  const shares = tf.unstack(tf.mul(winner, dy.expandDims(4)), 4) as tf.Tensor4D[];
  const hp = xp.shape[1];
  const wp = xp.shape[2];
  let acc: tf.Tensor4D | undefined;
  shares.forEach((share, t) => {
    const h0 = Math.floor(t / filterSize[1]) * info.dilationHeight;
    const w0 = (t % filterSize[1]) * info.dilationWidth;
    const up = zeroUpsample(share, sh, sw); // [(OH−1)sh+1, (OW−1)sw+1]
    const placed = tf.pad(up, [[0, 0], [h0, hp - h0 - ((oh - 1) * sh + 1)], [w0, wp - w0 - ((ow - 1) * sw + 1)], [0, 0]]);
    acc = acc ? tf.add<tf.Tensor4D>(acc, placed) : placed;
  });
  if (!acc) throw new Error('maxPoolGradByTaps: empty window');
  return acc.slice([0, padInfo.top, padInfo.left, 0], [n, h, w, c]);
}
