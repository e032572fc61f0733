/**
 * `elsa` tasks: train / baseline / extract run the CLI as a VS Code task (a ProcessExecution), so output,
 * cancel and re-run come from the task panel, and a crash there cannot take the editor down. Terminating the
 * task kills the process; the CLI keeps its last complete checkpoint.
 */
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { cliProcess, runCli } from './cli';
import { log } from './log';
import { resolveInFolder, runOutDir } from './runPaths';
import { TASK_TYPE, cliArgsFor, type ElsaTaskDefinition, isElsaTaskDefinition, taskName } from './taskModel';

export { TASK_TYPE, type ElsaTaskDefinition, isElsaTaskDefinition } from './taskModel';

export const RUN_CONFIG_GLOB = '**/{*.elsa.json,elsa.run.json}';

export function buildTask(def: ElsaTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace): vscode.Task {
  const args = cliArgsFor(def);
  const folder = typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
  let execution: vscode.ProcessExecution;
  if (typeof args === 'string') {
    // Shown in the task terminal: the definition is wrong, not the CLI.
    execution = new vscode.ProcessExecution(process.execPath, ['-e', `console.error(${JSON.stringify(`UsageError: ${args}`)}); process.exit(2)`], {
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  } else {
    const p = cliProcess(args);
    execution = new vscode.ProcessExecution(p.command, p.args, { cwd: folder?.uri.fsPath, env: p.env });
  }
  // $elsa turns "ConfigError: x.elsa.json: …" lines into problems on that file.
  const task = new vscode.Task(def, scope, taskName(def), TASK_TYPE, execution, ['$elsa']);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  if (def.command === 'train' || def.command === 'baseline') task.isBackground = false;
  return task;
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
      tasks.push(buildTask({ type: TASK_TYPE, command: 'train', config: rel }, folder));
      tasks.push(buildTask({ type: TASK_TYPE, command: 'baseline', config: rel }, folder));
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (!isElsaTaskDefinition(task.definition)) return undefined;
    const scope = task.scope && typeof task.scope === 'object' ? task.scope : vscode.TaskScope.Workspace;
    return buildTask(task.definition, scope);
  }
}

/** Start an elsa task now; resolves when it has started. */
export async function runElsaTask(def: ElsaTaskDefinition, folder: vscode.WorkspaceFolder | undefined): Promise<vscode.TaskExecution> {
  const task = buildTask(def, folder ?? vscode.TaskScope.Workspace);
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
