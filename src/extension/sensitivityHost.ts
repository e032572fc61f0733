/**
 * The dashboard's sensitivity scan: `elsa sensitivity <checkpoint> --json` in a child process (the host never
 * trains or evaluates on its own thread), cancelled when the dashboard closes. It writes the suggested run
 * config beside the checkpoint, so it is refused in Restricted Mode like every other action that runs the CLI.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { HostResponse } from '../protocol/webview';
import { runCli } from './cli';
import { sensitivityFromCliJson } from './sensitivityOutput';

export async function sensitivityForDashboard(checkpoint: vscode.Uri, level: number, target: number, token: vscode.CancellationToken): Promise<HostResponse> {
  if (!vscode.workspace.isTrusted) throw new Error('Restricted Mode: the sensitivity scan runs the model and writes a config; trust the workspace to run it');
  if (checkpoint.scheme !== 'file') throw new Error(`${path.basename(checkpoint.path)}: the sensitivity scan needs a file on this machine`);
  const args = ['sensitivity', checkpoint.fsPath, '--json', '--target', String(target), ...(level > 0 ? ['--level', String(level)] : [])];
  const result = await runCli(args, path.dirname(checkpoint.fsPath), token);
  if (token.isCancellationRequested) throw new Error('sensitivity scan cancelled');
  if (result.code !== 0) {
    const line = result.stderr.trim().split('\n').filter((l) => !/^\[\d+\/\d+\]/.test(l)).at(-1);
    throw new Error(line || `elsa sensitivity exited with code ${String(result.code)}`);
  }
  return { kind: 'sensitivity', sensitivity: sensitivityFromCliJson(result.stdout, (file) => vscode.Uri.file(file).toString()) };
}
