/** Where a run config's outputs go, resolved the way the CLI resolves them (relative to the config file). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readText } from './fileAccess';

/** `<config dir>/<outDir ?? runs/<name>>`, as the CLI resolves it. */
export async function runOutDir(configUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  try {
    const raw = JSON.parse(await readText(configUri)) as { name?: unknown; outDir?: unknown };
    const rel = typeof raw.outDir === 'string' ? raw.outDir : typeof raw.name === 'string' ? path.posix.join('runs', raw.name) : undefined;
    if (!rel) return undefined;
    if (path.isAbsolute(rel)) return vscode.Uri.file(rel);
    return vscode.Uri.joinPath(configUri, '..', ...rel.split(/[\\/]/));
  } catch {
    return undefined;
  }
}

export function resolveInFolder(folder: vscode.WorkspaceFolder | undefined, p: string): vscode.Uri {
  if (path.isAbsolute(p)) return vscode.Uri.file(p);
  const base = folder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  return base ? vscode.Uri.joinPath(base, ...p.split(/[\\/]/)) : vscode.Uri.file(path.resolve(p));
}
