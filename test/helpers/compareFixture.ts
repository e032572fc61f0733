/**
 * Tiny stores for the Compare tests (core, protocol, webview series): an ELSA checkpoint with K = 2 and a plain
 * file, in memory. Their masks and the Jaccard indices they give are worked out by hand in
 * test/core/compare.test.ts.
 */
import { memoryByteSource } from '../../src/core/io/byteSource';
import { buildElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { encodeSafetensors, type HostTensor } from '../../src/core/io/safetensors';
import { openSafetensorsStore, type TensorStore } from '../../src/core/tensorStore';

export const concat = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
};

export const f32 = (shape: number[], values: number[]): HostTensor => ({ dtype: 'F32', shape, data: Float32Array.from(values) });

// Level codes (K = 2) and stored weights of d/kernel. Level 1 keeps {0, 3}, level 2 keeps {0, 1, 3, 5}.
export const CODES = [1, 2, 3, 1, 3, 2, 3, 3];
export const VALUES = [0.5, -0.25, 1, 2, 0.75, -1, 0.125, 3];

export async function elsaStore(): Promise<TensorStore> {
  const { tensors, meta } = buildElsaCheckpoint({
    weights: { 'd/kernel': f32([2, 4], VALUES), 'd/bias': f32([4], [0, 0, 0, 0]), 'c/kernel': f32([2, 3], [1, 2, 3, 4, 5, 6]) },
    codes: { 'd/kernel': Uint8Array.from(CODES), 'c/kernel': Uint8Array.from([1, 1, 2, 2, 3, 3]) },
    meta: {
      format: 'elsa/1',
      kind: 'elsa',
      targets: [0.75, 0.5],
      config: { epochs: { warmup: 1, perPhase: 2, dense: 3 } },
      provenance: { tool: 't', version: '0', backend: 'cpu', createdAt: '', dataset: 'tiny (x; 60 train / 20 test)' },
      levels: [
        { index: 1, targetSparsity: 0.75, sparsity: 0.714, metrics: { accuracy: 0.5 } },
        { index: 2, targetSparsity: 0.5, sparsity: 0.429, metrics: { accuracy: 0.6, loss: 1.25 } },
        { index: 3, targetSparsity: 0, sparsity: 0, dense: true, metrics: { accuracy: 0.7 } },
      ],
    },
  });
  return openSafetensorsStore(memoryByteSource(concat(encodeSafetensors(tensors, { elsa: JSON.stringify(meta) })), 'run.elsa.safetensors'));
}

/** A plain file: d/kernel nonzero at {1, 3, 5, 6}; a bias (never compared), c/kernel of another shape, an extra kernel. */
export async function plainStore(): Promise<TensorStore> {
  const tensors = {
    'd/kernel': f32([2, 4], [0, 0.5, 0, 2.5, 0, -1, 0.125, 0]),
    'd/bias': f32([4], [1, 0, 0, 0]),
    'c/kernel': f32([3, 2], [1, 2, 3, 4, 5, 6]),
    'x/kernel': f32([2, 2], [1, 0, 0, 1]),
  };
  return openSafetensorsStore(memoryByteSource(concat(encodeSafetensors(tensors)), 'other.safetensors'));
}
