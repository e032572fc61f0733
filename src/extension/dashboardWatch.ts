/**
 * Watching a dashboard's folder: events.jsonl growing or being created anew, and the checkpoint(s),
 * report.json or study.json beside it changing. File events can be late or missing (network drives, files
 * outside the workspace), so a cheap poll every POLL_MS backs them up.
 */
import * as vscode from 'vscode';
import { EVENTS_FILE } from '../protocol/runFolder';

const POLL_MS = 2000;

export interface FolderChanges {
  /** events.jsonl changed (`created`: it is a new file, read it from the start). */
  events(created: boolean): void;
  /** A file matching `*.{safetensors,json}` in the folder changed, was created or deleted. */
  file(uri: vscode.Uri): void;
  /** The poll tick. */
  poll(): void;
}

export function watchFolder(dir: vscode.Uri, on: FolderChanges): vscode.Disposable {
  const events = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, EVENTS_FILE));
  events.onDidChange(() => on.events(false));
  events.onDidCreate(() => on.events(true));
  // The checkpoint(s) and report.json beside them; a fixed pattern, so odd file names need no glob escaping.
  const files = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, '*.{safetensors,json}'));
  files.onDidChange(on.file);
  files.onDidCreate(on.file);
  files.onDidDelete(on.file);
  const timer = setInterval(on.poll, POLL_MS);
  return vscode.Disposable.from(events, files, { dispose: () => clearInterval(timer) });
}
