/**
 * kill -9 at N seeded random moments of a training run, resuming after each, then compares the finished
 * checkpoint's tensors byte for byte with an uninterrupted run of the same config (docs/reliability.md).
 *   node --import tsx test/fuzz/killLoop.ts [kills=10] [seed=1]     (needs `npm run build`)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSafetensorsHeader, readTensorBytes } from '../../src/core/io/safetensors';
import { rng } from './mutate';

const cli = path.join(import.meta.dirname, '../../dist/cli.js');
const config = (name: string) => ({
  name, model: { type: 'cnn' }, data: { name: 'fashion-mnist-small', limitTrain: 640, limitTest: 100 },
  levels: [0.9, 0.5], epochs: { warmup: 2, perPhase: 2, dense: 1 }, seed: 2, backend: 'wasm',
});

async function tensors(file: string): Promise<Map<string, Buffer>> {
  const h = await readSafetensorsHeader(file);
  const out = new Map<string, Buffer>();
  for (const name of Object.keys(h.tensors)) out.set(name, Buffer.from(await readTensorBytes(file, h, name)));
  return out;
}

async function main(): Promise<void> {
  const kills = Number(process.argv[2] ?? 10);
  const r = rng(Number(process.argv[3] ?? 1));
  const dir = mkdtempSync(path.join(tmpdir(), 'elsa-kill-'));
  for (const name of ['ref', 'killed']) writeFileSync(path.join(dir, `${name}.elsa.json`), JSON.stringify(config(name)));
  const ref = spawnSync(process.execPath, [cli, 'train', 'ref.elsa.json'], { cwd: dir, encoding: 'utf8' });
  if (ref.status !== 0) throw new Error(`reference run failed: ${ref.stderr}`);
  const started = Date.now();
  let killed = 0;
  let finished = false;
  const points: string[] = [];
  while (!finished) {
    const child = spawn(process.execPath, [cli, 'train', 'killed.elsa.json'], { cwd: dir, stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    if (killed < kills) {
      const delay = 300 + Math.floor(r() * 4000);
      const outcome = await Promise.race([exit, new Promise<'timer'>((resolve) => setTimeout(() => resolve('timer'), delay))]);
      if (outcome === 'timer') {
        child.kill('SIGKILL');
        await exit;
        killed++;
        const events = path.join(dir, 'runs', 'killed', 'events.jsonl');
        const lines = existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n').length : 0;
        points.push(`${delay} ms (${lines} events)`);
        continue;
      }
      finished = outcome === 0;
      if (!finished) throw new Error(`run exited with ${String(outcome)}`);
    } else {
      const code = await exit;
      if (code !== 0) throw new Error(`final run exited with ${String(code)}`);
      finished = true;
    }
  }
  const a = await tensors(path.join(dir, 'runs', 'ref', 'ref.elsa.safetensors'));
  const b = await tensors(path.join(dir, 'runs', 'killed', 'killed.elsa.safetensors'));
  const differing = [...a.keys()].filter((k) => !b.has(k) || !a.get(k)!.equals(b.get(k)!));
  console.log(JSON.stringify({ kills: killed, points, tensors: a.size, identical: differing.length === 0 && a.size === b.size, differing, seconds: (Date.now() - started) / 1000, dir }, null, 2));
  process.exit(differing.length === 0 && a.size === b.size ? 0 : 1);
}

void main();
