/**
 * Readers stay bounded on hostile sizes (issue 11, items 6 and 10): many tensors, long names, the table
 * printer on huge tables, and the way numbers are shown (percentages, non-finite values, integers, NaN).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { textTable, percent } from '../../../src/cli/tables';
import { inspectFile } from '../../../src/core/io/inspect';
import { alignTable, formatInspectReport, reportJson } from '../../../src/core/io/inspectFormat';
import { formatPercent } from '../../../src/protocol/format';
import { MAX_NAME_CHARS, MAX_TENSORS } from '../../../src/core/io/limits';
import { encodeSafetensors } from '../../../src/core/io/safetensors';
import { expectCheckpointError, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);

/** A safetensors file of `count` empty F32 tensors, written directly (encodeSafetensors is too slow for 10^5). */
function emptyTensors(count: number, longName?: string): Buffer {
  const header: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  if (longName) header[longName] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json]);
}

describe('bounded readers', () => {
  it('refuses more tensors than the cap with one line, and lists up to the cap', async () => {
    const over = tmp.file('over.safetensors');
    writeFileSync(over, emptyTensors(MAX_TENSORS + 1));
    assert.match(await expectCheckpointError(inspectFile(over), 'over.safetensors'), /header lists 100001 tensors, more than the 100000 allowed/);
    const many = tmp.file('many.safetensors');
    writeFileSync(many, emptyTensors(60_000));
    const report = await inspectFile(many);
    assert.equal(report.tensorCount, 60_000);
    assert.equal(formatInspectReport(report).split('\n').length > 60_000, true);
  });

  it('refuses a 663,179-character tensor name among 50,000 tensors without exhausting the heap', async () => {
    const file = tmp.file('longname.safetensors');
    writeFileSync(file, emptyTensors(50_000, 'n'.repeat(663_179)));
    const line = await expectCheckpointError(inspectFile(file), 'longname.safetensors');
    assert.match(line, new RegExp(`a tensor name of 663179 characters \\("n+…n+"\\), more than the ${MAX_NAME_CHARS} allowed`));
    assert.ok(line.length < 400, 'the message shows a shortened name');
  });

  it('aligns 200,000-row tables without recursion', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`t${i}`, String(i)]);
    assert.equal(alignTable(rows, [false, true]).length, 200_000);
    assert.equal(textTable(['name', 'n'], rows, [false, true]).split('\n').length, 200_002);
  });

  it('cuts long names in the printout', async () => {
    const name = `block/${'x'.repeat(900)}/kernel`;
    const file = tmp.file('wide.safetensors');
    writeFileSync(file, Buffer.concat(encodeSafetensors({ [name]: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } })));
    const text = formatInspectReport(await inspectFile(file));
    assert.ok(text.split('\n').every((l) => l.length < 400), 'no line carries the whole name');
    assert.match(text, /block\/x+…x+\/kernel/);
  });
});

describe('numbers as shown', () => {
  it('never rounds a share to 100 % or 0 % unless it is exactly that', () => {
    assert.equal(formatPercent(0.999995), '>99.99 %');
    assert.equal(formatPercent(1), '100.0 %');
    assert.equal(formatPercent(0.9995, 1), '99.95 %');
    assert.equal(formatPercent(0.0000001), '<0.1 %');
    assert.equal(formatPercent(0), '0.0 %');
    assert.equal(percent(0.999995), '>99.99 %');
    assert.equal(percent(0.5), '50.00 %');
  });

  it('writes +Inf, -Inf and NaN distinguishably in --json, and counts NaNs in the table', async () => {
    const file = tmp.file('inf.safetensors');
    const data = new Float32Array([Infinity, 1, NaN, NaN]);
    writeFileSync(file, Buffer.concat(encodeSafetensors({ w: { dtype: 'F32', shape: [4], data }, e: { dtype: 'F32', shape: [0], data: new Float32Array(0) } })));
    const report = await inspectFile(file);
    const json = JSON.parse(reportJson(report));
    const w = json.tensors.find((t: { name: string }) => t.name === 'w');
    assert.equal(w.stats.max, 'Infinity');
    assert.equal(w.stats.nans, 2);
    const e = json.tensors.find((t: { name: string }) => t.name === 'e');
    assert.equal(e.stats.min, 'NaN', 'no data is NaN, not null');
    const text = formatInspectReport(report);
    assert.match(text, /\bNaN\b/);
    const row = text.split('\n').find((l) => l.startsWith('w '))!;
    assert.match(row, /\+Inf/);
    assert.match(row, /\s2$/, 'the NaN column counts 2');
  });

  it('prints integer tensors as integers', async () => {
    const file = tmp.file('int.safetensors');
    writeFileSync(file, Buffer.concat(encodeSafetensors({ step: { dtype: 'I32', shape: [3], data: new Int32Array([-7, 3, 12]) } })));
    const row = formatInspectReport(await inspectFile(file)).split('\n').find((l) => l.startsWith('step'))!;
    assert.match(row, /\s-7\s+12\s/);
    assert.doesNotMatch(row, /-7\.000/);
  });
});

describe('extension views of huge tensors', () => {
  it('refuses a heatmap or histogram whose tensor exceeds the read limit, in one line', async () => {
    const { heatmapFromStore, histogramFromStore, VIEW_READ_LIMIT_BYTES } = await import('../../../src/core/inspectStore');
    const rows = VIEW_READ_LIMIT_BYTES / 4 / 1024 + 1;
    const store = {
      label: 'huge.safetensors', format: 'safetensors' as const, fileSize: 0, tensorCount: 1, layers: [{ name: 'w', shape: [rows, 1024], dtype: 'F32' }],
      readValues: async () => { throw new Error('must not read'); }, close: async () => {},
    };
    await assert.rejects(heatmapFromStore(store, 'w', 100), /huge.safetensors: tensor "w" has \d+ values \(512 MiB as F32\), more than the 512 MiB a view may read/);
    await assert.rejects(histogramFromStore(store, 'w', 10), /more than the 512 MiB a view may read/);
  });
});
