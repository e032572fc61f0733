/**
 * Every `elsa` command stops within a second of the first SIGTERM or SIGINT, exits 130, keeps the last complete
 * checkpoint and leaves no partial file behind. Each command runs on an input that takes several seconds (a
 * wide 3-level checkpoint, a 5,000-image dataset, a many-epoch run); the signal comes while it is at work.
 * The measured stop times are printed (docs/reliability.md, "Signals").
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { readElsaCheckpoint } from '../../src/core/io/elsaCheckpoint';
import { parseTrainingEvents } from '../../src/protocol/events';
import { tempDir } from '../helpers/synthetic';
import { writeIdxDataset, writeWideCheckpoint } from './fixtures';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');
const STOP_LIMIT_MS = 1000;

interface Stopped {
  code: number | null;
  stopMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Starts the CLI, waits until `ready` (a line of output; by default the command's start, which ELSA_TRACE=1
 * prints) and then `afterMs`, sends `signal`, times the exit.
 */
function runAndStop(args: string[], cwd: string, signal: NodeJS.Signals, afterMs: number, ready: RegExp = /elsa: \w+ started/): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, CI: '1', ELSA_BACKEND: 'wasm', ELSA_TRACE: '1' } });
    let stdout = '';
    let stderr = '';
    let sentAt: number | undefined;
    const send = () => {
      if (sentAt !== undefined) return;
      sentAt = Date.now();
      child.kill(signal);
    };
    let armed = false;
    const watch = () => {
      if (armed || !ready.test(stdout + stderr)) return;
      armed = true;
      setTimeout(send, afterMs);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      watch();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      watch();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      if (sentAt === undefined) {
        reject(new Error(`elsa ${args.join(' ')} ended (code ${code}) before the signal; the input is too small to test stopping.\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code, stopMs: Date.now() - sentAt, stdout, stderr });
    });
  });
}

/** Temp files of an atomic write (`.name.tmp-<pid>-…`, `name.tmp-<pid>`) anywhere below `dir`. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp-\d+/.test(f));
}

function writeConfig(dir: string, name: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `${name}.elsa.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      model: { type: 'mlp' },
      data: { name: 'fashion-mnist-small', limitTrain: 2000, limitTest: 100 },
      levels: [0.9, 0.5],
      epochs: { warmup: 200, perPhase: 200, dense: 1 },
      seed: 3,
      ...extra,
    }),
  );
  return file;
}

describe('elsa stops on SIGTERM and SIGINT', () => {
  const dir = tempDir('elsa-signals-');
  const times: string[] = [];
  const wide = path.join(dir, 'wide', 'wide.elsa.safetensors');

  before(async () => {
    if (!existsSync(cli)) spawnSync(process.execPath, ['esbuild.config.mjs', 'cli'], { cwd: root, stdio: 'inherit' });
    await writeWideCheckpoint(wide, 4096);
    writeIdxDataset(path.join(dir, 'big-data'), 10, 5000);
  });

  /** Asserts the common contract and records the time. */
  function check(what: string, r: Stopped, outDir: string = dir): void {
    times.push(`${what}: ${r.stopMs} ms`);
    assert.equal(r.code, 130, `${what}: exit code ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.ok(r.stopMs <= STOP_LIMIT_MS, `${what}: stopped ${r.stopMs} ms after the signal`);
    assert.deepEqual(leftovers(outDir), [], `${what}: temp files left`);
    assert.doesNotMatch(r.stderr, /Error|at .*\.js:\d+/, `${what}: ${r.stderr}`);
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`train (${signal}): stops mid-epoch, the last complete checkpoint stays`, async () => {
      const config = writeConfig(dir, `train-${signal}`);
      const runDir = path.join(dir, 'runs', `train-${signal}`);
      // The second epoch line means one checkpoint was saved and the next epoch is running.
      const r = await runAndStop(['train', config], dir, signal, 0, /warm-up\] epoch 2 /);
      check(`train ${signal}`, r);
      const ckpt = await readElsaCheckpoint(path.join(runDir, `train-${signal}.elsa.safetensors`));
      await ckpt.close();
      assert.equal(ckpt.meta.training?.status, 'training');
      assert.ok((ckpt.meta.training?.epoch ?? 0) >= 1);
      const events = parseTrainingEvents(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8'));
      const end = events.at(-1);
      assert.equal(end?.type, 'run-end');
      assert.equal(end?.type === 'run-end' && end.status, 'cancelled');
    });

    it(`baseline (${signal})`, async () => {
      const config = writeConfig(dir, `baseline-${signal}`);
      const r = await runAndStop(['baseline', config, '--only', 'dense'], dir, signal, 0, /epoch 1 /);
      check(`baseline ${signal}`, r);
    });

    it(`eval (${signal}) between batches`, async () => {
      const r = await runAndStop(['eval', wide, '--data', path.join(dir, 'big-data'), '--limit', '5000'], dir, signal, 2500);
      check(`eval ${signal}`, r);
    });

    for (const format of ['safetensors', 'sparse', 'tfjs', 'onnx'] as const) {
      it(`extract --format ${format} (${signal}): no output, no temp file, no new folder`, async () => {
        const out = path.join(dir, `out-${format}-${signal}`, 'nested', format === 'tfjs' ? 'model' : format === 'onnx' ? 'level.onnx' : 'level.safetensors');
        // The signal comes 200 ms into the work; an extract of the wide checkpoint takes ~800 ms (tfjs ~1.7 s) here.
        const r = await runAndStop(['extract', wide, '--level', '1', '--format', format, '--out', out], dir, signal, 200);
        check(`extract ${format} ${signal}`, r);
        assert.equal(existsSync(path.join(dir, `out-${format}-${signal}`)), false, 'the output folder was created and left');
      });
    }

    it(`inspect (${signal})`, async () => {
      // 100 ms into the work: inspecting the wide checkpoint takes ~550 ms after the command starts on a quiet machine.
      const r = await runAndStop(['inspect', wide], dir, signal, 100);
      check(`inspect ${signal}`, r);
      assert.doesNotMatch(r.stdout, /wide\.elsa\.safetensors/, 'printed a report after the signal');
    });

    it(`compare (${signal})`, async () => {
      // 100 ms into the work: comparing two levels of the wide checkpoint reads ~20 M weights and their codes.
      const r = await runAndStop(['compare', `${wide}@1`, `${wide}@2`], dir, signal, 100);
      check(`compare ${signal}`, r);
      assert.doesNotMatch(r.stdout, /Jaccard/, 'printed a table after the signal');
    });

    it(`report (${signal})`, async () => {
      const r = await runAndStop(['report', path.dirname(wide)], dir, signal, 0);
      check(`report ${signal}`, r);
      assert.equal(existsSync(path.join(path.dirname(wide), 'report.json')), false);
    });
  }

  it('prints the stop times', () => {
    console.log(`stop times after the signal (limit ${STOP_LIMIT_MS} ms):\n  ${times.join('\n  ')}`);
    assert.ok(times.length > 0);
  });
});
