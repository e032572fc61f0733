/**
 * `NAME.elsa.safetensors` (docs/format.md): a plain safetensors file whose `__metadata__["elsa"]` holds the
 * ElsaMetadata JSON. Tensor naming:
 * - model weights under their own names (F32, or F16 on request), in the model's order;
 * - `elsa.codes/<weight>`: the level codes of a sparsifiable weight, U8; with packing `u8` shaped like the
 *   weight, with `bits<N>` a 1-D tensor of the packed bytes (see codePacking.ts);
 * - `elsa.level<k>/<param>`: the value of a non-sparsified parameter for level k.
 */
import type { ElsaMetadata, SmallParamsInfo } from '../../protocol/checkpoint';
import { ELSA_FORMAT } from '../../protocol/checkpoint';
import { checkpointError } from '../errors';
import { type ByteSource, fileByteSource } from './byteSource';
import { maxCodeFor, packCodes, packedLength, packingBits, packingFor, unpackCodes } from './codePacking';
import { elementCount } from './dtype';
import { checkCodeCoverage, verifyLevelCodes } from './elsaContract';
import {
  type HostTensor, type SafetensorsHeader, readSafetensorsHeader, readTensor, readTensorBytes, tensorNamesInFileOrder,
  writeSafetensors,
} from './safetensors';

export const CODES_PREFIX = 'elsa.codes/';
export const codeTensorName = (weightName: string) => `${CODES_PREFIX}${weightName}`;
export const levelParamTensorName = (level: number, paramName: string) => `elsa.level${level}/${paramName}`;
/** Tensors under this prefix are ELSA bookkeeping, not model weights. */
export const ELSA_TENSOR_PREFIX = 'elsa.';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The ELSA metadata of a safetensors header: undefined when there is none, CheckpointError when malformed. */
export function parseElsaMetadata(header: SafetensorsHeader): ElsaMetadata | undefined {
  if (!has(header.metadata, 'elsa')) return undefined;
  const label = header.label;
  const bad = (problem: string) => checkpointError(label, `__metadata__.elsa: ${problem}`);
  let raw: unknown;
  try {
    raw = JSON.parse(header.metadata.elsa);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObject(raw)) throw bad('not a JSON object');
  if (raw.format !== ELSA_FORMAT) throw bad(`unsupported format ${JSON.stringify(raw.format) ?? 'undefined'} (this reader knows "${ELSA_FORMAT}")`);

  const targets = raw.targets;
  // An empty list is a dense-only network (the dense baseline, kind "dense").
  if (!Array.isArray(targets) || (targets.length === 0 && raw.kind !== 'dense') || !targets.every((t) => typeof t === 'number' && t > 0 && t < 1)) {
    throw bad('targets must be a non-empty array of sparsities in (0, 1)');
  }
  for (let i = 1; i < targets.length; i++) {
    if (!((targets[i] as number) < (targets[i - 1] as number))) throw bad(`targets must decrease (sparsest first), got ${JSON.stringify(targets)}`);
  }
  const K = targets.length;

  if (!Array.isArray(raw.levels)) throw bad('levels must be an array');
  if (raw.levels.length > K + 1) throw bad(`${raw.levels.length} levels for ${K} targets (at most ${K + 1})`);
  raw.levels.forEach((l: unknown, i: number) => checkLevel(bad, l, i, K));

  if (typeof raw.packing !== 'string') throw bad('packing is missing');
  const packing = raw.packing;
  packingBits(packing, label);
  if (maxCodeFor(packing) < K + 1) throw bad(`packing ${packing} cannot hold codes up to ${K + 1}`);

  if (!isObject(raw.codes)) throw bad('codes must be an object {weight: code tensor}');
  for (const [weight, codeName] of Object.entries(raw.codes)) {
    if (typeof codeName !== 'string') throw bad(`codes["${weight}"] is not a tensor name`);
    checkCodeTensor(bad, header, weight, codeName, packing);
  }

  if (raw.smallParams !== undefined) checkSmallParams(bad, header, raw.smallParams, K);
  for (const key of ['provenance', 'training'] as const) {
    if (raw[key] !== undefined && !isObject(raw[key])) throw bad(`${key} must be an object`);
  }
  if (raw.kind !== undefined && raw.kind !== 'elsa' && raw.kind !== 'independent' && raw.kind !== 'dense') {
    throw bad(`unknown kind ${JSON.stringify(raw.kind)}`);
  }
  const meta = raw as unknown as ElsaMetadata;
  checkCodeCoverage(header, meta);
  return meta;
}

