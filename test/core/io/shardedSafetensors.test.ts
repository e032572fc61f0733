/**
 * Hugging Face sharded models (`model.safetensors.index.json` + shards) open as one model: `elsa inspect`, the
 * extension's store and the CLI give the numbers the same tensors give in one file; a broken index is one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspectFile } from '../../../src/core/io/inspect';
import { formatInspectReport, reportJson } from '../../../src/core/io/inspectFormat';
import { MAX_SHARDS } from '../../../src/core/io/limits';
import { type HostTensor, writeSafetensors } from '../../../src/core/io/safetensors';
import { openShardedSafetensorsFile, parseShardIndex } from '../../../src/core/io/shardedSafetensors';
import { fileShardOpener } from '../../../src/core/io/tfjsModel';
import { summarizeStore } from '../../../src/core/inspectStore';
import { openShardedSafetensorsStore } from '../../../src/core/tensorStore';
import { expectCheckpointError, randomTensor, seededRandom, tempDir } from './ioTestUtil';

const tmp = tempDir('elsa-sharded-');
after(tmp.cleanup);
const INDEX = 'model.safetensors.index.json';

/** Zeroes two of every four consecutive values (2:4 along the last axis). */
function twoFourLast(t: HostTensor): HostTensor {
  const d = Float32Array.from(t.data as Float32Array);
  for (let g = 0; g < d.length; g += 4) { d[g + (g / 4) % 4] = 0; d[g + ((g / 4 + 1) % 4)] = 0; }
  return { ...t, data: d };
}

function model(): Record<string, HostTensor> {
  const rand = seededRandom(10);
  const sparse = twoFourLast(randomTensor(rand, 'F32', [8, 16]));
  // TF.js layout [in, out]: 2:4 along the first axis (groups of 4 rows of one column).
  const tf = randomTensor(rand, 'F32', [16, 6]);
  const tfd = tf.data as Float32Array;
  for (let r = 0; r < 16; r += 4) for (let c = 0; c < 6; c++) { tfd[(r + (c % 4)) * 6 + c] = 0; tfd[(r + ((c + 2) % 4)) * 6 + c] = 0; }
  return {
    'a.weight': randomTensor(rand, 'F32', [8, 16]),
    'b.weight': randomTensor(rand, 'F16', [16, 8]),
    'c.weight': randomTensor(rand, 'BF16', [4, 32]),
    'sparse.weight': sparse,
    'tf.kernel': tf,
    bias: randomTensor(rand, 'F32', [8]),
  };
}

const SHARDS: Record<string, string[]> = {
  'model-00001-of-00003.safetensors': ['a.weight', 'b.weight'],
  'model-00002-of-00003.safetensors': ['c.weight', 'sparse.weight'],
  'model-00003-of-00003.safetensors': ['tf.kernel', 'bias'],
};

async function writeModel(dir: string, weightMap?: Record<string, string>): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const all = model();
  const map: Record<string, string> = {};
  for (const [shard, names] of Object.entries(SHARDS)) {
    await writeSafetensors(path.join(dir, shard), Object.fromEntries(names.map((n) => [n, all[n]])));
    for (const n of names) map[n] = shard;
  }
  const index = path.join(dir, INDEX);
  writeFileSync(index, JSON.stringify({ metadata: { total_size: 1234 }, weight_map: weightMap ?? map }));
  return index;
}

