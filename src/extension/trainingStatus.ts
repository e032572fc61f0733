/**
 * Status bar progress of running `elsa` train / baseline tasks, from the run's events.jsonl (polled once a
 * second only while such a task runs). Clicking it opens the run's dashboard.
 */
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { readEventsSince } from './fileAccess';
import { resolveInFolder, runOutDir } from './runPaths';
import { log } from './log';
import { foldProgress, progressText, type RunProgress } from './progressModel';
import { isElsaTaskDefinition } from './tasks';
import { EVENTS_FILE } from '../protocol/runFolder';

interface TrackedRun {
  execution: vscode.TaskExecution;
  label: string;
  outDir: vscode.Uri | undefined;
  eventsUri: vscode.Uri | undefined;
  offset: number;
  progress: RunProgress;
}

const POLL_MS = 1000;

/** A train task the PyTorch engine runs (tasks.ts builds it around elsa_torch.torchrun). */
function isTorchExecution(execution: vscode.Task['execution']): boolean {
  return execution instanceof vscode.ProcessExecution && execution.args.includes('elsa_torch.torchrun');
}

export class TrainingStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('elsa.training', vscode.StatusBarAlignment.Left, 50);
  private readonly runs = new Map<vscode.TaskExecution, TrackedRun>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;

  constructor(private readonly onRunEnded: () => void) {
    this.item.name = 'ELSA Training';
    this.disposables.push(
      this.item,
      vscode.tasks.onDidStartTask((e) => void this.started(e.execution)),
      vscode.tasks.onDidEndTaskProcess((e) => this.ended(e.execution, e.exitCode)),
    );
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.hideTimer) clearTimeout(this.hideTimer);
    for (const d of this.disposables) d.dispose();
  }

  private async started(execution: vscode.TaskExecution): Promise<void> {
    const def = execution.task.definition;
    if (!isElsaTaskDefinition(def) || def.command === 'extract' || !def.config) return;
    const folder = execution.task.scope && typeof execution.task.scope === 'object' ? execution.task.scope : undefined;
    const outDir = await runOutDir(resolveInFolder(folder, def.config));
    const run: TrackedRun = {
      execution,
      label: def.command === 'train' ? (isTorchExecution(execution.task.execution) ? 'Training (PyTorch)' : 'Training') : 'Baselines',
      outDir,
      eventsUri: outDir && def.command === 'train' ? vscode.Uri.joinPath(outDir, EVENTS_FILE) : undefined,
      offset: 0,
      progress: { status: 'starting' },
    };
    this.runs.set(execution, run);
    if (this.hideTimer) clearTimeout(this.hideTimer);
    this.render();
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
  }

  private ended(execution: vscode.TaskExecution, exitCode: number | undefined): void {
    const run = this.runs.get(execution);
    if (!run) return;
    // Read the log to its end before the run leaves the polled set, so the final state is the real one.
    void this.pollRun(run).finally(() => {
      this.runs.delete(execution);
      const ok = exitCode === 0;
      if (run.progress.status === 'running' || run.progress.status === 'starting') {
        run.progress = { ...run.progress, status: ok ? 'complete' : exitCode === undefined ? 'cancelled' : 'failed' };
      }
      if (this.runs.size === 0) {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        this.show(run, ok ? '$(check)' : '$(error)');
        this.hideTimer = setTimeout(() => this.item.hide(), 15000);
      } else this.render();
      this.onRunEnded();
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const run of this.runs.values()) await this.pollRun(run);
    } finally {
      this.polling = false;
    }
    if (this.runs.size > 0) this.render();
  }

  private async pollRun(run: TrackedRun): Promise<void> {
    try {
      if (!run.eventsUri && run.outDir) run.eventsUri = await this.newestEvents(run.outDir);
      if (!run.eventsUri) return;
      const chunk = await readEventsSince(run.eventsUri, run.offset);
      if (chunk.next < run.offset) run.progress = { status: 'starting' };
      run.offset = chunk.next;
      for (const e of chunk.events) run.progress = foldProgress(run.progress, e);
    } catch (e) {
      log().warn(`Reading training progress failed: ${errorLine(e)}`);
    }
  }

  /** Baselines write one events.jsonl per trained network under the output folder: follow the newest. */
  private async newestEvents(outDir: vscode.Uri): Promise<vscode.Uri | undefined> {
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(outDir, `**/${EVENTS_FILE}`), undefined, 50);
    let best: { uri: vscode.Uri; mtime: number } | undefined;
    for (const uri of found) {
      const mtime = (await vscode.workspace.fs.stat(uri)).mtime;
      if (!best || mtime > best.mtime) best = { uri, mtime };
    }
    return best?.uri;
  }

  private render(): void {
    const runs = [...this.runs.values()];
    if (runs.length === 0) return;
    this.show(runs[runs.length - 1], '$(sync~spin)', runs.length > 1 ? ` (+${runs.length - 1})` : '');
  }

  private show(run: TrackedRun, icon: string, suffix = ''): void {
    this.item.text = `${icon} ELSA ${run.label}: ${progressText(run.progress)}${suffix}`;
    this.item.tooltip = `${run.execution.task.name}${run.progress.message ? `\n${run.progress.message}` : ''}\nClick to open the run's dashboard.`;
    this.item.command = run.outDir ? { command: 'elsa.openDashboard', title: 'Open Dashboard', arguments: [run.outDir] } : 'elsa.showLog';
    this.item.show();
  }
}
