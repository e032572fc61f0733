/**
 * The sparse inference path of an extracted level: the Layers topology walked once (the same graph reader as
 * the ONNX export), every layer compiled over its weights (`sparseLayers.ts`: CSR for Dense and convolutions),
 * then one sample at a time in plain JavaScript. It exists to answer "is the sparse form of this level faster
 * than the dense kernels at batch 1?" honestly: `elsa predict` times both and says which one wins.
 * A layer it does not handle is refused with its name and class (a ModelError); callers then skip the path.
 */
import { modelError } from '../errors';
import type { HostTensor } from '../io/dtype';
import { parseLayersTopology } from '../io/onnxExport';
import { layerStep } from '../models/layerConfig';
import type { Csr } from './csr';
import { SPARSE_COMPILERS, type CompiledLayer, type SparseLayerContext, type SValue } from './sparseLayers';

const PURPOSE = 'sparse path';

export interface SparseModel {
  /** [H, W, C] (or the flat shape) of one input sample. */
  inputShape: number[];
  outputShape: number[];
  /** Stored nonzeros of the CSR weights, and how many weights those matrices hold in all. */
  nonzeros: number;
  csrWeights: number;
  /** Logits (or whatever the output layer gives) of one sample, NHWC order. */
  run(input: Float32Array): Float32Array;
}

/** Compiles a Layers topology whose weights are given by stable name (`layer/weight`, as checkpoints store them). */
export function compileSparseModel(topology: unknown, weights: Record<string, HostTensor>, file?: string): SparseModel {
  const parsed = parseLayersTopology(topology, file, PURPOSE);
  const input = parsed.inputs[0];
  if (input.shape.some((d) => !Number.isInteger(d) || d <= 0)) throw modelError(file, `${PURPOSE}: input shape [${input.shape.join(', ')}] must be fully known`);
  const shapes = new Map<string, number[]>([[input.name, input.shape]]);
  const plan: { name: string; inbound: string[]; layer: CompiledLayer }[] = [];
  let nonzeros = 0;
  let csrWeights = 0;
  for (const spec of parsed.layers) {
    const { impl: compile, step: { inputs: inputShapes, ...step } } = layerStep(SPARSE_COMPILERS, spec, shapes, weights, file, PURPOSE);
    const { fail } = step;
    const ctx: SparseLayerContext = {
      ...step,
      inputShapes,
      countCsr: (m: Csr) => {
        nonzeros += m.rowStart[m.rows];
        csrWeights += m.rows * m.cols;
      },
    };
    const layer = compile(ctx);
    if (!layer.outShape.every((d) => Number.isInteger(d) && d > 0)) throw fail(`output shape [${layer.outShape.join(', ')}] is not valid`);
    shapes.set(spec.name, layer.outShape);
    plan.push({ name: spec.name, inbound: spec.inbound, layer });
  }
  const outputName = parsed.outputs[0];
  const outputShape = shapes.get(outputName);
  if (!outputShape) throw modelError(file, `${PURPOSE}: output layer "${outputName}" is not in the model`);
  const inputSize = input.shape.reduce((a, b) => a * b, 1);
  // A value is dropped as soon as its last consumer has run, so a deep model holds only its live activations.
  const lastUse = new Map<string, number>();
  plan.forEach((p, i) => p.inbound.forEach((n) => lastUse.set(n, i)));
  return {
    inputShape: input.shape,
    outputShape,
    nonzeros,
    csrWeights,
    run(data: Float32Array): Float32Array {
      if (data.length !== inputSize) throw new RangeError(`sparse path: input has ${data.length} values, the model takes ${inputSize} ([${input.shape.join(', ')}])`);
      const values = new Map<string, SValue>([[input.name, { data, shape: input.shape }]]);
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i];
        const xs = p.inbound.map((n) => values.get(n)!);
        values.set(p.name, { data: p.layer.run(xs), shape: p.layer.outShape });
        for (const n of p.inbound) if (lastUse.get(n) === i && n !== outputName) values.delete(n);
      }
      return values.get(outputName)!.data;
    },
  };
}
