/**
 * Whole-file reads cannot be made endless (src/core/io/regularFile.ts): a device, a FIFO or a folder — directly
 * or behind a symlink — is refused before a byte is read, a file over the limit from its size, one that turns out
 * longer than its size while read is cut off at the limit. And every reader of input goes through it: run and
 * study configs, a study's records, IDX (gzip included) and CSV data, image files (`node scripts/mutants.mjs
 * regular-file`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { loadRunConfig } from '../../../src/core/config';
import { readImageCsv } from '../../../src/core/data/csv';
import { loadDataset } from '../../../src/core/data/dataset';
import { encodeIdxU8, parseIdx, readIdxFile } from '../../../src/core/data/idx';
import { readSampleImages } from '../../../src/core/data/sampleImage';
import { isElsaError } from '../../../src/core/errors';
import { readRegularFileSync } from '../../../src/core/io/regularFile';
import { loadStudyConfig } from '../../../src/core/studyConfig';
import { CLI, ensureCliBuilt } from '../../helpers/cli';
import { tempDir } from './ioTestUtil';

const tmp = tempDir('elsa-regular-');
after(tmp.cleanup);
const fail = (problem: string) => new Error(`X: ${problem}`);
const read = (file: string, maxBytes = 1 << 20) => readRegularFileSync(file, { maxBytes, what: 'a test file', fail });

/** Runs `fn`, which must throw within a second with one line matching `re` (never hang or read on). */
function refusedQuickly(fn: () => unknown, re: RegExp): string {
  const t0 = Date.now();
  let message = '';
  assert.throws(fn, (e: Error) => {
    message = e.message;
    return true;
  });
  assert.match(message, re);
  assert.ok(!message.includes('\n'), message);
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  return message;
}

const fifo = tmp.file('pipe');
execFileSync('mkfifo', [fifo]);
const zeroLink = tmp.file('zero-link');
symlinkSync('/dev/zero', zeroLink);

describe('readRegularFileSync', () => {
  it('reads a regular file whole, and one whose stat size is 0 but has content (procfs)', () => {
    writeFileSync(tmp.file('a.txt'), 'hello');
    assert.equal(read(tmp.file('a.txt')).toString(), 'hello');
    assert.equal(read(tmp.file('a.txt'), 5).toString(), 'hello');
    assert.match(read('/proc/self/status').toString(), /^Name:/);
  });

  it('refuses devices, FIFOs (without waiting for a writer), folders and symlinks to them, before reading', () => {
    refusedQuickly(() => read('/dev/zero'), /^X: is not a regular file \(a device, pipe or socket\), not a test file$/);
    refusedQuickly(() => read(zeroLink), /is not a regular file/);
    refusedQuickly(() => read(fifo), /is not a regular file/);
    refusedQuickly(() => read(tmp.dir), /^X: is a folder, not a test file$/);
    refusedQuickly(() => read(tmp.file('missing')), /^X: file not found$/);
  });

  it('refuses a file over the limit from its size, and one that is longer than its size at the limit', () => {
    writeFileSync(tmp.file('six.txt'), '123456');
    refusedQuickly(() => read(tmp.file('six.txt'), 5), /^X: is 6 bytes; a test file is at most 5 bytes$/);
    refusedQuickly(() => read('/proc/self/status', 100), /^X: grew past 100 bytes while being read/);
  });
});

describe('every reader of input is bounded', () => {
  it('run and study configs: one ConfigError line for a device, a FIFO or a symlink to one; study files are JSONC', () => {
    for (const f of ['/dev/zero', fifo, zeroLink]) {
      refusedQuickly(() => loadRunConfig(f), /ConfigError|is not a regular file/);
      refusedQuickly(() => loadStudyConfig(f), /is not a regular file \(a device, pipe or socket\), not a study file \(\*\.study\.json\)/);
    }
    const study = tmp.file('c.study.json');
    writeFileSync(study, '// a comment\n{ "name": "c", "base": { "levels": [0.9], }, "models": ["mlp"], "sparsifiers": [{ "type": "gmp" }], "seeds": [1] }\n');
    assert.equal(loadStudyConfig(study).cells.length, 1);
  });

  it('IDX and CSV data, image files: a DataError line naming the file; a gzip that would inflate past the limit is refused', async () => {
    for (const f of [zeroLink, fifo]) {
      for (const r of [() => readIdxFile(f), () => readImageCsv(f), () => readSampleImages(f, [28, 28, 1])]) {
        const m = refusedQuickly(r, /is not a regular file/);
        assert.ok(m.includes(f), m);
      }
    }
    const dir = tmp.file('idx-zero');
    mkdirSync(dir);
    for (const n of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) symlinkSync('/dev/zero', path.join(dir, n));
    await assert.rejects(loadDataset({ path: dir }), (e: unknown) => isElsaError(e) && e.kind === 'DataError' && /is not a regular file/.test(e.problem));
    const bomb = gzipSync(encodeIdxU8([1000, 28, 28], new Uint8Array(784_000)));
    assert.ok(bomb.length < 2000);
    assert.throws(() => parseIdx(bomb, 'bomb.gz', 100_000), /bomb\.gz: decompresses to more than 100000 bytes; an IDX file is at most that/);
    assert.equal(parseIdx(bomb, 'bomb.gz', 784_016).dims[0], 1000);
  });

  it('elsa study and elsa train stop with one line on /dev/zero and on data that is /dev/zero (exit 1, no hang)', () => {
    ensureCliBuilt();
    const config = tmp.file('dz.elsa.json');
    writeFileSync(config, JSON.stringify({ name: 'dz', model: { type: 'mlp' }, data: { path: 'idx-zero' }, levels: [0.9], epochs: { warmup: 1, perPhase: 1, dense: 0 } }));
    for (const args of [['study', '/dev/zero'], ['study', '--plot', tmp.dir], ['train', config]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp.dir, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 30_000 });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.ok(!existsSync(path.join(tmp.dir, 'runs', 'dz', 'dz.elsa.safetensors')));
  });
});
