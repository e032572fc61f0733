/**
 * Workspace trust for what starts the ELSA process (train, baselines, extract, evaluate, new run): commands and
 * the dashboard ask here, so the rule and its message live once (docs/architecture.md §4).
 */
import * as vscode from 'vscode';

/** Runs only in a trusted workspace; otherwise says why and how to trust it. */
export async function requireTrust(action: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `ELSA: ${action} needs a trusted workspace, because it starts the ELSA process, which reads the data and model files a config or checkpoint names and writes files. Inspecting checkpoints works without trust.`,
    'Manage Workspace Trust',
  );
  if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
