/**
 * `elsa` tasks: train / baseline / extract run the CLI as a VS Code task (a ProcessExecution), so output,
 * cancel and re-run come from the task panel, and a crash there cannot take the editor down. Terminating the
 * task kills the process; the CLI keeps its last complete checkpoint.
 *
 * A run config with `"engine": {"type": "torch"}` trains with PyTorch instead: the same `train` task runs
 * `python -m elsa_torch.torchrun … -m elsa_torch launch <config>` with the user's interpreter
 * (pythonInterpreter.ts); terminating it signals torchrun, which stops every rank.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TorchEngineSpec } from '../core/config';
import { errorLine } from '../core/errors';
import { cliProcess, cliScriptPath, runCli } from './cli';
import { readText } from './fileAccess';
import { log } from './log';
import { resolvePython } from './pythonInterpreter';
import { torchEngineOf, torchProcess } from './pythonRuntime';
import { resolveInFolder, runOutDir } from './runPaths';
import { TASK_TYPE, cliArgsFor, type ElsaTaskDefinition, isElsaTaskDefinition, taskName } from './taskModel';
import { RUN_CONFIG_SUFFIX } from '../protocol/runFolder';

export { TASK_TYPE, type ElsaTaskDefinition, isElsaTaskDefinition } from './taskModel';

export const RUN_CONFIG_GLOB = `**/{*${RUN_CONFIG_SUFFIX},elsa.run.json}`;

/** A PyTorch-engine training run: the interpreter and the config it trains. */
export interface TorchTarget {
  python: string;
  engine: TorchEngineSpec;
  configPath: string;
}

/** The extension's copy of the elsa_torch package (shipped in the .vsix under python/). */
function bundledPythonDir(): string {
  return path.join(path.dirname(path.dirname(cliScriptPath())), 'python');
}

export function buildTask(def: ElsaTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace, torch?: TorchTarget): vscode.Task {
  const args = cliArgsFor(def);
  const folder = typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
  let execution: vscode.ProcessExecution;
  if (torch && def.command === 'train') {
    const p = torchProcess(torch.python, torch.engine, torch.configPath, bundledPythonDir(), process.env.PYTHONPATH);
    execution = new vscode.ProcessExecution(p.command, p.args, { cwd: path.dirname(torch.configPath), env: p.env });
  } else if (typeof args === 'string') {
    // Shown in the task terminal: the definition is wrong, not the CLI.
    execution = new vscode.ProcessExecution(process.execPath, ['-e', `console.error(${JSON.stringify(`UsageError: ${args}`)}); process.exit(2)`], {
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  } else {
    const p = cliProcess(args);
    execution = new vscode.ProcessExecution(p.command, p.args, { cwd: folder?.uri.fsPath, env: p.env });
  }
  // $elsa turns "ConfigError: x.elsa.json: …" lines into problems on that file.
  const name = torch && def.command === 'train' ? `${taskName(def)} (PyTorch${torch.engine.nproc > 1 ? ` ×${torch.engine.nproc}` : ''})` : taskName(def);
  const task = new vscode.Task(def, scope, name, TASK_TYPE, execution, ['$elsa']);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  if (def.command === 'train' || def.command === 'baseline') task.isBackground = false;
  return task;
}

/** The PyTorch target of a train task whose config names the torch engine; undefined otherwise. */
async function torchTargetOf(def: ElsaTaskDefinition, folder: vscode.WorkspaceFolder | undefined): Promise<TorchTarget | undefined> {
  if (def.command !== 'train' || typeof def.config !== 'string' || !def.config.trim()) return undefined;
  const uri = resolveInFolder(folder, def.config);
  let engine: TorchEngineSpec | undefined;
  try {
    engine = torchEngineOf(await readText(uri));
  } catch {
    return undefined; // unreadable: the CLI reports it
  }
  if (!engine) return undefined;
  const python = await resolvePython(uri);
  return { python: python.command, engine, configPath: uri.fsPath };
}

/** A task for `def`, PyTorch-engine configs included. */
export async function buildTaskFor(def: ElsaTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace): Promise<vscode.Task> {
  const folder = typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
  return buildTask(def, scope, await torchTargetOf(def, folder));
}

export class ElsaTaskProvider implements vscode.TaskProvider {
  async provideTasks(): Promise<vscode.Task[]> {
    if (!vscode.workspace.isTrusted) return [];
    const configs = await vscode.workspace.findFiles(RUN_CONFIG_GLOB, '**/node_modules/**', 200);
    const tasks: vscode.Task[] = [];
    for (const uri of configs) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder) continue;
      const rel = vscode.workspace.asRelativePath(uri, false);
      const train: ElsaTaskDefinition = { type: TASK_TYPE, command: 'train', config: rel };
      const torch = await torchTargetOf(train, folder);
      tasks.push(buildTask(train, folder, torch));
      // Baselines train the built-in models: not offered for PyTorch-engine configs.
      if (!torch) tasks.push(buildTask({ type: TASK_TYPE, command: 'baseline', config: rel }, folder));
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    if (!isElsaTaskDefinition(task.definition)) return undefined;
    const scope = task.scope && typeof task.scope === 'object' ? task.scope : vscode.TaskScope.Workspace;
    return buildTaskFor(task.definition, scope);
  }
}

/** Start an elsa task now; resolves when it has started. */
export async function runElsaTask(def: ElsaTaskDefinition, folder: vscode.WorkspaceFolder | undefined): Promise<vscode.TaskExecution> {
  const task = await buildTaskFor(def, folder ?? vscode.TaskScope.Workspace);
  log().info(`Starting task: ${task.name}`);
  return vscode.tasks.executeTask(task);
}

/** After `baseline`: `elsa report <outDir>` writes report.json (ELSA vs independent vs dense) for the dashboard. */
export async function writeRunReport(execution: vscode.TaskExecution): Promise<void> {
  const def = execution.task.definition;
  if (!isElsaTaskDefinition(def) || typeof def.config !== 'string') return;
  const folder = execution.task.scope && typeof execution.task.scope === 'object' ? execution.task.scope : undefined;
  const outDir = await runOutDir(resolveInFolder(folder, def.config));
  if (!outDir) return;
  try {
    const result = await runCli(['report', outDir.fsPath], folder?.uri.fsPath);
    if (result.code === 0) log().info(`Wrote the run report of ${outDir.fsPath}`);
    else log().warn(`elsa report ${outDir.fsPath} failed: ${result.stderr.trim().split('\n').pop() ?? result.code}`);
  } catch (e) {
    log().warn(`elsa report failed: ${errorLine(e)}`);
  }
}
