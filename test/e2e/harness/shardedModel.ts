// A Hugging Face style sharded model (`model.safetensors.index.json` + shards) written at test time, with what
// a reader must find in it known in advance. Most of a large model is holes: a filler tensor holds 64 KiB of real
// data at the start of every 4 MiB of its bytes and nothing written after it (a sparse file), so a 2 GiB model
// costs ~100 MiB of disk and a few seconds, never 2 GiB of memory, and its zero share is exact (1 − 1/64) whichever
// 4 MiB chunks a reader samples. The tensors the tests look at closely are written in full: F16 and BF16 with
// exact zeros (+0 and −0) at known places, and 2:4 patterns along either fan-in order.

import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export type Dtype = 'F32' | 'F16' | 'BF16';
/**
 * `filler`: 64 KiB of nonzero data per 4 MiB, holes between; `random`: nonzero values with exact zeros at every
 * element i ≡ 3 (mod 10) (every other one −0); `nm-last`: 2:4, the 2nd and 3rd of every 4 neighbours zero;
 * `nm-first`: 2:4 along the first axis, rows ≡ 1, 2 (mod 4) zero; `ones`: a norm vector.
 */
export type Fill = 'filler' | 'random' | 'nm-last' | 'nm-first' | 'ones';

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  shape: number[];
  fill: Fill;
}

export interface ExpectedTensor extends TensorSpec {
  shard: string;
  /** Exact share of zeros in the whole tensor. */
  zeroShare: number;
  /** The pattern that holds in every group (io/nmPattern.ts), if any. */
  nmHolds?: string;
  /** Share of groups of 4 that satisfy 2:4 along the best order (sampled readers see the `last` order only). */
  share24: number;
}

export interface ShardedModel {
  dir: string;
  index: string;
  /** Sum of the tensors' bytes (what the index's total_size says). */
  totalBytes: number;
  tensors: ExpectedTensor[];
}

const SIZE: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2 };
const CHUNK = 4 << 20;
const FILLER_DATA = 64 << 10;
const MiB = 1 << 20;

