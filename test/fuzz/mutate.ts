/**
 * Seeded mutants of a safetensors checkpoint and of a model.json folder, for the fuzz test and
 * scripts/fuzz.mjs. Mutations aim where readers make decisions: the header JSON (values, keys, the ELSA
 * metadata, the topology), the length prefix, and raw bytes anywhere, plus truncation and growth.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../core/io/ioTestUtil';

export type Rng = () => number;

/** The seeded generator the io tests use (mulberry32), so a fuzz seed names the same mutants everywhere. */
export const rng = (seed: number): Rng => seededRandom(seed);
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

export function splitSafetensors(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), data: bytes.subarray(8 + n) };
}

export function joinSafetensors(header: unknown, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Math.max(0, json.byteLength + lengthDelta)));
  return new Uint8Array(Buffer.concat([prefix, json, data]));
}

/** Replaces one random value somewhere in a JSON tree (iteratively chosen path) by a hostile one. */
function mutateJson(r: Rng, root: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(root)) as unknown;
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const stack: unknown[] = [copy];
  while (stack.length && nodes.length < 200_000) {
    const v = stack.pop();
    if (Array.isArray(v)) v.forEach((c, i) => { nodes.push({ parent: v, key: i }); stack.push(c); });
    else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) { nodes.push({ parent: v as Record<string, unknown>, key: k }); stack.push(c); }
  }
  if (nodes.length === 0) return copy;
  const { parent, key } = pick(r, nodes);
  const old = (parent as Record<string | number, unknown>)[key];
  const hostile: unknown[] = [
    null, -1, 0, 1, 2, 255, 256, 1e9, 2 ** 53, -0.5, 1.5, Number.MAX_SAFE_INTEGER, '', 'x', '../../../../etc/passwd', '/dev/zero', [], {}, [[]],
    typeof old === 'string' ? old.replace(/o/, 'B') : old, typeof old === 'string' ? old + old : old,
    typeof old === 'number' ? old + 1 : old, typeof old === 'number' ? old * 1000 : old, Array.isArray(old) ? old.slice(1) : old,
    Array.isArray(old) ? [...old, ...old] : old, typeof old === 'string' ? 'n'.repeat(5000) : old,
  ];
  const op = int(r, 10);
  if (op === 0 && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[key as string];
  } else if (op === 1 && !Array.isArray(parent)) {
    (parent as Record<string, unknown>)[`${String(key)}_`] = old;
    delete (parent as Record<string, unknown>)[key as string];
  } else {
    (parent as Record<string | number, unknown>)[key] = pick(r, hostile);
  }
  return copy;
}

/** One mutant of a safetensors file (ELSA metadata included: it is JSON inside a JSON string). */
export function mutateSafetensors(r: Rng, bytes: Uint8Array): Uint8Array {
  const op = int(r, 9);
  if (op <= 2) {
    const { header, data } = splitSafetensors(bytes);
    const meta = (header.__metadata__ as Record<string, string> | undefined)?.elsa;
    if (op <= 1 && meta) {
      const elsa = JSON.parse(meta) as Record<string, unknown>;
      if (op === 0 && r() < 0.3) {
        const special = pick(r, ['codesEmpty', 'codeZero', 'sparsity', 'layerRename']);
        if (special === 'codesEmpty') elsa.codes = {};
        if (special === 'sparsity' && Array.isArray(elsa.levels) && elsa.levels.length) (elsa.levels[0] as Record<string, number>).sparsity = r();
        if (special === 'layerRename') return renameLayer(r, header, elsa, data);
        if (special === 'codeZero') { const out = new Uint8Array(bytes); out[out.length - 1 - int(r, 64)] = 0; return out; }
      }
      (header.__metadata__ as Record<string, string>).elsa = JSON.stringify(op === 0 ? mutateJson(r, elsa) : { ...elsa, topology: mutateJson(r, elsa.topology) });
      return joinSafetensors(header, data);
    }
    return joinSafetensors(mutateJson(r, header), data);
  }
  const out = new Uint8Array(bytes);
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  switch (op) {
    case 3: for (let i = 0; i < 1 + int(r, 4); i++) out[int(r, headerEnd)] = int(r, 256); return out; // header bytes
    case 4: for (let i = 0; i < 1 + int(r, 8); i++) out[int(r, out.length)] ^= 1 << int(r, 8); return out; // any bit
    case 5: return out.subarray(0, int(r, out.length)); // truncated
    case 6: return new Uint8Array(Buffer.concat([out, Buffer.alloc(1 + int(r, 4096), int(r, 256))])); // trailing bytes
    case 7: { const v = new DataView(out.buffer); v.setBigUint64(0, pick(r, [0n, 1n, 7n, BigInt(headerEnd - 9), BigInt(headerEnd), 2n ** 63n, 2n ** 64n - 1n]), true); return out; }
    default: { const { header, data } = splitSafetensors(bytes); return joinSafetensors(header, data, pick(r, [-1, 1, -8, 8])); }
  }
}

/** A layer renamed by one byte in the topology only (`conv1` -> `cBnv1`): the mutant that hung TF.js. */
function renameLayer(r: Rng, header: Record<string, unknown>, elsa: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const text = JSON.stringify(elsa.topology);
  const names = [...text.matchAll(/"name":"([^"]+)"/g)].map((m) => m[1]);
  const name = pick(r, names.length ? names : ['conv1']);
  const at = int(r, name.length);
  const renamed = name.slice(0, at) + 'B' + name.slice(at + 1);
  const topo = text.replace(`"name":"${name}"`, `"name":"${renamed}"`);
  (header.__metadata__ as Record<string, string>).elsa = JSON.stringify({ ...elsa, topology: JSON.parse(topo) });
  return joinSafetensors(header, data);
}

export interface ModelFolder { [file: string]: Uint8Array }

export function readFolder(dir: string): ModelFolder {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(path.join(dir, f)))]));
}

/** One mutant of a model.json folder: the JSON (manifest, topology, paths), or a shard's bytes. */
export function mutateModelFolder(r: Rng, folder: ModelFolder): ModelFolder {
  const out: ModelFolder = { ...folder };
  const op = int(r, 6);
  const json = JSON.parse(Buffer.from(folder['model.json']).toString('utf8')) as Record<string, unknown>;
  const shards = Object.keys(folder).filter((f) => f !== 'model.json');
  if (op <= 2) out['model.json'] = Buffer.from(JSON.stringify(op === 0 ? mutateJson(r, json) : op === 1 ? { ...json, weightsManifest: mutateJson(r, json.weightsManifest) } : { ...json, modelTopology: mutateJson(r, json.modelTopology) }));
  else if (op === 3) { const s = pick(r, shards); out[s] = folder[s].subarray(0, int(r, folder[s].length)); }
  else if (op === 4) { const s = pick(r, shards); const b = new Uint8Array(folder[s]); for (let i = 0; i < 1 + int(r, 8); i++) b[int(r, b.length)] = int(r, 256); out[s] = b; }
  else { const b = new Uint8Array(folder['model.json']); for (let i = 0; i < 1 + int(r, 4); i++) b[int(r, b.length)] = int(r, 256); out['model.json'] = b; }
  return out;
}
