/**
 * A 2 GiB Hugging Face sharded model opened in the editor, against a 24 MiB one opened the same way
 * (docs/benchmarks.md "Large sharded models in the editor"): time to the first chart and to every chart of the
 * dashboard, the extension host's CPU seconds meanwhile, and its peak RSS of the extension host (VmHWM in /proc/<pid>/status, reset before each open by
 * writing 5 to /proc/<pid>/clear_refs). Both models are written into a temp workspace (the 2 GiB one as sparse
 * files, test/e2e/harness/shardedModel.ts), opened from the Checkpoints tree in code-server, closed, and
 * deleted at the end. Needs the e2e tools (`bash scripts/setup-e2e.sh`):
 *   npm run build && node --import tsx scripts/bench-bigmodel.ts [--repeats 3]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { startCodeServer } from '../test/e2e/harness/codeServer';
import { readVisibleDashboard } from '../test/e2e/harness/dashboard';
import { ensureBuilt, makeWorkspace } from '../test/e2e/harness/fixtures';
import { delay, poll } from '../test/e2e/harness/poll';
import { openSession, waitForWorkbench } from '../test/e2e/harness/session';
import { smallLayout, twoGiBLayout, writeShardedModel } from '../test/e2e/harness/shardedModel';
import { missingE2eTools } from '../test/e2e/harness/tools';
import { editorTabs, openViewContainer, runCommand, waitForTreeItem } from '../test/e2e/harness/ui';

const VIEW = 'Checkpoints';

/** The extension host of this server: a process of the server's group whose command line says extensionHost. */
function extensionHostPid(group: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== group) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('extensionHost')) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

/** CPU seconds (user + system) the process has used: on a shared machine, the work itself, whatever the wait. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

interface Run { model: string; firstChartS: number; allChartsS: number; cpuS: number; rssBeforeMiB: number; peakMiB: number }

async function main(): Promise<void> {
  const missing = missingE2eTools();
  if (missing.length > 0) throw new Error(`e2e tools missing (${missing.join('; ')}): run bash scripts/setup-e2e.sh`);
  const argv = process.argv.slice(2);
  const repeats = Number(argv[argv.indexOf('--repeats') + 1] ?? 3) || 3;
  ensureBuilt();
  const workspace = makeWorkspace('bench-bigmodel');
  mkdirSync(workspace.file('big'));
  mkdirSync(workspace.file('small'));
  let t = performance.now();
  const big = writeShardedModel(workspace.file('big'), twoGiBLayout());
  const small = writeShardedModel(workspace.file('small'), smallLayout());
  console.log(`wrote ${(big.totalBytes / 2 ** 30).toFixed(2)} GiB (sparse) + ${(small.totalBytes / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const server = await startCodeServer({ name: 'bench-bigmodel', workspace: workspace.dir, trustWorkspace: true });
  const session = await openSession(server, 'bench-bigmodel');
  const { page } = session;
  const runs: Run[] = [];
  try {
    await waitForWorkbench(page);
    await openViewContainer(page, 'ELSA');
    const models = [
      { name: '2 GiB', row: new RegExp(`^model\\.safetensors\\.index\\.json, safetensors · ${big.tensors.length} tensors`), layers: big.tensors.length },
      { name: '24 MiB', row: new RegExp(`^model\\.safetensors\\.index\\.json, safetensors · ${small.tensors.length} tensors`), layers: small.tensors.length },
    ];
    for (let r = 0; r < repeats; r++) {
      for (const m of models) {
        const row = await waitForTreeItem(page, VIEW, m.row);
        const pid = await poll('the extension host process', () => extensionHostPid(server.pid), { timeoutMs: 10_000 });
        await delay(1_000); // let the host settle after the previous dashboard closed
        writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
        const before = memory(pid);
        const cpuBefore = cpuSeconds(pid);
        t = performance.now();
        await row.locator('.label-name').first().click();
        let firstChart = NaN;
        await poll(`every chart of the ${m.name} model`, async () => {
          const d = await readVisibleDashboard(page, 2_000).catch(() => undefined);
          if (!d || d.state !== 'ready') return false;
          const bars = JSON.parse(d.attributes['layer-sparsity-chart'].points ?? '{"layers":[]}') as { layers: string[] };
          if (Number.isNaN(firstChart) && d.drawn['layer-sparsity-chart'] && bars.layers.length === m.layers) firstChart = performance.now() - t;
          return !Number.isNaN(firstChart) && d.drawn['nesting-heatmap'] && d.drawn['histogram-chart'];
        }, { timeoutMs: 300_000, intervalMs: 50 });
        const all = performance.now() - t;
        const after = memory(pid);
        runs.push({ model: m.name, firstChartS: firstChart / 1000, allChartsS: all / 1000, cpuS: cpuSeconds(pid) - cpuBefore, rssBeforeMiB: before.rssMiB, peakMiB: after.hwmMiB });
        console.log(JSON.stringify(runs.at(-1)));
        await session.shot(`${m.name} run ${r + 1}`);
        await runCommand(page, 'View: Close All Editors');
        await poll('the editors to close', async () => (await editorTabs(page)).length === 0, { timeoutMs: 10_000 });
      }
    }
  } finally {
    await session.close();
    await server.stop();
    workspace.remove();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n${cpu} (${os.cpus().length} vCPUs), Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}; ${repeats} repeats, alternating\n`);
  console.log('| model | time to first chart (s) | time to every chart (s) | ext. host CPU (s) | ext. host RSS before (MiB) | ext. host peak RSS while opening (MiB) |');
  console.log('|---|---|---|---|---|---|');
  for (const name of ['2 GiB', '24 MiB']) {
    const rs = runs.filter((x) => x.model === name);
    const list = (f: (x: Run) => number, d: number) => rs.map((x) => f(x).toFixed(d)).join(' / ');
    console.log(`| ${name} | ${list((x) => x.firstChartS, 2)} | ${list((x) => x.allChartsS, 1)} | ${list((x) => x.cpuS, 1)} | ${list((x) => x.rssBeforeMiB, 0)} | ${list((x) => x.peakMiB, 0)} |`);
  }
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
