/**
 * The checkpoint contract beyond the metadata's shape (docs/reliability.md): every sparsifiable weight has a
 * code tensor, every code is in 1..K+1, and the sparsity each finished level records is what its codes
 * give. A file that breaks it is refused by extract and eval with one line; `elsa inspect` still lists its
 * tensors but flags the problem.
 */
import type { ElsaMetadata } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import type { ByteSource } from './byteSource';
import { packedLength, packingBits, unpackCodes } from './codePacking';
import { elementCount } from './dtype';
import { shortName } from './limits';
import type { SafetensorsHeader } from './safetensors';
import { MAX_MODEL_NESTING, isContainerClass } from '../models/layersTopology';
import { SPARSIFIABLE } from '../models/sparsifiable';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Header-only checks: which weights must have codes. Throws a CheckpointError. */
export function checkCodeCoverage(header: SafetensorsHeader, meta: ElsaMetadata): void {
  const bad = (p: string) => checkpointError(header.label, `__metadata__.elsa: ${p}`);
  const codes = meta.codes;
  if (meta.targets.length > 0 && Object.keys(codes).length === 0) throw bad(`no weight has level codes ("codes" is empty) but the run has ${meta.targets.length} sparse levels`);
  for (const level of meta.levels) {
    for (const w of Object.keys(level.layerSparsity ?? {})) {
      if (!has(codes, w)) throw bad(`level ${level.index} records the sparsity of "${shortName(w)}", which has no level codes`);
    }
  }
  if (meta.targets.length === 0) return;
  for (const w of sparsifiableWeights(meta.topology)) {
    if (has(header.tensors, w) && !has(codes, w)) throw bad(`sparsifiable weight "${shortName(w)}" has no level codes`);
  }
}

/** Stable names (`layer/kernel`, nested `model/layer/kernel`) of the prunable weights a topology declares. */
function sparsifiableWeights(topology: unknown): string[] {
  const out: string[] = [];
  const stack: [unknown, string, number][] = [[topology, '', 0]];
  while (stack.length) {
    const [t, prefix, depth] = stack.pop()!;
    if (!isObject(t) || depth > MAX_MODEL_NESTING) continue;
    const root = isObject(t.model_config) ? t.model_config : t;
    const config = root.config;
    const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : [];
    for (const l of layers as unknown[]) {
      if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) continue;
      const name = typeof l.name === 'string' ? l.name : l.config.name;
      if (typeof name !== 'string') continue;
      if (isContainerClass(l.class_name)) stack.push([l, `${prefix}${name}/`, depth + 1]);
      for (const short of SPARSIFIABLE[l.class_name] ?? []) out.push(`${prefix}${name}/${short}`);
    }
  }
  return out;
}

/**
 * Streams every code tensor once: codes outside 1..K+1 and levels whose recorded sparsity differs from
 * their codes are CheckpointErrors. Returns, per weight, how many weights carry each code (index = code).
 */
export async function verifyLevelCodes(source: ByteSource, header: SafetensorsHeader, meta: ElsaMetadata): Promise<Map<string, Float64Array>> {
  const K = meta.targets.length;
  const bits = packingBits(meta.packing, header.label);
  const histograms = new Map<string, Float64Array>();
  const total = new Float64Array(K + 2);
  for (const [weight, codeName] of Object.entries(meta.codes)) {
    const count = elementCount(header.tensors[weight].shape) ?? 0;
    const entry = header.tensors[codeName];
    const h = new Float64Array(K + 2);
    const chunkCodes = meta.packing === 'u8' ? 1 << 22 : ((1 << 22) * 8) / bits; // a whole number of bytes
    for (let done = 0; done < count; done += chunkCodes) {
      const n = Math.min(chunkCodes, count - done);
      const offset = meta.packing === 'u8' ? done : (done * bits) / 8;
      const codes = unpackCodes(await source.read(header.dataOffset + entry.offsets[0] + offset, packedLength(n, meta.packing)), n, meta.packing, header.label);
      for (let i = 0; i < n; i++) {
        const c = codes[i];
        if (c < 1 || c > K + 1) throw checkpointError(header.label, `level code ${c} of "${shortName(weight)}" at index ${done + i} is outside 1..${K + 1}`);
        h[c]++;
      }
    }
    histograms.set(weight, h);
    for (let c = 1; c <= K + 1; c++) total[c] += h[c];
  }
  const all = total.reduce((a, b) => a + b, 0);
  for (const level of meta.levels) {
    const measured = sparsityAt(total, level.index, all);
    // The recorded value is the same ratio computed at training time; allow float rounding only.
    if (Math.abs(measured - level.sparsity) > 1e-6 + 0.5 / Math.max(all, 1)) {
      throw checkpointError(header.label, `level ${level.index} records sparsity ${level.sparsity}, but its level codes give ${measured}`);
    }
    for (const [w, s] of Object.entries(level.layerSparsity ?? {})) {
      const h = histograms.get(w)!;
      const n = h.reduce((a, b) => a + b, 0);
      const got = sparsityAt(h, level.index, n);
      if (typeof s !== 'number' || Math.abs(got - s) > 1e-6 + 0.5 / Math.max(n, 1)) {
        throw checkpointError(header.label, `level ${level.index} records sparsity ${String(s)} for "${shortName(w)}", but its codes give ${got}`);
      }
    }
  }
  return histograms;
}

/** Share of weights whose code is above `level`. */
export function sparsityAt(histogram: Float64Array, level: number, count: number): number {
  if (count === 0) return 0;
  let inLevel = 0;
  for (let c = 1; c <= level && c < histogram.length; c++) inLevel += histogram[c];
  return (count - inLevel) / count;
}
