// Mutation cases for the method's tests: each mutant is a sabotage a broken trainer could ship (issue 8), plus
// the study runner's process guarantees (a stop reaches every cell process; one process per cell folder), and
// the engine's pinned BLAS kernels (same seed, same numbers on every machine). For
// every one, a scratch copy of the repo gets the patch and the named test files run; they must go red.
//
//   node scripts/mutants.mjs            all mutants
//   node scripts/mutants.mjs frozen     mutants whose name contains a word
//
// First runs the same tests unpatched (they must pass). Prints mutant -> killed / SURVIVED with the failing
// tests, and exits 1 if any survives, a run is red without a failing test, or a patch anchor is missing (the
// mutant would otherwise silently test nothing).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const T = (name) => `test/core/method/${name}.test.ts`;

/** name, why, [file, anchor, replacement] patches, the tests that must fail. */
const MUTANTS = [
  {
    name: 'empty-frozen-set',
    why: 'the trainer passes no frozen weights to the sparsifier',
    patches: [['src/core/method/levelBook.ts', 'frozen[i] = c[i] <= phase.index - 1 ? 1 : 0;', 'frozen[i] = 0;']],
    tests: [T('nesting')],
  },
  {
    name: 'gmp-as-one-shot',
    why: 'the trainer ignores the schedule and jumps to the target',
    patches: [['src/core/method/trainer.ts', ': sparsifier.sparsityAt(stepInPhase / stepsInPhase, 0, phase.target);', ': phase.target;']],
    tests: [T('nesting')],
  },
  {
    name: 'frozen-bn-not-repinned',
    why: '"smallParams": "frozen" stops re-pinning batch-norm statistics after each step',
    patches: [['src/core/method/trainer.ts', 'for (const f of frozenSmall) f.param.variable.assign(f.value);', '']],
    tests: [T('exactness')],
  },
  {
    name: 'resume-not-refrozen',
    why: 'a frozen-mode run resumed after phase 1 trains its small parameters again',
    patches: [['src/core/method/trainer.ts', "if (config.smallParams === 'frozen' && position.phase >= 2) freezeSmallParams();", '']],
    tests: [T('resume')],
  },
  {
    name: 'index-order-selection',
    why: 'one-shot and N:M select at the first step of a phase, when every free weight is +0 (ties by index)',
    patches: [
      ['src/core/method/trainer.ts', "if (phase.kind === 'sparse' && stepInPhase > 0) {", "if (phase.kind === 'sparse') {"],
      ['src/core/method/trainer.ts', 'const due = sparsifier.updateEvery === 1 ||', 'const due = stepInPhase === 0 || sparsifier.updateEvery === 1 ||'],
      ['src/core/method/sparsifiers/magnitude.ts', 'return progress < rampFraction ? start : target;', 'return target;'],
    ],
    tests: [T('selectionOrder'), T('nesting')],
  },
  {
    name: 'frozen-recoded',
    why: 'codes are reassigned to every active weight, frozen ones included',
    patches: [['src/core/method/levelBook.ts', 'if (a[i] && c[i] === denseLevel) c[i] = level;', 'if (a[i]) c[i] = level;']],
    tests: [T('nesting')],
  },
  {
    name: 'selection-ignores-magnitude',
    why: 'the global ranking keeps the first free weights instead of the largest',
    patches: [['src/core/method/sparsifiers/select.ts', 'mags[j] = Math.abs(t.values[i]);', 'mags[j] = 0;']],
    tests: [T('selection'), T('selectionOrder')],
  },
  {
    name: 'baseline-dense-level',
    why: 'an independent baseline gets a spurious dense level from a 0-epoch dense phase',
    patches: [['src/core/method/trainer.ts', ".filter((p) => !(options.kind === 'independent' && p.kind === 'dense'))", '']],
    tests: [T('baseline')],
  },
  {
    name: 'gmp-ignores-ramp-start',
    why: "GMP's ramp starts at the phase start whatever rampStart says (docs/experiments/level-gap.md)",
    patches: [['src/core/method/sparsifiers/gmp.ts', 'const t = Math.max(0, progress - rampStart) / (rampFraction - rampStart);', 'const t = Math.max(0, progress) / rampFraction;']],
    tests: [T('gmpRampStart')],
  },
  {
    name: 'study-stop-not-forwarded',
    why: '`elsa study --jobs` exits on Ctrl+C / SIGTERM but leaves its cell processes training',
    patches: [['src/cli/commands/studyJobs.ts', "signal.addEventListener('abort', stopAll, { once: true });", '']],
    tests: ['test/cli/study.test.ts'],
  },
  {
    name: 'study-cell-lock-ignored',
    why: 'two study processes may train the same cell folder at once',
    patches: [['src/cli/commands/study.ts', 'const release = acquireFolderLock(path.join(cell.dir, CELL_LOCK_FILE), `cell ${cell.name}`);', 'const release = () => {};']],
    tests: ['test/cli/study.test.ts'],
  },
  {
    name: 'lock-of-zombie-kept',
    why: 'the lock of an exited process that PID 1 has not reaped yet (a killed study\'s cells) refuses the restart',
    patches: [['src/core/io/folderLock.ts', '  if (zombie(pid)) return false;\n', '']],
    tests: ['test/core/io/folderLock.test.ts'],
  },
  {
    name: 'probe-layer-filter-ignored',
    why: 'the unfrozen-small / unfrozen-large probes of level-gap.ts unfreeze level 1 in every layer (docs/results.md#freezing-cost)',
    patches: [['scripts/experiments/level-gap.ts', 'if (mask && codes && where(name, codes.length)) {', 'if (mask && codes) {']],
    tests: ['test/scripts/levelGapProbes.test.ts'],
  },
  {
    name: 'cycles-probe-mask-not-fixed',
    why: "the restart probes of level-gap.ts (cycles-L3/L4/L5) leave the trainer's update mask as ELSA's: the dense one (cycles-L5) then trains nothing after phase 1",
    patches: [['scripts/experiments/level-gap.ts', 'return original.call(this, tensor, reopen ? mask.map((m, i) => m | one[i]) : one);', 'return original.call(this, tensor, reopen ? mask.map((m, i) => m | one[i]) : mask);']],
    tests: ['test/scripts/levelGapProbes.test.ts'],
  },
  {
    name: 'paired-test-gap-drops-options',
    why: 'paired-test.ts --gap ignores --merge / --cells / --levels without a word (the rows the user asked for are not the rows printed)',
    patches: [['scripts/experiments/paired-test.ts', "if (wrongMode.length) {", 'if (wrongMode.length && false) {']],
    tests: ['test/scripts/pairedTestArgs.test.ts'],
  },
  {
    name: 'paired-test-merge-read-late',
    why: 'paired-test.ts reads the --merge file only after evaluating every checkpoint: a damaged one is reported minutes late',
    patches: [['scripts/experiments/paired-test.ts', "const earlierRows = merge ? readPairedRows(merge) : [];", 'const earlierRows: PairedRow[] = [];'],
      ['scripts/experiments/paired-test.ts', "const earlier = earlierRows.filter(", 'const earlier = readPairedRows(merge).filter(']],
    tests: ['test/scripts/pairedTestArgs.test.ts'],
  },
  {
    name: 'level-gap-silent-progress',
    why: 'level-gap.ts prints nothing per epoch: a 30-minute probe is silent until its result line',
    patches: [['scripts/experiments/level-gap.ts', 'process.stderr.write(`  ${formatEpochLine(e, phaseProgressLabel(e.phase, undefined))}\\n`);', 'void formatEpochLine, phaseProgressLabel;']],
    tests: ['test/scripts/levelGapProbes.test.ts'],
  },
  {
    name: 'study-cell-outlives-parent',
    why: 'a cell process of `elsa study --jobs` keeps training after the study process was killed',
    patches: [['src/cli/supervisor.ts', 'const stopParentWatch = onParentGone(onSignal);', 'const stopParentWatch = () => {};']],
    tests: ['test/cli/study.test.ts'],
  },
  {
    name: 'study-cells-get-ctrl-c-twice',
    why: 'cell processes share the terminal\'s process group: Ctrl+C plus the forwarded SIGTERM cut their stop short',
    patches: [['src/cli/commands/studyJobs.ts', "detached: true, windowsHide", 'detached: false, windowsHide']],
    tests: ['test/cli/study.test.ts'],
  },
  {
    name: 'study-elsa-time-lost',
    why: "a cell's record is saved only when the cell ends: a hard kill in the baselines loses ELSA's wall time",
    patches: [['src/cli/commands/study.ts', '  await saveRecord(record, cell.dir);\n  if (elsa !== 0) return false;', '  if (elsa !== 0) {\n    await saveRecord(record, cell.dir);\n    return false;\n  }']],
    tests: ['test/cli/study.test.ts'],
  },
  {
    name: 'blas-core-pinned-in-worker',
    why: "the CLI pins OpenBLAS's kernels only inside its worker, whose process.env the C library never sees: a seed's numbers then depend on the CPU",
    patches: [['src/cli/supervisor.ts', '    pinBlasCore();\n', '']],
    tests: ['test/core/engine/blasCore.test.ts'],
  },
  {
    name: 'locally-connected-patch-order',
    why: "LocallyConnected2D flattens a patch as (channel, row, column) instead of Keras' (row, column, channel)",
    patches: [['src/core/models/locallyConnected.ts', 'tf.reshape(tf.oneHot(tf.range(0, patch, 1, \'int32\'), patch).toFloat(), [kh, kw, channels, patch])', 'tf.transpose(tf.reshape(tf.oneHot(tf.range(0, patch, 1, \'int32\'), patch).toFloat(), [channels, kh, kw, patch]), [1, 2, 0, 3])']],
    tests: ['test/core/models/locallyConnected.test.ts'],
  },
  {
    name: 'locally-connected-squeezed-init',
    why: 'the locally connected probe draws its kernels with Glorot over the [positions, patch, filters] shape (√positions too small)',
    patches: [['src/core/models/builders.ts', 'const kernelInitializer = tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: nextInitSeed(rng) });', 'const kernelInitializer = kernelInit(rng);']],
    tests: ['test/core/models/locallyConnected.test.ts'],
  },
  {
    name: 'locally-connected-one-hot-unbounded',
    why: 'the one-hot patch kernel is built for any patch length (patch² values: 3.6 GB for a 100×100×3 kernel)',
    patches: [['src/core/models/locallyConnected.ts', 'if (patch * patch <= ONE_HOT_PATCH_MAX_VALUES) {', 'if (true) {']],
    tests: ['test/core/models/locallyConnected.test.ts'],
  },
  {
    name: 'locally-connected-slice-padding',
    why: 'patches cut by slicing put the extra `same` padding row before the image, not after it as TF does',
    patches: [['src/core/models/locallyConnected.ts', 'const { out: rows, begin: top } = spatialPadding(h, kh, sh, 1, padding);', 'const { out: rows, end: top } = spatialPadding(h, kh, sh, 1, padding);']],
    tests: ['test/core/models/locallyConnected.test.ts'],
  },
  {
    name: 'onnx-locally-connected-tap-order',
    why: 'the ONNX export of LocallyConnected2D cuts its taps column-major, not in the kernel\'s (row, column, channel) order',
    patches: [['src/core/io/onnxLayers.ts', "const starts = g.int64Const(`${c.name}_tap_starts`, [dy, dx]);", "const starts = g.int64Const(`${c.name}_tap_starts`, [dx % kh, dy % kw]);"]],
    tests: ['test/core/io/onnxExport.test.ts'],
  },
  {
    name: 'onnx-locally-connected-bias-layout',
    why: 'the ONNX export adds Keras\' [rows, cols, filters] bias to an NCHW value without transposing it',
    patches: [['src/core/io/onnxLayers.ts', 'chw[f * positions + p] = bias[p * filters + f];', 'chw[p * filters + f] = bias[p * filters + f];']],
    tests: ['test/core/io/onnxExport.test.ts'],
  },
  {
    name: 'sparse-locally-connected-shared-rows',
    why: 'the sparse path runs every position of a LocallyConnected2D with position 0\'s kernel (as if it were a convolution)',
    patches: [['src/core/sparse/sparseLayers.ts', 'const r0 = p * positionRows + (ky * kw + kx) * cin;', 'const r0 = (ky * kw + kx) * cin;']],
    tests: ['test/core/sparse/sparseModel.test.ts'],
  },
  {
    name: 'config-dir-not-stored',
    why: 'checkpoints do not store where their config\'s folder is, so eval / predict work it back from outDir: one folder off for the demo\'s ../runs/… and for level-gap\'s seed folders',
    patches: [['src/core/method/trainer.ts', 'config: portableConfig(config, path.dirname(options.checkpointPath)),', 'config: portableConfig(config),']],
    tests: ['test/cli/cli.test.ts', 'test/scripts/levelGapProbes.test.ts'],
  },
  {
    name: 'regular-file-any-type',
    why: 'whole-file reads accept devices and FIFOs: `elsa study /dev/zero` or a dataset folder of /dev/zero symlinks reads without end',
    patches: [['src/core/io/regularFile.ts', 'if (!st.isFile()) throw fail(', 'if (false) throw fail(']],
    tests: ['test/core/io/regularFile.test.ts'],
  },
  {
    name: 'regular-file-growth-unbounded',
    why: 'a file longer than its stat size (procfs, or one still being written) is read to its end, past the limit',
    patches: [['src/core/io/regularFile.ts', 'if (n > maxBytes) throw fail(', 'if (false) throw fail(']],
    tests: ['test/core/io/regularFile.test.ts'],
  },
  {
    name: 'idx-gzip-unbounded',
    why: 'a 1 KB gzip of an IDX file inflates without limit (a gzip bomb fills memory before any check)',
    patches: [['src/core/data/idx.ts', 'gunzipSync(bytes, { maxOutputLength: maxBytes })', 'gunzipSync(bytes)']],
    tests: ['test/core/io/regularFile.test.ts'],
  },
  {
    name: 'weight-budget-off',
    why: 'a topology may allocate any number of weights before TF.js finds them missing (7 GB for a 2.6 KB model.json)',
    patches: [['src/core/models/budgetedBuild.ts', 'if (!Number.isFinite(total) || total > maxValues) {', 'if (false) {']],
    tests: ['test/core/models/budgetedBuild.test.ts'],
  },
  {
    name: 'weight-budget-left-installed',
    why: 'the weight counter stays on Layer.prototype after a build, charging every later model with it',
    patches: [['src/core/models/budgetedBuild.ts', '    proto.addWeight = original;\n  }', '  }']],
    tests: ['test/core/models/budgetedBuild.test.ts'],
  },
  {
    name: 'extract-out-overwrites-input',
    why: '`elsa extract ck.safetensors --out ck.safetensors` replaces the whole checkpoint by one level (exit 0)',
    patches: [['src/cli/outputPath.ts', '    if (input !== undefined) {', '    if (false) {']],
    tests: ['test/cli/cli.test.ts'],
  },
  {
    name: 'train-into-another-run',
    why: "a second config trained into a folder holding another run overwrites that run's events.jsonl",
    patches: [['src/cli/commands/train.ts', '  checkRunFolderIsOurs(paths);\n', '']],
    tests: ['test/cli/cli.test.ts'],
  },
  {
    name: 'tiny-images-built',
    why: 'a model whose layer outputs 0 positions is built, and the wasm kernels read out of bounds on the first batch',
    patches: [['src/core/models/builders.ts', '      if (shape.some((d) => d === 0)) {', '      if (false) {']],
    tests: ['test/core/models/builders.test.ts'],
  },
  {
    name: 'csv-label-unbounded',
    why: 'one stray label (300000, or 2^32 + 3 wrapping to 3) sizes the model or trains on a wrong class',
    patches: [['src/core/data/csv.ts', '    if (label >= MAX_CLASSES) {', '    if (false) {']],
    tests: ['test/core/data/csv.test.ts'],
  },
  {
    name: 'weight-layout-unchecked',
    why: 'a kernel stored as [300, 784] is loaded into a [784, 300] layer because the value counts agree: eval runs scrambled weights',
    patches: [['src/core/models/weights.ts', '    if (declared && declared.join() !== w.shape.join()) {', '    if (false) {']],
    tests: ['test/cli/cli.test.ts'],
  },
  {
    name: 'onnx-copies-tensors',
    why: 'the ONNX encoder copies every tensor into its output (the 80 MB model was copied once per nesting level: seconds of native work a stop cannot interrupt)',
    patches: [['src/core/io/onnxProto.ts', 'const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;', 'const LITTLE_ENDIAN = false;']],
    tests: ['test/core/io/onnxExport.test.ts'],
  },
  {
    name: 'write-slice-offset',
    why: 'writeFileAtomic writes every slice of a big chunk from its start: the file repeats its first 4 MiB',
    patches: [['src/core/io/atomic.ts', 'await handle.write(chunk, written, Math.min', 'await handle.write(chunk, 0, Math.min']],
    tests: ['test/core/io/atomicSlices.test.ts'],
  },
];

