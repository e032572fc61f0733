/**
 * The checkpoint contract checked on open (issue 11, item 8), on a real trained checkpoint: `"codes": {}`,
 * a code above K+1, a weight without codes, and levels that contradict their codes are one-line
 * errors for extract, eval and the level readers (a code 0 in u8 packing is unpackCodes' error, see codePacking.test.ts); `elsa inspect` lists the tensors but flags the file.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readElsaCheckpoint } from '../../../src/core/io/elsaCheckpoint';
import { inspectFile } from '../../../src/core/io/inspect';
import { formatInspectReport } from '../../../src/core/io/inspectFormat';
import { extractLevel } from '../../../src/core/method/extract';
import { joinSafetensors, splitSafetensors } from '../../fuzz/mutate';
import { expectCheckpointError, tempDir } from './ioTestUtil';

const tmp = tempDir();
after(tmp.cleanup);
const fixture = new Uint8Array(readFileSync(path.join(import.meta.dirname, '../../fuzz/fixtures/cnn.elsa.safetensors')));

function withMeta(name: string, edit: (elsa: Record<string, unknown>) => void): string {
  const { header, data } = splitSafetensors(fixture);
  const meta = header.__metadata__ as Record<string, string>;
  const elsa = JSON.parse(meta.elsa) as Record<string, unknown>;
  edit(elsa);
  meta.elsa = JSON.stringify(elsa);
  const file = tmp.file(name);
  writeFileSync(file, joinSafetensors(header, data));
  return file;
}

/** The fixture with one packed code byte of conv1/kernel replaced (bits2: four codes per byte). */
function withCodeByte(name: string, byte: number): string {
  const { header, data } = splitSafetensors(fixture);
  const entry = header['elsa.codes/conv1/kernel'] as { data_offsets: [number, number] };
  const out = new Uint8Array(data);
  out[entry.data_offsets[0]] = byte;
  const file = tmp.file(name);
  writeFileSync(file, joinSafetensors(header, out));
  return file;
}

describe('checkpoint contract on open', () => {
  it('the intact fixture opens, and inspect shows no problem', async () => {
    const file = tmp.file('ok.elsa.safetensors');
    writeFileSync(file, fixture);
    const ck = await readElsaCheckpoint(file);
    await ck.close();
    const report = await inspectFile(file);
    assert.equal(report.problems, undefined);
    assert.equal(report.kind, 'elsa-checkpoint');
  });

  const broken: [string, () => string, RegExp][] = [
    ['"codes": {}', () => withMeta('nocodes.elsa.safetensors', (e) => { e.codes = {}; }), /no weight has level codes \("codes" is empty\) but the run has 2 sparse levels/],
    ['a kernel without codes', () => withMeta('partial.elsa.safetensors', (e) => {
      const codes = e.codes as Record<string, string>;
      delete codes['conv2/kernel'];
      for (const l of e.levels as { layerSparsity?: Record<string, number> }[]) delete l.layerSparsity?.['conv2/kernel'];
    }), /sparsifiable weight "conv2\/kernel" has no level codes/],
    ['a level whose sparsity contradicts the codes', () => withMeta('lie.elsa.safetensors', (e) => { (e.levels as { sparsity: number }[])[0].sparsity = 0.95; }), /level 1 records sparsity 0.95, but its level codes give 0.8/],
    ['four codes rewritten to 1 (bits2 cannot hold a 0)', () => withCodeByte('moved.elsa.safetensors', 0), /level 1 records sparsity 0.89\d+, but its level codes give 0.89\d+/],
    ['code K+2', () => withCodeByte('four.elsa.safetensors', 0xff), /level code 4 of "conv1\/kernel" at index 0 is outside 1..3/],
  ];
  for (const [what, make, re] of broken) {
    it(`${what}: one-line error for extract, eval and levels; inspect flags it`, async () => {
      const file = make();
      const label = path.basename(file);
      assert.match(await expectCheckpointError(readElsaCheckpoint(file), label), re);
      assert.match(await expectCheckpointError(extractLevel(file, 1), label), re);
      const report = await inspectFile(file);
      assert.ok(report.problems?.some((p) => re.test(p)), `inspect flags it: ${JSON.stringify(report.problems)}`);
      assert.ok(report.tensors.length >= 20, 'inspect still lists the tensors');
      assert.match(formatInspectReport(report), /^NOT A VALID ELSA CHECKPOINT: /m);
    });
  }
});
