/**
 * How the extension runs the `elsa` CLI: always as a separate process (training never runs on the extension
 * host thread). The runtime is `elsa.nodePath` when set, else the user's `node` on PATH (native tfjs-node
 * addons are built for it), else the editor's own runtime with ELECTRON_RUN_AS_NODE=1 (WebAssembly backend).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as vscode from 'vscode';
import { log } from './log';
import { chooseRuntime, findNodeOnPath, MIN_NODE_MAJOR, nodeMajor } from './nodeRuntime';

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

const nodeMajors = new Map<string, number | undefined>();

/** `node --version` of an executable, asked once per path. */
function majorOf(nodePath: string): number | undefined {
  if (!nodeMajors.has(nodePath)) {
    const r = spawnSync(nodePath, ['--version'], { encoding: 'utf8', timeout: 5000 });
    const major = r.status === 0 ? nodeMajor(r.stdout) : undefined;
    nodeMajors.set(nodePath, major);
    if (major !== undefined && major < MIN_NODE_MAJOR) {
      log().warn(`${nodePath} is Node ${major}; the ELSA CLI needs ${MIN_NODE_MAJOR}+, so it runs on the editor's runtime instead (set elsa.nodePath to choose).`);
    }
  }
  return nodeMajors.get(nodePath);
}

export function cliProcess(args: string[]): CliProcess {
  const settings = vscode.workspace.getConfiguration('elsa');
  const backend = settings.get<string>('backend') ?? 'auto';
  const onPath = settings.get<string>('nodePath')?.trim() ? undefined : findNodeOnPath(process.env.PATH ?? '');
  const runtime = chooseRuntime(settings.get<string>('nodePath'), onPath, process.execPath, onPath ? majorOf(onPath) : undefined);
  const env: Record<string, string> = { ...runtime.env };
  if (backend !== 'auto') env.ELSA_BACKEND = backend;
  return { command: runtime.command, args: [cliScriptPath(), ...args], env, runtime: runtime.kind === 'editor' ? 'editor' : 'node' };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short CLI command (eval, inspect) to completion; cancellation sends SIGTERM, which stops it within a second. */
export function runCli(args: string[], cwd: string | undefined, token?: vscode.CancellationToken): Promise<CliResult> {
  // The last line of defence: no caller starts a process in Restricted Mode (commands check trust first).
  if (!vscode.workspace.isTrusted) return Promise.reject(new Error(`elsa ${args[0] ?? ''} needs a trusted workspace (Restricted Mode starts no process)`));
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
