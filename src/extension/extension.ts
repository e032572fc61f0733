/**
 * ELSA Studio's extension host entry: the Checkpoints view, the commands, `elsa` tasks with status-bar
 * progress, the dashboard panel (with its serializer) and the custom checkpoint editor. Nothing here trains:
 * training runs in a separate process (tasks.ts).
 */
import * as vscode from 'vscode';
import { CheckpointEditorProvider } from './checkpointEditor';
import { CHECKPOINT_VIEW_ID, CheckpointTreeProvider } from './checkpointTree';
import { initCli } from './cli';
import { registerCommands } from './commands';
import { DASHBOARD_VIEW_TYPE, DashboardPanels } from './dashboardPanel';
import { initLog } from './log';
import { ElsaTaskProvider, isElsaTaskDefinition, TASK_TYPE, writeRunReport } from './tasks';
import { TrainingStatus } from './trainingStatus';

export function activate(context: vscode.ExtensionContext): void {
  const log = initLog();
  context.subscriptions.push(log);
  log.info(`ELSA Studio ${String(context.extension.packageJSON.version)} activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted'})`);
  initCli(context);

  const tree = new CheckpointTreeProvider();
  const view = vscode.window.createTreeView(CHECKPOINT_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  context.subscriptions.push(tree, view);

  const panels = new DashboardPanels(context);
  context.subscriptions.push(panels, vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, panels.serializer()));
  context.subscriptions.push(...CheckpointEditorProvider.register(context));

  context.subscriptions.push(vscode.tasks.registerTaskProvider(TASK_TYPE, new ElsaTaskProvider()));
  context.subscriptions.push(new TrainingStatus(() => tree.refresh()));
  // Files written in folders that did not exist before can slip past the file watcher: look again after a task.
  // Finished baselines are only half the story: write the run's report.json so the dashboard compares them.
  context.subscriptions.push(vscode.tasks.onDidEndTaskProcess((e) => {
    const def = e.execution.task.definition;
    if (def.type !== TASK_TYPE) return;
    tree.refresh();
    if (isElsaTaskDefinition(def) && def.command === 'baseline' && e.exitCode === 0) void writeRunReport(e.execution);
  }));
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()));

  registerCommands(context, tree, panels);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
