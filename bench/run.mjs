// `npm run bench`: training throughput of our engine (through the project's training code) against
// PyTorch CPU on the same models and data, one 60k-sample epoch, level extraction and checkpoint I/O,
// and dense-vs-sparse inference. Prints a markdown table and writes it into docs/benchmarks.md.
// `node bench/run.mjs --models=resnet[,cnn,mlp]` times only those models and prints without writing.
//
// Machines here give about one core of compute, and other jobs may run beside the benchmark: every
// engine runs in its own short process, and the engines take turns round by round, so a burst of load
// hits all of them alike. Figures are medians over rounds; ratios are medians of per-round ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STEPS = { cnn: 60, resnet: 40, mlp: 300 };
const ALL_MODELS = ['cnn', 'resnet', 'mlp'];
// `--models resnet` (comma-separated) times only those models and prints without rewriting docs/benchmarks.md
const modelsArg = process.argv.find((a) => a.startsWith('--models='))?.slice('--models='.length);
const MODELS = modelsArg ? modelsArg.split(',').filter((m) => ALL_MODELS.includes(m)) : ALL_MODELS;
const partial = MODELS.length !== ALL_MODELS.length;
const DATA = '/usr/share/datasets/fashion-mnist';
const OPENBLAS_LIB = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';
const REFERENCE_LIB = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';
const skipEpoch = process.argv.includes('--no-epoch') || Boolean(modelsArg);

