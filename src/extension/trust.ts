/**
 * What needs the user's consent before the ELSA process starts: a trusted workspace (train, baselines, extract,
 * evaluate, predict, new run) and, for evaluation on a checkpoint's stored data, data outside the workspace.
 * Commands and the dashboard ask here, so the rules and their messages live once (docs/architecture.md §4).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { checkpointDataSpec } from '../core/config';
import type { ElsaMetadata } from '../protocol/checkpoint';
import { uriBaseName } from './fileAccess';

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

/**
 * `eval` reads the dataset the checkpoint's stored config names (resolved from the checkpoint's run folder,
 * core/config.ts checkpointDataSpec). Inside a workspace folder that is expected; a path outside every
 * workspace folder (a checkpoint from elsewhere, or a crafted one naming /etc or a device) is read only after
 * the user agrees.
 */
export async function confirmDataOutsideWorkspace(uri: vscode.Uri, meta: ElsaMetadata): Promise<boolean> {
  const data = checkpointDataSpec(uri.fsPath, meta.config);
  if (!data.path) return true;
  const inside = (vscode.workspace.workspaceFolders ?? []).some((f) => {
    const rel = path.relative(f.uri.fsPath, data.path!);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
  if (inside) return true;
  const choice = await vscode.window.showWarningMessage(
    `ELSA: ${uriBaseName(uri)} was trained on data outside this workspace: ${data.path}. Evaluate on it?`,
    { modal: true },
    'Evaluate',
  );
  return choice === 'Evaluate';
}
