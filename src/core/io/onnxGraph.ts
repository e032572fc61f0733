/**
 * The ONNX graph under construction while a TF.js Layers topology is converted: unique value names,
 * initializers, and the layout of every 4-D value. TF.js images are NHWC; ONNX Conv/Pool/BatchNormalization
 * want NCHW. Each 4-D value records which layout it is in, and a Transpose is inserted only where an op needs
 * the other one (once per value: a tensor feeding a conv and a shortcut is transposed once).
 */
import { ONNX_FLOAT, ONNX_INT64, type OnnxAttributeValue, type OnnxNode, type OnnxTensor } from './onnxProto';

export type Layout = 'nhwc' | 'nchw';

/** A value in the graph. `shape` is the TF.js shape without the batch, whatever the physical layout. */
export interface Value {
  name: string;
  shape: number[];
  /** Physical layout; only meaningful for images (shape of length 3). */
  layout: Layout;
}

export const isImage = (v: Value): boolean => v.shape.length === 3;

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly converted = new Map<string, Value>();

  /** A value name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  node(opType: string, inputs: string[], outputBase: string, attributes?: Record<string, OnnxAttributeValue>): string {
    const output = this.fresh(outputBase);
    this.nodes.push({ opType, inputs, outputs: [output], name: output, ...(attributes ? { attributes } : {}) });
    return output;
  }

  floatConst(base: string, dims: number[], values: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, values });
    return name;
  }

  int64Const(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, values });
    return name;
  }

  /** The value in the wanted layout (non-images pass through). */
  as(v: Value, layout: Layout): Value {
    if (!isImage(v) || v.layout === layout) return v;
    const key = `${v.name}->${layout}`;
    const cached = this.converted.get(key);
    if (cached) return cached;
    const perm = layout === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1];
    const name = this.node('Transpose', [v.name], `${v.name}_${layout}`, { perm: { kind: 'ints', value: perm } });
    const out: Value = { name, shape: v.shape, layout };
    this.converted.set(key, out);
    return out;
  }

  /** The physical axis (with batch at 0) of TF.js axis `axis` (negative counts from the end, batch included). */
  physicalAxis(v: Value, axis: number): number {
    const rank = v.shape.length + 1;
    const a = axis < 0 ? rank + axis : axis;
    if (!isImage(v) || v.layout === 'nhwc' || a === 0) return a;
    return a === 3 ? 1 : a + 1; // NHWC axis -> NCHW axis: H 1->2, W 2->3, C 3->1
  }
}

/** Weight layouts: TF.js kernels -> ONNX. */
export function convKernelToOihw(data: Float32Array, shape: number[]): { dims: number[]; values: Float32Array } {
  const [kh, kw, cin, cout] = shape;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
      }
    }
  }
  return { dims: [cout, cin, kh, kw], values: out };
}

/**
 * Depthwise [kh, kw, cin, mult] -> grouped-conv weight [cin*mult, 1, kh, kw] with group = cin. TF orders the
 * outputs channel-major (c*mult + m), the same order ONNX gives the groups' outputs.
 */
export function depthwiseKernelToOihw(data: Float32Array, shape: number[]): { dims: number[]; values: Float32Array } {
  const [kh, kw, cin, mult] = shape;
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let c = 0; c < cin; c++) {
        for (let m = 0; m < mult; m++) out[((c * mult + m) * kh + y) * kw + x] = data[((y * kw + x) * cin + c) * mult + m];
      }
    }
  }
  return { dims: [cin * mult, 1, kh, kw], values: out };
}

/**
 * Output size and explicit ONNX pads of one spatial axis. TF's "same" puts the odd pixel of padding at the
 * end (bottom/right), which is ONNX SAME_UPPER; explicit pads keep that exact without relying on auto_pad.
 */
export function spatialPadding(input: number, kernel: number, stride: number, dilation: number, padding: string): { out: number; begin: number; end: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(input / stride);
    const total = Math.max((out - 1) * stride + effective - input, 0);
    const begin = Math.floor(total / 2);
    return { out, begin, end: total - begin };
  }
  return { out: Math.floor((input - effective) / stride) + 1, begin: 0, end: 0 };
}