/** 2 GiB in four 512 MiB shards: a 496 MiB filler in each, the closely checked tensors beside them. */
export function twoGiBLayout(): TensorSpec[][] {
  return [
    [
      { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [63488, 4096], fill: 'filler' },
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F16', shape: [2048, 2048], fill: 'random' },
      { name: 'model.layers.0.self_attn.k_proj.weight', dtype: 'BF16', shape: [2048, 2048], fill: 'random' },
    ],
    [
      { name: 'model.layers.0.mlp.gate_proj.weight', dtype: 'F32', shape: [2048, 2048], fill: 'nm-last' },
      { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'F32', shape: [31744, 4096], fill: 'filler' },
    ],
    [
      { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F16', shape: [2048, 4096], fill: 'nm-first' },
      { name: 'model.layers.1.mlp.down_proj.weight', dtype: 'F16', shape: [63488, 4096], fill: 'filler' },
    ],
    [
      { name: 'model.layers.1.mlp.up_proj.weight', dtype: 'F32', shape: [31744, 4096], fill: 'filler' },
      { name: 'model.norm.weight', dtype: 'F32', shape: [4096], fill: 'ones' },
      { name: 'lm_head.weight', dtype: 'BF16', shape: [4096, 2048], fill: 'random' },
    ],
  ];
}

/** 24 MiB (25.2 MB) in two shards, every byte written: the small model the benchmark compares with. */
export function smallLayout(): TensorSpec[][] {
  return [
    [
      { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F16', shape: [1024, 2048], fill: 'random' },
      { name: 'model.layers.0.mlp.gate_proj.weight', dtype: 'F32', shape: [1024, 2048], fill: 'nm-last' },
    ],
    [
      { name: 'model.layers.0.mlp.up_proj.weight', dtype: 'F32', shape: [1024, 2048], fill: 'random' },
      { name: 'lm_head.weight', dtype: 'BF16', shape: [2048, 1024], fill: 'random' },
    ],
  ];
}

/** Deterministic 32-bit generator (xorshift): the values need only be nonzero and reproducible. */
function bitsSource(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/** A nonzero value's bits, |v| in [2^-7, 2^-1): sign, a small exponent range, random mantissa. */
function nonzeroBits(dtype: Dtype, r: number): number {
  const sign = r & 1;
  const e = 7 + ((r >>> 1) % 6); // 2^-7 … 2^-2 as the exponent below 0
  if (dtype === 'F16') return (sign << 15) | ((15 - e) << 10) | ((r >>> 4) & 0x3ff);
  if (dtype === 'BF16') return (sign << 15) | ((127 - e) << 7) | ((r >>> 4) & 0x7f);
  return ((sign << 31) | ((127 - e) << 23) | ((r >>> 4) & 0x7fffff)) >>> 0;
}

/** Bytes of elements [start, start + count) of a fully written tensor. */
function elementBytes(spec: TensorSpec, start: number, count: number, next: () => number): Buffer {
  const size = SIZE[spec.dtype];
  const out = Buffer.alloc(count * size);
  const cols = spec.shape[spec.shape.length - 1];
  for (let k = 0; k < count; k++) {
    const i = start + k;
    let zero: false | 'plus' | 'minus' = false;
    if (spec.fill === 'random' && i % 10 === 3) zero = (i / 10) % 2 < 1 ? 'plus' : 'minus';
    else if (spec.fill === 'nm-last' && (i % 4 === 1 || i % 4 === 2)) zero = 'plus';
    else if (spec.fill === 'nm-first') {
      const row = Math.floor(i / cols) % 4;
      if (row === 1 || row === 2) zero = 'plus';
    }
    let bits: number;
    if (spec.fill === 'ones') bits = spec.dtype === 'F32' ? 0x3f800000 : spec.dtype === 'F16' ? 0x3c00 : 0x3f80;
    else if (zero) bits = zero === 'minus' ? (size === 4 ? 0x80000000 : 0x8000) : 0;
    else bits = nonzeroBits(spec.dtype, next());
    if (size === 4) out.writeUInt32LE(bits >>> 0, k * 4);
    else out.writeUInt16LE(bits, k * 2);
  }
  return out;
}

function expectation(spec: TensorSpec, shard: string): ExpectedTensor {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  switch (spec.fill) {
    case 'filler': {
      // Every 4 MiB chunk holds FILLER_DATA bytes of nonzero values; rows are whole 4-groups, so 2:4 along the
      // last axis holds exactly in the zero part.
      const share = 1 - FILLER_DATA / CHUNK;
      return { ...spec, shard, zeroShare: share, share24: share };
    }
    case 'random':
      return { ...spec, shard, zeroShare: Math.floor((count + 6) / 10) / count, share24: 0 };
    case 'nm-last':
    case 'nm-first':
      return { ...spec, shard, zeroShare: 0.5, nmHolds: '2:4', share24: 1 };
    case 'ones':
      return { ...spec, shard, zeroShare: 0, share24: 0 };
  }
}

/** Writes the shards and the index into `dir`; returns what a reader must report. */
export function writeShardedModel(dir: string, layout: TensorSpec[][], seed = 1): ShardedModel {
  const next = bitsSource(seed);
  const weightMap: Record<string, string> = {};
  const tensors: ExpectedTensor[] = [];
  let totalBytes = 0;
  layout.forEach((specs, s) => {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(layout.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const spec of specs) {
      const bytes = spec.shape.reduce((a, b) => a * b, 1) * SIZE[spec.dtype];
      header[spec.name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[spec.name] = file;
      tensors.push(expectation(spec, file));
    }
    totalBytes += offset;
    // Pad the header so the data starts on a 4 KiB boundary: the holes then cover whole pages.
    let json = JSON.stringify(header);
    json += ' '.repeat((4096 - ((8 + json.length) % 4096)) % 4096);
    const dataStart = 8 + json.length;
    const fd = openSync(path.join(dir, file), 'w');
    try {
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(json.length));
      writeSync(fd, prefix, 0, 8, 0);
      writeSync(fd, Buffer.from(json), 0, json.length, 8);
      let at = dataStart;
      for (const spec of specs) {
        const size = SIZE[spec.dtype];
        const bytes = spec.shape.reduce((a, b) => a * b, 1) * size;
        if (spec.fill === 'filler') {
          for (let c = 0; c < bytes; c += CHUNK) {
            const data = elementBytes({ ...spec, fill: 'random' }, 0, FILLER_DATA / size, next);
            // 'random' puts zeros at i ≡ 3 (mod 10); a filler's data part must be all nonzero.
            for (let k = 0; k < data.length; k += size) if (size === 4 ? data.readUInt32LE(k) << 1 === 0 : (data.readUInt16LE(k) & 0x7fff) === 0) data.writeUIntLE(nonzeroBits(spec.dtype, next()), k, size);
            writeSync(fd, data, 0, data.length, at + c);
          }
        } else {
          const per = Math.floor(CHUNK / size);
          const count = bytes / size;
          for (let start = 0; start < count; start += per) {
            const data = elementBytes(spec, start, Math.min(per, count - start), next);
            writeSync(fd, data, 0, data.length, at + start * size);
          }
        }
        at += bytes;
      }
      ftruncateSync(fd, at);
    } finally {
      closeSync(fd);
    }
  });
  const index = path.join(dir, 'model.safetensors.index.json');
  writeFileSync(index, JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2));
  return { dir, index, totalBytes, tensors };
}

export const bytesMiB = (n: number): number => n / MiB;
