/**
 * A large Hugging Face style sharded model, opened as `elsa inspect` and the extension's store open it
 * (docs/benchmarks.md "Large sharded models"). Writes `--shards` shards of 4 F32 [8192, 4096] tensors (512 MiB
 * each; every fourth tensor 2:4-sparse) into a temp folder, measures, and deletes them:
 *   npm run build && node --import tsx bench/shardedModel.ts [--shards 4]
 * Peak RSS of each measured process comes from `/usr/bin/time -v`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { summarizeStore } from '../src/core/inspectStore';
import { fileShardOpener } from '../src/core/io/tfjsModel';
import { openShardedSafetensorsStore } from '../src/core/tensorStore';
import { createRng } from '../src/core/random';

const ROWS = 8192;
const COLS = 4096;
const PER_SHARD = 4;

function writeShards(dir: string, shards: number): string {
  const rng = createRng(0);
  const weightMap: Record<string, string> = {};
  const rows = new Float32Array(256 * COLS); // written 4 MiB at a time
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = {};
    for (let t = 0; t < PER_SHARD; t++) {
      const name = `layers.${s * PER_SHARD + t}.weight`;
      header[name] = { dtype: 'F32', shape: [ROWS, COLS], data_offsets: [t * ROWS * COLS * 4, (t + 1) * ROWS * COLS * 4] };
      weightMap[name] = file;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const fd = openSync(path.join(dir, file), 'w');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(json));
    for (let t = 0; t < PER_SHARD; t++) {
      for (let r = 0; r < ROWS; r += 256) {
        for (let i = 0; i < rows.length; i++) rows[i] = t === PER_SHARD - 1 && (i % 4 === 1 || i % 4 === 2) ? 0 : rng.normal();
        writeSync(fd, new Uint8Array(rows.buffer));
      }
    }
    closeSync(fd);
  }
  const index = path.join(dir, 'model.safetensors.index.json');
  writeFileSync(index, JSON.stringify({ metadata: { total_size: shards * PER_SHARD * ROWS * COLS * 4 }, weight_map: weightMap }));
  return index;
}

/** Runs `args` under /usr/bin/time -v: wall seconds and peak RSS in MiB. */
function timed(args: string[]): { wall: number; rssMiB: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { wall, rssMiB: rss ? Number(rss[1]) / 1024 : NaN, stdout: r.stdout };
}

async function storeSummary(index: string): Promise<void> {
  const t0 = performance.now();
  const store = await openShardedSafetensorsStore(readFileSync(index, 'utf8'), path.basename(index), statSync(index).size, fileShardOpener(index));
  const t1 = performance.now();
  const summary = await summarizeStore(store, { uri: `file://${index}`, fileName: path.basename(index) });
  const t2 = performance.now();
  await store.close();
  const measured = summary.layers.filter((l) => l.levelSparsity.length > 0);
  console.log(JSON.stringify({ openMs: Math.round(t1 - t0), summaryMs: Math.round(t2 - t1), layers: summary.layers.length, measured: measured.length, nm: measured.map((l) => l.nm?.holds ?? '-') }));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--store') return storeSummary(argv[1]);
  const shards = Number(argv[argv.indexOf('--shards') + 1] ?? 4) || 4;
  const dir = mkdtempSync(path.join(tmpdir(), 'elsa-sharded-bench-'));
  try {
    const t0 = performance.now();
    const index = writeShards(dir, shards);
    console.log(`wrote ${shards} shards (${(shards * PER_SHARD * ROWS * COLS * 4) / 2 ** 30} GiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s to ${dir}`);
    const cli = path.resolve(__dirname, '..', 'dist', 'cli.js');
    const inspect = timed([process.execPath, cli, 'inspect', index]);
    console.log(`elsa inspect: ${inspect.wall.toFixed(1)} s, peak RSS ${inspect.rssMiB.toFixed(0)} MiB`);
    const store = timed([process.execPath, '--import', 'tsx', __filename, '--store', index]);
    console.log(`store: ${store.stdout.trim()}, process ${store.wall.toFixed(1)} s, peak RSS ${store.rssMiB.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