function checkLevel(bad: (p: string) => Error, l: unknown, i: number, K: number): void {
  if (!isObject(l)) throw bad(`levels[${i}] is not an object`);
  if (l.index !== i + 1) throw bad(`levels[${i}].index is ${JSON.stringify(l.index) ?? 'missing'}, expected ${i + 1} (levels are numbered 1..${K + 1} in order)`);
  for (const key of ['targetSparsity', 'sparsity'] as const) {
    const v = l[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(`levels[${i}].${key} must be a number in [0, 1]`);
  }
  if (!isObject(l.metrics)) throw bad(`levels[${i}].metrics must be an object`);
  for (const [name, v] of Object.entries(l.metrics)) {
    if (v !== undefined && v !== null && typeof v !== 'number') throw bad(`levels[${i}].metrics.${name} must be a number`);
  }
  if (l.layerSparsity !== undefined && !isObject(l.layerSparsity)) throw bad(`levels[${i}].layerSparsity must be an object`);
}

function checkCodeTensor(bad: (p: string) => Error, header: SafetensorsHeader, weight: string, codeName: string, packing: string): void {
  const w = has(header.tensors, weight) ? header.tensors[weight] : undefined;
  if (!w) throw bad(`codes name weight "${weight}", which is not in the file`);
  const c = has(header.tensors, codeName) ? header.tensors[codeName] : undefined;
  if (!c) throw bad(`code tensor "${codeName}" of weight "${weight}" is missing`);
  if (c.dtype !== 'U8') throw bad(`code tensor "${codeName}" is ${c.dtype}, expected U8`);
  const count = elementCount(w.shape) ?? 0;
  const want = packedLength(count, packing);
  const have = elementCount(c.shape) ?? -1;
  if (have !== want) throw bad(`code tensor "${codeName}" has ${have} bytes, but ${count} weights in ${packing} need ${want}`);
}

function checkSmallParams(bad: (p: string) => Error, header: SafetensorsHeader, sp: unknown, K: number): void {
  if (!isObject(sp)) throw bad('smallParams must be an object');
  if (sp.mode !== 'perLevel' && sp.mode !== 'frozen') throw bad(`smallParams.mode must be "perLevel" or "frozen", got ${JSON.stringify(sp.mode)}`);
  if (!isObject(sp.perLevel)) throw bad('smallParams.perLevel must be an object');
  for (const [param, names] of Object.entries(sp.perLevel)) {
    if (!Array.isArray(names) || names.length > K + 1 || !names.every((n) => typeof n === 'string')) {
      throw bad(`smallParams.perLevel["${param}"] must be up to ${K + 1} tensor names`);
    }
    for (const n of names as string[]) if (!has(header.tensors, n)) throw bad(`small parameter tensor "${n}" is missing`);
  }
}

/** Unpacked level codes (one per weight element, 1..K+1) of one sparsifiable weight. */
export async function readLevelCodes(
  source: ByteSource | string, header: SafetensorsHeader, meta: ElsaMetadata, weightName: string,
): Promise<Uint8Array> {
  const label = header.label;
  if (!has(meta.codes, weightName)) throw checkpointError(label, `weight "${weightName}" has no level codes`);
  const count = elementCount(header.tensors[weightName].shape) ?? 0;
  const codes = unpackCodes(await readTensorBytes(source, header, meta.codes[weightName]), count, meta.packing, label);
  const maxCode = meta.targets.length + 1;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 1 || codes[i] > maxCode) throw checkpointError(label, `level code ${codes[i]} of "${weightName}" at index ${i} is outside 1..${maxCode}`);
  }
  return codes;
}