describe('sharded safetensors models', () => {
  let index = '';
  let single = '';
  before(async () => {
    index = await writeModel(path.join(tmp.dir, 'good'));
    single = tmp.file('single.safetensors');
    await writeSafetensors(single, model());
  });

  it('inspects as one model: every tensor with its shard, the single-file numbers', async () => {
    const sharded = await inspectFile(index);
    const one = await inspectFile(single);
    assert.equal(sharded.kind, 'safetensors-sharded');
    assert.equal(sharded.tensorCount, 6);
    assert.equal(sharded.totalParams, one.totalParams);
    assert.equal(sharded.metadata.shards, '3');
    assert.equal(sharded.metadata.total_size, '1234');
    for (const t of sharded.tensors) {
      const ref = one.tensors.find((x) => x.name === t.name)!;
      assert.equal(t.shard, Object.entries(SHARDS).find(([, ns]) => ns.includes(t.name))![0], t.name);
      assert.deepEqual({ ...t, shard: undefined }, { ...ref, shard: undefined }, t.name);
    }
    const sp = sharded.tensors.find((t) => t.name === 'sparse.weight')!.stats!.nm!;
    assert.equal(sp.holds, '2:4');
    assert.equal(sp.patterns.find((p) => p.pattern === '2:4')!.axis, 'last');
    const tf = sharded.tensors.find((t) => t.name === 'tf.kernel')!.stats!.nm!;
    assert.equal(tf.holds, '2:4');
    assert.equal(tf.patterns.find((p) => p.pattern === '2:4')!.axis, 'first');
    assert.equal(sharded.tensors.find((t) => t.name === 'a.weight')!.stats!.nm!.holds, undefined);
    const text = formatInspectReport(sharded);
    assert.match(text, /sharded safetensors model/);
    assert.match(text, /sparse\.weight .*2:4→ all +model-00002-of-00003\.safetensors/);
    assert.match(text, /tf\.kernel .*2:4↓ all +model-00003-of-00003\.safetensors/);
  });

  it('a model folder opens through its one index; no index or several is one line', async () => {
    assert.deepEqual(await inspectFile(path.dirname(index)), await inspectFile(index));
    const empty = path.join(tmp.dir, 'empty');
    mkdirSync(empty);
    assert.match(await expectCheckpointError(inspectFile(empty), 'empty'), /a folder without a \*\.safetensors\.index\.json/);
    const two = path.join(tmp.dir, 'two');
    await writeModel(two);
    writeFileSync(path.join(two, 'other.safetensors.index.json'), '{}');
    assert.match(await expectCheckpointError(inspectFile(two), 'two'), /a folder with 2 sharded-model indexes \(model\.safetensors\.index\.json, other\.safetensors\.index\.json\)/);
  });

  it("the extension's store reads the same tensors and shows the same zero shares and N:M", async () => {
    const text = JSON.stringify(JSON.parse((await import('node:fs')).readFileSync(index, 'utf8')));
    const store = await openShardedSafetensorsStore(text, INDEX, text.length, fileShardOpener(index));
    try {
      const report = await inspectFile(index);
      assert.deepEqual(store.layers.map((l) => l.name), report.tensors.map((t) => t.name));
      const all = model();
      for (const l of store.layers) assert.deepEqual(Array.from(await store.readValues(l.name)), Array.from(all[l.name].data as Float32Array), l.name);
      // The summary streams (bounded chunks); it never asks for a whole tensor.
      const readValues = store.readValues;
      store.readValues = () => Promise.reject(new Error('the summary read a whole tensor'));
      const summary = await summarizeStore(store, { uri: 'file:///x', fileName: INDEX });
      store.readValues = readValues;
      assert.equal(summary.layers.length, 6);
      assert.ok(summary.layers.every((l) => l.levelSparsity.length === 1 && !l.sampled));
      for (const l of summary.layers) {
        const t = report.tensors.find((x) => x.name === l.name)!;
        assert.deepEqual(l.levelSparsity, [t.stats!.zeroShare], l.name);
        assert.equal(l.nm?.holds, t.stats!.nm?.holds, l.name);
        assert.deepEqual(l.nm?.patterns.map((p) => [p.pattern, p.axis, p.share]), t.stats!.nm?.patterns.map((p) => [p.pattern, p.axis, p.share]), l.name);
      }
    } finally {
      await store.close();
    }
  });

  it('the CLI prints the same report (--json)', () => {
    const root = path.resolve(__dirname, '../../..');
    const built = spawnSync(process.execPath, ['esbuild.config.mjs', 'cli'], { cwd: root, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'inspect', index, '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return inspectFile(index).then((report) => assert.deepEqual(JSON.parse(r.stdout), JSON.parse(reportJson(report))));
  });

  it('a broken index or shard is one typed line naming the index', async () => {
    const good = Object.fromEntries(Object.entries(SHARDS).flatMap(([s, ns]) => ns.map((n) => [n, s])));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing', { ...good, 'x.weight': 'model-00009-of-00009.safetensors' }, /shard "model-00009-of-00009\.safetensors": cannot open \(ENOENT\)/],
      ['notinshard', { ...good, 'x.weight': 'model-00001-of-00003.safetensors' }, /puts tensor "x\.weight" in "model-00001-of-00003\.safetensors", which has no such tensor/],
      ['escape', { ...good, 'x.weight': '../x.safetensors' }, /names "\.\.\/x\.safetensors", not a file beside the index/],
      ['absolute', { ...good, 'x.weight': '/etc/passwd' }, /not a file beside the index/],
      ['notstring', { ...good, 'x.weight': 3 }, /is number, expected a shard file name/],
    ];
    for (const [name, map, re] of cases) {
      const idx = await writeModel(path.join(tmp.dir, name), map as Record<string, string>);
      assert.match(await expectCheckpointError(inspectFile(idx), INDEX), re, name);
    }
    const dir = path.join(tmp.dir, 'odd');
    const idx = await writeModel(dir);
    // A shard that is a directory, or a link out of the folder.
    mkdirSync(path.join(dir, 'adir.safetensors'));
    writeFileSync(idx, JSON.stringify({ weight_map: { ...good, 'x.weight': 'adir.safetensors' } }));
    assert.match(await expectCheckpointError(inspectFile(idx), INDEX), /shard "adir\.safetensors": not a regular file \(a directory\)/);
    symlinkSync(single, path.join(dir, 'link.safetensors'));
    writeFileSync(idx, JSON.stringify({ weight_map: { ...good, 'x.weight': 'link.safetensors' } }));
    assert.match(await expectCheckpointError(inspectFile(idx), INDEX), /outside the model's folder/);
    for (const [text, re] of [['{"weight_map": []}', /weight_map is an array/], ['{"weight_map": {}}', /weight_map is empty/], ['not json', /not valid JSON/]] as const) {
      writeFileSync(idx, text);
      assert.match(await expectCheckpointError(inspectFile(idx), INDEX), re);
    }
    // Over the JSON cap: refused by size, before a byte is parsed (a sparse file: no disk used).
    writeFileSync(idx, '{');
    truncateSync(idx, 65 * 2 ** 20);
    assert.match(await expectCheckpointError(openShardedSafetensorsFile(idx), INDEX), /index is 68157440 bytes, over the 67108864-byte limit/);
    const many = Object.fromEntries(Array.from({ length: MAX_SHARDS + 1 }, (_, i) => [`t${i}`, `s${i}.safetensors`]));
    assert.match(await expectCheckpointError(() => parseShardIndex(JSON.stringify({ weight_map: many }), INDEX), INDEX), /more than 10000 shard files/);
  });

  it('a randomly damaged index is opened or refused in one typed line, never anything else', async () => {
    const dir = path.join(tmp.dir, 'fuzz');
    const idx = await writeModel(dir);
    const text = (await import('node:fs')).readFileSync(idx, 'utf8');
    const rand = seededRandom(99);
    const pieces = ['"', '/', '..', '\\u0000', '{', '}', '[', ']', ',', ':', 'null', '1e400', '"model-00001-of-00003.safetensors"', '"../a"', ''];
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const at = Math.floor(rand() * text.length);
      const cut = Math.floor(rand() * 8);
      writeFileSync(idx, text.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + text.slice(at + cut));
      try {
        await inspectFile(idx);
        ok++;
      } catch {
        await expectCheckpointError(inspectFile(idx), INDEX);
        refused++;
      }
    }
    assert.ok(ok > 0 && refused > 0, `${ok} opened, ${refused} refused`);
  });
});
