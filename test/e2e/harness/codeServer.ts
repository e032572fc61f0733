// One code-server per test: a fresh run folder (user data, extensions, log), a free loopback port, our extension
// linked in from the repository, and the whole process group killed at the end (killing only the server's pid
// would leave the extension host and the file watcher running).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { poll } from './poll';
import { codeServerEntry, extensionIdentity, repoRoot, runRoot } from './tools';

export interface CodeServerOptions {
  /** Names the run folder test/e2e/run/<name>, wiped first. */
  name: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** false drops --disable-workspace-trust, so the workspace starts restricted. */
  trustWorkspace: boolean;
  /** Extra user settings, merged over the quiet defaults below. */
  settings?: Record<string, unknown>;
}

export interface CodeServer {
  readonly port: number;
  /** The server's pid, also its process group's id (it starts detached): the extension host is in that group. */
  readonly pid: number;
  /** The URL that opens the workbench on the workspace. */
  readonly url: string;
  readonly runDir: string;
  readonly logPath: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and deterministic: no welcome page, no tips, no network, no chat. */
const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'security.workspace.trust.startupPrompt': 'always',
  'window.dialogStyle': 'custom',
  'files.simpleDialog.enable': true,
  'editor.minimap.enabled': false,
  'terminal.integrated.enablePersistentSessions': false,
  // The DOM renderer keeps terminal text readable by the tests (the canvas/WebGL renderers paint pixels only).
  'terminal.integrated.gpuAcceleration': 'off',
};

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

const running = new Set<ChildProcess>();
// A test that crashes before its finally block must not leave servers behind.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const runDir = path.join(runRoot, options.name);
  rmSync(runDir, { recursive: true, force: true });
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...quietSettings, ...options.settings }, null, 2),
  );
  // The repository is the extension: package.json + dist/ are all VS Code needs.
  symlinkSync(repoRoot, path.join(extensionsDir, extensionIdentity().folderName), 'dir');
  const configPath = path.join(runDir, 'config.yaml');
  writeFileSync(configPath, 'auth: none\ncert: false\n');

  const port = await freeLoopbackPort();
  const logPath = path.join(runDir, 'code-server.log');
  const args = [
    codeServerEntry,
    '--config', configPath,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (options.trustWorkspace) args.push('--disable-workspace-trust');
  args.push(options.workspace);

  const logFd = openSync(logPath, 'a');
  // The server, its extension host and the training processes it starts run niced: on a 2-core machine a training
  // run would otherwise starve the browser that renders the workbench, and the UI under test would stall.
  const child = spawn('nice', ['-n', '10', process.execPath, ...args], {
    cwd: runDir,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    // An empty gallery turns the marketplace off: the workbench makes no outbound requests.
    env: { ...process.env, EXTENSIONS_GALLERY: '{}', VSCODE_PROXY_URI: '' },
  });
  closeSync(logFd);
  running.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });

  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    try {
      await poll('code-server to exit', () => exited, { timeoutMs: 5_000, intervalMs: 100 });
    } catch {
      killGroup(child, 'SIGKILL');
    }
    // Children that outlive the server (extension host, watcher, task shells) share its group.
    killGroup(child, 'SIGKILL');
    running.delete(child);
  };

  try {
    await poll(
      `code-server to answer on port ${port}`,
      async () => {
        if (exited) throw new Error(`code-server exited early:\n${logTail()}`);
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return response.ok;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\ncode-server log:\n${logTail()}`);
  }
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(options.workspace)}`;
  return { port, pid: child.pid ?? 0, url, runDir, logPath, logTail, stop };
}
