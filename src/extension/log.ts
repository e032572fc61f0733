/** The "ELSA Studio" log channel: one per extension host, created on activation. */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function initLog(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('ELSA Studio', { log: true });
  return channel;
}

export function log(): vscode.LogOutputChannel {
  return initLog();
}