function scratchCopy() {
  const dir = mkdtempSync(path.join(tmpdir(), 'elsa-mutant-'));
  // The method tests need no e2e runtime state (code-server's folders hold sockets cpSync cannot copy).
  const skip = ['test/e2e/run', 'test/e2e/node_modules', 'test/e2e/shots'].map((p) => path.join(root, p));
  const filter = (src) => !skip.some((p) => src === p || src.startsWith(p + path.sep));
  // esbuild.config.mjs: the CLI tests build the scratch copy's own dist/cli.js.
  // scripts: the experiment probes (level-gap.ts) are patched and run there too.
  for (const entry of ['src', 'test', 'scripts', 'schemas', 'data', 'package.json', 'tsconfig.json', 'esbuild.config.mjs']) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true, filter });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  // The native addon (C, which no mutant patches): without it the engine tests that need it would be skipped.
  for (const f of ['elsa_native.node', 'elsa_native.json']) {
    if (existsSync(path.join(root, 'dist', f))) cpSync(path.join(root, 'dist', f), path.join(dir, 'dist', f));
  }
  return dir;
}

function applyPatch(dir, [file, anchor, replacement]) {
  const target = path.join(dir, file);
  const text = readFileSync(target, 'utf8');
  const at = text.indexOf(anchor);
  if (at < 0 || text.indexOf(anchor, at + 1) >= 0) throw new Error(`anchor ${at < 0 ? 'not found' : 'not unique'} in ${file}: ${anchor}`);
  writeFileSync(target, text.slice(0, at) + replacement + text.slice(at + anchor.length));
}