const log = (line) => process.stderr.write(`${line}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function runJson(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`${cmd} ${args.join(' ')} printed no result`);
  return JSON.parse(line);
}

async function buildBenchBundle() {
  // the optional native kernels, exactly as an install would build them (a no-op without gcc/OpenBLAS)
  spawnSync(process.execPath, [path.join(root, 'src/core/engine/native/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  await esbuild.build({
    entryPoints: { 'bench-engine': path.join(root, 'bench/engineBench.ts') },
    outdir: path.join(root, 'dist'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  });
  if (!existsSync(path.join(root, 'dist/tfjs-backend-wasm-simd.wasm'))) throw new Error('dist/ lacks the wasm binaries: run `npm run build` first');
}

/** A python3 that imports torch (pyenv shims may hide the Debian one). */
function findTorchPython() {
  for (const py of [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/**
 * Both sides run the same OpenBLAS kernel set: ours pins one (src/core/engine/blasCore.ts), and PyTorch's
 * OpenBLAS would otherwise choose by CPU — the ratio would then compare kernel sets as well as engines.
 */
function engines(python, coretype) {
  const ours = [
    { id: 'native', label: 'ours: tfjs wasm SIMD + native OpenBLAS kernels', env: {} },
    { id: 'wasm', label: 'ours: tfjs wasm SIMD, wasm kernels only', env: { ELSA_NATIVE: '0' } },
  ].map((e) => ({ ...e, kind: 'ours' }));
  const torch = [];
  if (python) {
    const threads = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}) };
    if (existsSync(OPENBLAS_LIB)) torch.push({ id: 'torch-openblas', env: { ...threads, LD_PRELOAD: OPENBLAS_LIB } });
    if (existsSync(REFERENCE_LIB)) torch.push({ id: 'torch-reference', env: { ...threads, LD_PRELOAD: REFERENCE_LIB } });
    if (torch.length === 0) torch.push({ id: 'torch', env: threads });
  }
  return [...ours, ...torch.map((e) => ({ ...e, kind: 'torch', python }))];
}

function measure(engine, task, model) {
  if (engine.kind === 'ours') {
    const args = task === 'epoch' ? ['epoch', model] : ['train', model, '1', String(STEPS[model])];
    return runJson(process.execPath, [path.join(root, 'dist/bench-engine.js'), ...args], engine.env);
  }
  const args = [path.join(root, 'bench/torch_reference.py'), '--data', DATA, '--model', model, '--threads', '1'];
  args.push(...(task === 'epoch' ? ['--repeats', '1', '--steps', '20', '--epoch'] : ['--repeats', '1', '--steps', String(STEPS[model])]));
  return runJson(engine.python, args, engine.env);
}

function labelOf(engine, sample) {
  if (engine.kind === 'ours') return engine.label;
  return `PyTorch ${sample.torch} CPU, ${sample.blas}${sample.blasCore ? ` (${sample.blasCore} kernels)` : ''}, 1 thread`;
}

async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  log(`bench: ${cpu}, ${os.cpus().length} cpus, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await buildBenchBundle();
  const python = findTorchPython();
  if (!python) log('bench: python3 with torch not found: PyTorch reference skipped, our figures only');
  const ourEngine = runJson(process.execPath, [path.join(root, 'dist/bench-engine.js'), 'engine']);
  const list = engines(python, ourEngine.openblasCoretype ?? undefined);
  const torchVersion = python ? execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim() : undefined;

  const throughput = {};
  for (const model of MODELS) {
    throughput[model] = Object.fromEntries(list.map((e) => [e.id, { engine: e, rates: [], sample: undefined }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const e of list) {
        const r = measure(e, 'train', model);
        const slot = throughput[model][e.id];
        slot.rates.push(...r.samplesPerSecond);
        slot.sample = r;
        log(`bench: ${model} round ${round + 1}/${ROUNDS} ${e.id}: ${fmt(r.samplesPerSecond[0])} samples/s`);
      }
    }
  }
  const epochs = {};
  if (!skipEpoch) {
    for (const e of list) {
      epochs[e.id] = measure(e, 'epoch', 'cnn');
      log(`bench: cnn epoch ${e.id}: ${fmt(epochs[e.id].seconds ?? epochs[e.id].epochSeconds, 1)} s`);
    }
  }
  const io = partial ? undefined : runJson(process.execPath, [path.join(root, 'dist/bench-engine.js'), 'io']);
  const sparse = partial ? undefined : runJson(process.execPath, [path.join(root, 'dist/bench-engine.js'), 'sparse']);
  const loadAfter = os.loadavg();

  // ---- report ----
  const anchorIds = { openblas: list.find((e) => e.id === 'torch-openblas' || e.id === 'torch')?.id, reference: list.find((e) => e.id === 'torch-reference')?.id };
  const ratioTo = (model, id, anchorId) => {
    if (!anchorId) return undefined;
    const a = throughput[model][anchorId].rates;
    const o = throughput[model][id].rates;
    return median(o.map((v, i) => v / a[i]));
  };
  const lines = [];
  lines.push(`Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu} (${os.cpus().length} vCPUs), Node ${process.version}` +
    (torchVersion ? `, PyTorch ${torchVersion} (${python})` : ', PyTorch not found') +
    `. 1-minute load average before/after: ${loadBefore[0].toFixed(2)} / ${loadAfter[0].toFixed(2)}.`);
  lines.push(`Command: \`npm run bench\` (= \`npm run build && node bench/run.mjs\`). ${ROUNDS} rounds; each round runs every engine once, ` +
    `in turn, in a fresh process (warm-up, then ${STEPS.cnn} CNN / ${STEPS.resnet} residual CNN / ${STEPS.mlp} MLP steps of batch 64, float32, forward+backward+SGD-momentum update). ` +
    'Figures are medians over rounds; ratios are medians of the per-round ratios.');
  const torchCore = list.map((e) => throughput[MODELS[0]]?.[e.id]?.sample?.blasCore).find(Boolean);
  lines.push(`Engines: ours \`${ourEngine.engine}\`` + (python ? `; PyTorch's OpenBLAS given OPENBLAS_CORETYPE=${ourEngine.openblasCoretype ?? '(unset)'}, and it ran the ${torchCore ?? 'unknown'} kernels.` : '.'));
  const dataset = throughput[MODELS[0]]?.native.sample?.dataset ?? 'unknown';
  lines.push(`Data: ${dataset}.`, '');
  const titles = {
    cnn: 'Small CNN (conv3×3 1→16 + ReLU + maxpool2 → conv3×3 16→32 + ReLU + maxpool2 → dense 1568→128 ReLU → dense 10)',
    resnet: 'Residual CNN with batch norm (stem conv3×3 16 + BN + ReLU → residual blocks 16/s2, 32/s2, 32 of two conv3×3+BN, 1×1 conv+BN projections → global average pool → dense 10; BN in training mode)',
    mlp: 'MLP 784-300-100-10 (ReLU)',
  };
  for (const model of MODELS) {
    const title = titles[model];
    lines.push(`**${title}**`, '', '| engine | samples/s (median) | rounds | vs PyTorch+OpenBLAS | vs PyTorch+reference BLAS |', '|---|---:|---|---:|---:|');
    for (const e of list) {
      const slot = throughput[model][e.id];
      const r1 = ratioTo(model, e.id, anchorIds.openblas);
      const r2 = ratioTo(model, e.id, anchorIds.reference);
      lines.push(`| ${labelOf(e, slot.sample)} | ${fmt(median(slot.rates))} | ${slot.rates.map((v) => fmt(v)).join(', ')} | ${r1 === undefined ? '–' : fmt(r1, 2)} | ${r2 === undefined ? '–' : fmt(r2, 2)} |`);
    }
    lines.push('');
  }
  if (!skipEpoch) {
    lines.push('**One epoch of the small CNN** (60,000 Fashion-MNIST training images, batch 64, single run)', '', '| engine | seconds | samples/s | mean loss |', '|---|---:|---:|---:|');
    for (const e of list) {
      const r = epochs[e.id];
      const seconds = r.seconds ?? r.epochSeconds;
      const samples = r.samples ?? r.epochSamples;
      lines.push(`| ${labelOf(e, throughput.cnn[e.id].sample)} | ${fmt(seconds, 1)} | ${fmt(samples / seconds)} | ${fmt(r.meanLoss ?? r.epochMeanLoss, 3)} |`);
    }
    lines.push('');
  }
  if (partial) {
    console.log(lines.join('\n'));
    return;
  }
  lines.push('**Host-side throughput** (JavaScript, one core)', '', '| operation | throughput |', '|---|---:|');
  lines.push(`| level extraction \`W ⊙ [code ≤ k]\` (extractLevelWeights), ${fmt(io.weights / 2 ** 20)} Mi weights | ${fmt(io.extractGBps, 2)} GB/s of float32 weights |`);
  lines.push(`| plain copy of the same weights (\`Float32Array.slice\`) | ${fmt(io.copyGBps, 2)} GB/s |`);
  lines.push(`| checkpoint save (writeSafetensors, atomic, ${fmt(io.checkpointMB)} MB) | ${fmt(io.saveMBps)} MB/s |`);
  lines.push(`| checkpoint load (readSafetensorsHeader + readTensor) | ${fmt(io.loadMBps)} MB/s |`, '');
  lines.push(`**Dense vs sparse inference of one extracted layer** (y = x·W; dense = the engine's matMul, ${sparse.engine.includes('native OpenBLAS') ? 'OpenBLAS via the native kernels' : 'tfjs wasm'}; CSR = plain JavaScript, skips zero inputs)`, '',
    '| layer | batch | sparsity | dense (engine) ms | dense (JS loop) ms | CSR ms | CSR vs engine |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const r of sparse.rows) lines.push(`| ${r.layer} | ${r.batch} | ${fmt(r.sparsity * 100)}% | ${fmt(r.denseMs, 3)} | ${fmt(r.denseJsMs, 3)} | ${fmt(r.csrMs, 3)} | ${fmt(r.speedup, 2)}× |`);
  const table = lines.join('\n');
  console.log(table);

  const doc = path.join(root, 'docs/benchmarks.md');
  const begin = '<!-- bench:begin (written by bench/run.mjs) -->';
  const end = '<!-- bench:end -->';
  const block = `${begin}\n${table}\n${end}`;
  const old = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n\n';
  const next = old.includes(begin) && old.includes(end)
    ? old.slice(0, old.indexOf(begin)) + block + old.slice(old.indexOf(end) + end.length)
    : `${old.trimEnd()}\n\n## Latest run\n\n${block}\n`;
  writeFileSync(doc, next);
  log(`bench: results written to ${path.relative(root, doc)}`);
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
