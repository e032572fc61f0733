/**
 * Which runtime runs the CLI (pure but for the PATH lookup; unit-tested): `elsa.nodePath` when set, else the
 * user's `node` on PATH (native tfjs-node addons are built for it), else the editor's own runtime with
 * ELECTRON_RUN_AS_NODE=1 (the WebAssembly backend needs nothing native).
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/** `node` on PATH, without running a shell. */
export function findNodeOnPath(envPath: string, platform: NodeJS.Platform = process.platform): string | undefined {
  const names = platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of envPath.split(platform === 'win32' ? ';' : path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const candidate = path.join(dir, n);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface Runtime {
  command: string;
  env: Record<string, string>;
  kind: 'configured' | 'path' | 'editor';
}

/** The CLI needs Node 20 or newer (package.json engines). */
export const MIN_NODE_MAJOR = 20;

/** Major version from `node --version` output ("v20.11.1"), or undefined. */
export function nodeMajor(versionOutput: string): number | undefined {
  const m = /^v?(\d+)\./.exec(versionOutput.trim());
  return m ? Number(m[1]) : undefined;
}

/** A `node` on PATH older than MIN_NODE_MAJOR (`pathNodeMajor`) is skipped for the editor's runtime. */
export function chooseRuntime(
  configuredNodePath: string | undefined, nodeOnPath: string | undefined, editorExecPath: string, pathNodeMajor?: number,
): Runtime {
  const configured = configuredNodePath?.trim();
  if (configured) return { command: configured, env: {}, kind: 'configured' };
  if (nodeOnPath && (pathNodeMajor === undefined || pathNodeMajor >= MIN_NODE_MAJOR)) return { command: nodeOnPath, env: {}, kind: 'path' };
  return { command: editorExecPath, env: { ELECTRON_RUN_AS_NODE: '1' }, kind: 'editor' };
}
