/** Shared helpers for the core/io tests: a seeded generator, random tensors, a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DType } from '../../../src/protocol/checkpoint';
import { isElsaError } from '../../../src/core/errors';
import type { HostTensor } from '../../../src/core/io/dtype';

/** mulberry32: small, seeded, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

export function randomShape(rand: () => number, maxRank = 4, maxDim = 7): number[] {
  return Array.from({ length: randInt(rand, 0, maxRank) }, () => randInt(rand, rand() < 0.05 ? 0 : 1, maxDim));
}

export const ALL_DTYPES: DType[] = ['F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'I8', 'U16', 'I16', 'U32', 'BOOL'];

/** Random tensor whose values survive a round trip through `dtype` exactly. */
export function randomTensor(rand: () => number, dtype: DType, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const gen = (f: () => number) => Array.from({ length: n }, f);
  switch (dtype) {
    case 'F32': return { dtype, shape, data: new Float32Array(gen(() => (rand() - 0.5) * 10 ** randInt(rand, -6, 6))) };
    // Values with ≤ 11 significant bits and a modest exponent are exact in F16; ≤ 8 bits in BF16.
    case 'F16': return { dtype, shape, data: new Float32Array(gen(() => (randInt(rand, -1024, 1024) / 64))) };
    case 'BF16': return { dtype, shape, data: new Float32Array(gen(() => randInt(rand, -128, 128) * 2 ** randInt(rand, -20, 20))) };
    case 'F64': return { dtype, shape, data: new Float64Array(gen(() => (rand() - 0.5) * 1e300 * rand())) };
    case 'I32': return { dtype, shape, data: new Int32Array(gen(() => randInt(rand, -(2 ** 31), 2 ** 31 - 1))) };
    case 'I64': return { dtype, shape, data: BigInt64Array.from({ length: n }, () => BigInt(randInt(rand, -(2 ** 40), 2 ** 40)) * 1000003n) };
    case 'U8': return { dtype, shape, data: new Uint8Array(gen(() => randInt(rand, 0, 255))) };
    case 'BOOL': return { dtype, shape, data: new Uint8Array(gen(() => randInt(rand, 0, 1))) };
    case 'I8': return { dtype, shape, data: new Int8Array(gen(() => randInt(rand, -128, 127))) };
    case 'U16': return { dtype, shape, data: new Uint16Array(gen(() => randInt(rand, 0, 65535))) };
    case 'I16': return { dtype, shape, data: new Int16Array(gen(() => randInt(rand, -32768, 32767))) };
    case 'U32': return { dtype, shape, data: new Uint32Array(gen(() => randInt(rand, 0, 2 ** 32 - 1))) };
  }
}

/** A fresh temp folder and its cleanup. */
export function tempDir(prefix = 'elsa-io-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Asserts that `p` rejects with a one-line CheckpointError naming `label`; returns its message. */
export async function expectCheckpointError(p: Promise<unknown> | (() => unknown), label: string): Promise<string> {
  try {
    if (typeof p === 'function') await p();
    else await p;
  } catch (e) {
    if (!isElsaError(e) || e.kind !== 'CheckpointError') {
      throw new Error(`expected a CheckpointError naming ${label}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    if (e.file !== label) throw new Error(`CheckpointError names "${e.file}", expected "${label}": ${e.message}`);
    if (e.message.includes('\n')) throw new Error(`CheckpointError message spans lines: ${e.message}`);
    return e.message;
  }
  throw new Error(`expected a CheckpointError naming ${label}, but it succeeded`);
}

export function sameBits(a: HostTensor['data'], b: HostTensor['data']): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return ua.every((x, i) => x === ub[i]);
}
