/** The body of scripts/fuzz.mjs (run with tsx so it can load the TypeScript sources). */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './runner';

async function main(): Promise<void> {
const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' }, 'timeout-ms': { type: 'string', default: '30000' },
    out: { type: 'string', default: path.join(tmpdir(), 'elsa-fuzz') }, workers: { type: 'string', default: '1' }, 'memory-mb': { type: 'string', default: '1024' },
  },
});
if (values.workers !== '1') console.error('note: --workers other than 1 is not supported (the machine is shared); running with 1');
const started = Date.now();
const progress = path.join(values.out, 'progress.json');
const summary = await runFuzz({
  cases: Number(values.cases), seed: Number(values.seed), timeoutMs: Number(values['timeout-ms']), workDir: values.out, memoryMb: Number(values['memory-mb']),
  onCase: (i: number, s: Awaited<ReturnType<typeof runFuzz>>) => {
    if ((i + 1) % 100 === 0) {
      writeFileSync(progress, JSON.stringify({ ...s, seconds: (Date.now() - started) / 1000 }, null, 2));
      console.log(`${i + 1} cases: ${s.typed} typed errors, ${s.ok} ok operations, ${s.crashes} crashes, ${s.hangs} hangs, ${s.untyped} untyped (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  },
});
const seconds = (Date.now() - started) / 1000;
writeFileSync(progress, JSON.stringify({ ...summary, seconds, done: true }, null, 2));
console.log(JSON.stringify({ ...summary, seconds }, null, 2));
process.exit(summary.crashes + summary.hangs + summary.untyped > 0 ? 1 : 0);
}

void main();