/** Runs test files in `dir`; resolves with the exit status and the failing tests with their first error line. */
function runTests(dir, tests) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...tests], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => {});
    // A hang guard, not a time limit: the CLI test file alone takes 3-4 min on a loaded 2-core machine.
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      current = undefined;
      const lines = out.split('\n');
      const failures = lines.flatMap((l, i) => {
        // A test at the top level of a file (one file run: column 0) or nested under its file (several: column 4).
        const hit = /^( {4})?not ok \d+ - (.*)/.exec(l);
        if (!hit || (hit[1] === undefined && lines.some((x) => /^ {4}not ok /.test(x)))) return [];
        const indent = ' '.repeat((hit[1] ?? '').length + 2);
        const at = lines.slice(i + 1, i + 12).findIndex((x) => x.startsWith(`${indent}error:`));
        let err = at < 0 ? '' : lines[i + 1 + at].trim().slice(7);
        if (err === '|-') err = (lines[i + 2 + at] ?? '').trim();
        return [`${hit[2]}${err ? ` — ${err.slice(0, 160)}` : ''}`];
      });
      // TAP marks a skipped test or suite with a `# SKIP` directive on its ok line (a skipped suite is not in `# skipped`).
      const skipped = lines.filter((l) => /^\s*ok \d+ - .*# SKIP/.test(l)).length;
      resolve({ status: signal ? `signal ${signal}` : status, failures, skipped });
    });
  });
}

