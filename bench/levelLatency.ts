/**
 * Batch-1 latency per level, dense engine kernels vs the sparse CSR path, for the MLP and the small CNN trained
 * on the embedded data — measured by the product itself: `elsa predict --json` (src/core/predict.ts) in fresh
 * processes of the built CLI, so the numbers are the ones the sample view shows. Prints a markdown table and
 * writes it into docs/benchmarks.md between its own markers.
 *
 *   npm run build && node --import tsx bench/levelLatency.ts [--runs 200] [--rounds 3] [--checkpoint a.elsa.safetensors …] [--no-write]
 *
 * Without --checkpoint it trains the MLP and the CNN (levels 95/90/75/50 %, one epoch per phase, the 6,000
 * embedded training images) into a temp folder first; accuracy does not matter here, the level masks do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSampleResult, type LatencyStats, type SampleResult } from '../src/protocol/sample';
import { percentile } from '../src/core/predict';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 200);
const ROUNDS = Number(arg('rounds') ?? 3);
const SAMPLES = '0,1,2,3,4,5,6,7,8,9';
const log = (line: string) => process.stderr.write(`${line}\n`);

function elsa(args: string[], cwd: string): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`elsa ${args.join(' ')} failed: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
  return r.stdout;
}

function trainFixtures(dir: string): string[] {
  return ['mlp', 'cnn'].map((model) => {
    const config = {
      name: model, model: { type: model }, data: { name: 'fashion-mnist-small' }, levels: [0.95, 0.9, 0.75, 0.5],
      sparsifier: { type: 'gmp', scope: 'global' }, optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, weightDecay: 0.0001 },
      epochs: { warmup: 1, perPhase: 1, dense: 1 }, batchSize: 64, seed: 1, outDir: `runs/${model}`,
    };
    writeFileSync(path.join(dir, `${model}.elsa.json`), JSON.stringify(config));
    log(`latency: training the ${model} (5 epochs on the embedded data)…`);
    elsa(['train', `${model}.elsa.json`], dir);
    return path.join(dir, 'runs', model, `${model}.elsa.safetensors`);
  });
}

interface Row {
  model: string;
  level: number;
  isDense: boolean;
  sparsity: number;
  /** One LatencyStats per round (fresh process). */
  dense: LatencyStats[];
  sparse: LatencyStats[];
  agree: number;
}

function main(): void {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const given = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--checkpoint' ? [path.resolve(a)] : []));
  const tmp = given.length ? undefined : mkdtempSync(path.join(os.tmpdir(), 'elsa-latency-'));
  try {
    const checkpoints = given.length ? given : trainFixtures(tmp!);
    const loadBefore = os.loadavg()[0];
    const rows: Row[] = [];
    let engine = '';
    const layerNotes: string[] = [];
    for (const ckpt of checkpoints) {
      const model = path.basename(ckpt).replace(/\.elsa\.safetensors$/, '');
      const byLevel = new Map<number, Row>();
      for (let round = 0; round < ROUNDS; round++) {
        const out = elsa(['predict', ckpt, '--sample', SAMPLES, '--runs', String(RUNS), '--warmup', '20', '--json'], path.dirname(ckpt));
        const r: unknown = JSON.parse(out);
        if (!isSampleResult(r)) throw new Error('elsa predict printed no elsa-predict/1 result');
        engine = (r as SampleResult).engine;
        for (const l of r.levels) {
          if (!l.sparseLatency) throw new Error(`${model} level ${l.level}: sparse path skipped (${l.sparseSkipped ?? ''})`);
          const row = byLevel.get(l.level) ?? { model, level: l.level, isDense: l.isDense, sparsity: l.sparsity, dense: [], sparse: [], agree: 0 };
          row.dense.push(l.denseLatency);
          row.sparse.push(l.sparseLatency);
          row.agree = Math.max(row.agree, l.maxLogitDiff ?? 0);
          byLevel.set(l.level, row);
        }
        log(`latency: ${model} round ${round + 1}/${ROUNDS} done`);
      }
      rows.push(...byLevel.values());
      // Where the zeros are decides what CSR can skip: the per-layer sparsity of the sparsest level.
      const header = readFileSync(ckpt);
      const meta = JSON.parse(String(Object.values(JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString()).__metadata__ ?? {})[0] ?? '{}')) as { levels?: { index: number; layerSparsity?: Record<string, number> }[] };
      const first = meta.levels?.find((l) => l.index === 1)?.layerSparsity ?? {};
      layerNotes.push(`${model} level 1 per layer: ${Object.entries(first).map(([k, v]) => `${k.replace('/kernel', '')} ${(v * 100).toFixed(1)} %`).join(', ')}`);
    }
    const loadAfter = os.loadavg()[0];
    const f = (x: number) => x.toFixed(3);
    const med = (xs: number[]) => percentile(xs, 0.5);
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} vCPUs, shared with other jobs), Node ${process.version}, engine ${engine}; 1-minute load average before/after ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}.`,
      `Command: \`npm run build && node --import tsx bench/levelLatency.ts\` — ${ROUNDS} fresh \`elsa predict --sample ${SAMPLES} --runs ${RUNS} --warmup 20 --json\` processes per model; each times ${RUNS} batch-1 runs per path and level, alternating dense and sparse run by run, cycling through the 10 test images. Median = median of the ${ROUNDS} rounds' medians; p10 / p90 = the rounds' median p10 / p90.`,
      '',
      '| model | level | sparsity | dense kernels ms: median (p10–p90) | CSR ms: median (p10–p90) | round medians dense / CSR | engine picks | CSR speed-up | max logit diff |',
      '|---|---|---:|---:|---:|---|---|---:|---:|',
    ];
    for (const r of rows) {
      const cell = (xs: LatencyStats[]) => `${f(med(xs.map((x) => x.medianMs)))} (${f(med(xs.map((x) => x.p10Ms)))}–${f(med(xs.map((x) => x.p90Ms)))})`;
      const d = med(r.dense.map((x) => x.medianMs));
      const s = med(r.sparse.map((x) => x.medianMs));
      const rounds = `${r.dense.map((x) => f(x.medianMs)).join(', ')} / ${r.sparse.map((x) => f(x.medianMs)).join(', ')}`;
      lines.push(`| ${r.model} | ${r.isDense ? `${r.level} (dense)` : r.level} | ${(r.sparsity * 100).toFixed(1)} % | ${cell(r.dense)} | ${cell(r.sparse)} | ${rounds} | ${s < d ? '**CSR**' : 'dense'} | ${(d / s).toFixed(2)}× | ${r.agree.toExponential(1)} |`);
    }
    lines.push('', `Sparsity by layer (the checkpoints' \`layerSparsity\`): ${layerNotes.join('; ')}.`);
    const table = lines.join('\n');
    console.log(table);
    if (process.argv.includes('--no-write')) return;
    const doc = path.join(root, 'docs/benchmarks.md');
    const begin = '<!-- latency:begin (written by bench/levelLatency.ts) -->';
    const end = '<!-- latency:end -->';
    const old = readFileSync(doc, 'utf8');
    if (!old.includes(begin) || !old.includes(end)) throw new Error(`docs/benchmarks.md has no ${begin} … ${end} block to write into`);
    writeFileSync(doc, old.slice(0, old.indexOf(begin)) + `${begin}\n${table}\n${end}` + old.slice(old.indexOf(end) + end.length));
    log('latency: written to docs/benchmarks.md');
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main();