/** Share of weights not in level `level` (code > level). */
export function levelSparsity(codes: Uint8Array, level: number): number {
  if (codes.length === 0) return 0;
  let out = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] > level) out++;
  return out / codes.length;
}

/** `W ⊙ [code <= level]` in one pass; dropped weights become +0. */
export function extractLevelWeights(weights: Float32Array | Float64Array, codes: Uint8Array, level: number): Float32Array {
  if (weights.length !== codes.length) throw checkpointError(undefined, `${weights.length} weights but ${codes.length} level codes`);
  const out = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) if (codes[i] <= level) out[i] = weights[i];
  return out;
}

export interface ElsaCheckpointParts {
  /** Model weights in model order: sparsifiable ones (with codes) and the rest. */
  weights: Record<string, HostTensor>;
  /** Sparsifiable weight name -> its codes (1..K+1), one per element. */
  codes: Record<string, Uint8Array>;
  /** Level k (1..K+1) -> non-sparsified parameter -> its value for that level. */
  levelParams?: Record<number, Record<string, HostTensor>>;
  /** Anything else to keep (give it an `elsa.` name unless it is a model weight). */
  extraTensors?: Record<string, HostTensor>;
  meta: Omit<ElsaMetadata, 'codes' | 'packing' | 'smallParams'> & { smallParamsMode?: 'perLevel' | 'frozen' };
  /** `bits` (default): the tightest `bits<N>` for K; `u8`: one byte per code. */
  packing?: 'u8' | 'bits';
  floatDtype?: 'F32' | 'F16';
}

/** Writes a checkpoint atomically, filling in codes, packing and smallParams of the metadata. */
export async function writeElsaCheckpoint(filePath: string, parts: ElsaCheckpointParts): Promise<ElsaMetadata> {
  const { tensors, meta } = buildElsaCheckpoint(parts);
  await writeSafetensors(filePath, tensors, { elsa: JSON.stringify(meta) }, { dtype: parts.floatDtype ?? 'F32' });
  return meta;
}

/** The tensors and metadata of a checkpoint, in file order (exposed for in-memory use and tests). */
export function buildElsaCheckpoint(parts: ElsaCheckpointParts): { tensors: Record<string, HostTensor>; meta: ElsaMetadata } {
  const { smallParamsMode, ...baseMeta } = parts.meta;
  const K = baseMeta.targets.length;
  const packing = parts.packing === 'u8' ? 'u8' : packingFor(K);
  const maxCode = K + 1;
  const tensors: Record<string, HostTensor> = {};
  const add = (name: string, t: HostTensor) => {
    if (has(tensors, name)) throw checkpointError(undefined, `tensor "${name}" given twice`);
    Object.defineProperty(tensors, name, { value: t, enumerable: true, writable: true, configurable: true });
  };
  for (const [name, t] of Object.entries(parts.weights)) add(name, t);

  const codeNames: Record<string, string> = {};
  for (const [weight, codes] of Object.entries(parts.codes)) {
    if (!has(parts.weights, weight)) throw checkpointError(undefined, `codes given for "${weight}", which is not among the weights`);
    const count = parts.weights[weight].data.length;
    if (codes.length !== count) throw checkpointError(undefined, `weight "${weight}" has ${count} elements but ${codes.length} codes`);
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] < 1 || codes[i] > maxCode) throw checkpointError(undefined, `level code ${codes[i]} of "${weight}" at index ${i} is outside 1..${maxCode}`);
    }
    const packed = packCodes(codes, packing);
    const shape = packing === 'u8' ? [...parts.weights[weight].shape] : [packed.length];
    const name = codeTensorName(weight);
    add(name, { dtype: 'U8', shape, data: packed });
    codeNames[weight] = name;
  }

  let smallParams: SmallParamsInfo | undefined;
  if (parts.levelParams || smallParamsMode) {
    const mode = smallParamsMode ?? 'perLevel';
    smallParams = { mode, perLevel: {} };
    const levels = Object.keys(parts.levelParams ?? {}).map(Number).sort((a, b) => a - b);
    for (const k of levels) {
      if (!Number.isInteger(k) || k < 1 || k > K + 1) throw checkpointError(undefined, `level params given for level ${k}, outside 1..${K + 1}`);
      for (const [param, t] of Object.entries(parts.levelParams![k])) add(levelParamTensorName(k, param), t);
    }
    const lastLevel = mode === 'frozen' ? Math.max(baseMeta.levels.length, levels.at(-1) ?? 0) : levels.at(-1) ?? 0;
    const params = new Set(levels.flatMap((k) => Object.keys(parts.levelParams![k])));
    for (const param of params) {
      const names: string[] = [];
      let latest: string | undefined;
      for (let k = 1; k <= lastLevel; k++) {
        const own = has(parts.levelParams?.[k] ?? {}, param) ? levelParamTensorName(k, param) : undefined;
        if (own) latest = own;
        // Frozen: one stored copy serves every level; per level: each level must have its own.
        if (!own && mode === 'perLevel') throw checkpointError(undefined, `small parameter "${param}" is missing for level ${k}`);
        latest ??= levelsFirstCopy(parts.levelParams!, levels, param);
        names.push(own ?? latest);
      }
      smallParams.perLevel[param] = names;
    }
  }
  for (const [name, t] of Object.entries(parts.extraTensors ?? {})) add(name, t);
  const meta: ElsaMetadata = { ...baseMeta, codes: codeNames, packing, ...(smallParams ? { smallParams } : {}) };
  return { tensors, meta };
}