// Ctrl-C / SIGTERM: stop the running test child and remove the scratch copy before leaving.
let current;
let scratch;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    current?.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });
}

const filters = process.argv.slice(2);
const chosen = MUTANTS.filter((m) => filters.length === 0 || filters.some((w) => m.name.includes(w)));
if (chosen.length === 0) {
  console.error(`mutants.mjs: no mutant matches ${filters.join(', ')} (known: ${MUTANTS.map((m) => m.name).join(', ')})`);
  process.exit(2);
}

// Control: the same tests on an unpatched copy must pass, or every "kill" below would mean nothing.
scratch = scratchCopy();
const allTests = [...new Set(chosen.flatMap((m) => m.tests))];
const control = await runTests(scratch, allTests);
rmSync(scratch, { recursive: true, force: true });
if (control.status !== 0) {
  console.error(`mutants.mjs: the unpatched tests fail (${control.status}); fix them first:`);
  for (const f of control.failures) console.error(`    ✗ ${f}`);
  process.exit(1);
}
// A skipped test (e.g. the native addon missing from the scratch copy) passes under every patch: no kill would count.
if (control.skipped > 0) {
  console.error(`mutants.mjs: ${control.skipped} of the tests skip on an unpatched copy, so they cannot kill a mutant; make them run here first`);
  process.exit(1);
}
console.log(`control (no mutation): ${allTests.map((t) => path.basename(t)).join(' ')} pass\n`);

let killed = 0;
for (const m of chosen) {
  scratch = scratchCopy();
  const started = Date.now();
  let verdict;
  let failures = [];
  try {
    for (const p of m.patches) applyPatch(scratch, p);
    const r = await runTests(scratch, m.tests);
    failures = r.failures;
    // Killed = a test assertion failed; a red run without one (a crash, a timeout) is reported, not counted.
    if (r.status === 0) verdict = 'SURVIVED';
    else if (failures.length > 0) verdict = 'killed';
    else verdict = `ERROR (exit ${r.status}, no failing test reported)`;
  } catch (e) {
    verdict = `ERROR (${e.message})`;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  }
  if (verdict === 'killed') killed++;
  const secs = `${((Date.now() - started) / 1000).toFixed(0)} s`;
  console.log(`${m.name.padEnd(28)} ${verdict.padEnd(10)} ${secs.padStart(5)}  ${m.tests.map((t) => path.basename(t)).join(' ')} — ${m.why}`);
  for (const f of failures) console.log(`    ✗ ${f}`);
}
console.log(`\n${killed}/${chosen.length} mutants killed`);
process.exit(killed === chosen.length ? 0 : 1);
