/**
 * How the extension runs the `elsa` CLI: always as a separate process (training never runs on the extension
 * host thread). The runtime is `elsa.nodePath` when set, else the user's `node` on PATH (native tfjs-node
 * addons are built for it), else the editor's own runtime with ELECTRON_RUN_AS_NODE=1 (WebAssembly backend).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from './log';

export interface CliProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** What runs it, for logs and the status bar. */
  runtime: 'node' | 'editor';
}

let extensionRoot: vscode.Uri | undefined;

export function initCli(context: vscode.ExtensionContext): void {
  extensionRoot = context.extensionUri;
}

export function cliScriptPath(): string {
  if (!extensionRoot) throw new Error('ELSA Studio is not activated');
  return vscode.Uri.joinPath(extensionRoot, 'dist', 'cli.js').fsPath;
}

/** `node` on PATH, without running a shell. */
export function findNodeOnPath(envPath = process.env.PATH ?? '', platform = process.platform): string | undefined {
  const names = platform === 'win32' ? ['node.exe', 'node.cmd'] : ['node'];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const candidate = path.join(dir, n);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function cliProcess(args: string[]): CliProcess {
  const configured = vscode.workspace.getConfiguration('elsa').get<string>('nodePath')?.trim();
  const backend = vscode.workspace.getConfiguration('elsa').get<string>('backend') ?? 'auto';
  const env: Record<string, string> = {};
  if (backend !== 'auto') env.ELSA_BACKEND = backend;
  const node = configured || findNodeOnPath();
  if (node) return { command: node, args: [cliScriptPath(), ...args], env, runtime: 'node' };
  return { command: process.execPath, args: [cliScriptPath(), ...args], env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, runtime: 'editor' };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short CLI command (eval, inspect) to completion; cancellation kills it. */
export function runCli(args: string[], cwd: string | undefined, token?: vscode.CancellationToken): Promise<CliResult> {
  const p = cliProcess(args);
  log().info(`Running ${p.command} ${p.args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(p.command, p.args, { cwd, env: { ...process.env, ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) log().info(`[cli] ${line.trimEnd()}`);
    });
    const sub = token?.onCancellationRequested(() => child.kill());
    child.on('error', (e) => {
      sub?.dispose();
      reject(new Error(`cannot start ${p.command}: ${e.message}`));
    });
    child.on('close', (code) => {
      sub?.dispose();
      resolve({ code, stdout, stderr });
    });
  });
}