function levelsFirstCopy(levelParams: Record<number, Record<string, HostTensor>>, levels: number[], param: string): string {
  const k = levels.find((l) => has(levelParams[l], param))!;
  return levelParamTensorName(k, param);
}

export interface ElsaCheckpoint {
  header: SafetensorsHeader;
  meta: ElsaMetadata;
  /** Model weights (tensors outside the `elsa.` namespace) in file order. */
  weightNames: string[];
  /** Weights that carry level codes. */
  sparseWeightNames: string[];
  readWeight(name: string): Promise<HostTensor>;
  readCodes(name: string): Promise<Uint8Array>;
  /** Non-sparsified parameter -> value for level k, per smallParams (empty when the file has none). */
  readLevelParams(level: number): Promise<Record<string, HostTensor>>;
  readTensor(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

/** Opens a checkpoint lazily: header now, tensors on demand. Call `close()` when done. */
export async function readElsaCheckpoint(source: ByteSource | string): Promise<ElsaCheckpoint> {
  const src = typeof source === 'string' ? fileByteSource(source) : source;
  try {
    const header = await readSafetensorsHeader(src);
    const meta = parseElsaMetadata(header);
    if (!meta) throw checkpointError(header.label, 'not an ELSA checkpoint (no __metadata__.elsa)');
    // The contract is checked on open, so extract and eval never act on codes that contradict the levels.
    await verifyLevelCodes(src, header, meta);
    const names = tensorNamesInFileOrder(header);
    const K = meta.targets.length;
    return {
      header,
      meta,
      weightNames: names.filter((n) => !n.startsWith(ELSA_TENSOR_PREFIX)),
      sparseWeightNames: names.filter((n) => has(meta.codes, n)),
      readWeight: (name) => readTensor(src, header, name),
      readTensor: (name) => readTensor(src, header, name),
      readCodes: (name) => readLevelCodes(src, header, meta, name),
      async readLevelParams(level) {
        if (!Number.isInteger(level) || level < 1 || level > K + 1) throw checkpointError(header.label, `level ${level} is outside 1..${K + 1}`);
        const out: Record<string, HostTensor> = {};
        for (const [param, perLevel] of Object.entries(meta.smallParams?.perLevel ?? {})) {
          const name = perLevel[level - 1] ?? (meta.smallParams?.mode === 'frozen' ? perLevel.at(-1) : undefined);
          if (!name) throw checkpointError(header.label, `small parameter "${param}" has no value for level ${level}`);
          out[param] = await readTensor(src, header, name);
        }
        return out;
      },
      close: async () => { if (typeof source === 'string') await src.close?.(); },
    };
  } catch (e) {
    if (typeof source === 'string') await src.close?.();
    throw e;
  }
}
