// Where the end-to-end tools live and whether they are installed. They come from scripts/setup-e2e.sh into
// test/e2e/node_modules (code-server, playwright-core) and from Debian (chromium), never from the extension's own
// dependencies. Missing tools skip the suite with a hint, except under CI, where a skip would hide a broken setup.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(e2eDir, '..', '..');
export const shotsRoot = path.join(e2eDir, 'shots');
export const runRoot = path.join(e2eDir, 'run');

export const codeServerEntry = path.join(e2eDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return chromiumCandidates.find((candidate) => existsSync(candidate));
}

/** playwright-core from test/e2e first (the setup script's copy), else the repository's own, if any. */
export function playwrightCorePath(): string | undefined {
  for (const base of [e2eDir, repoRoot]) {
    try {
      return createRequire(path.join(base, 'package.json')).resolve('playwright-core');
    } catch {
      // not installed under this folder
    }
  }
  return undefined;
}

export interface ExtensionIdentity {
  publisher: string;
  name: string;
  version: string;
  /** The folder name VS Code expects under its extensions directory. */
  folderName: string;
}

export function extensionIdentity(): ExtensionIdentity {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, string>;
  return {
    publisher: manifest.publisher,
    name: manifest.name,
    version: manifest.version,
    folderName: `${manifest.publisher}.${manifest.name}-${manifest.version}`,
  };
}

/** What is missing for the end-to-end suite, one line each; empty when everything is there. */
export function missingE2eTools(): string[] {
  const missing: string[] = [];
  if (!existsSync(codeServerEntry)) missing.push(`code-server (expected ${path.relative(repoRoot, codeServerEntry)})`);
  if (!chromiumPath()) missing.push(`chromium (looked for ${chromiumCandidates.join(', ')} and $CHROMIUM_PATH)`);
  if (!playwrightCorePath()) missing.push('playwright-core (in test/e2e/node_modules or node_modules)');
  return missing;
}

export interface E2eGate {
  /** Pass as the `skip` option of node:test's test(): a reason string skips, false runs. */
  skip: string | false;
  /** Set under CI when tools are missing: the test must fail with this message instead of skipping. */
  failure?: string;
}

export function e2eGate(): E2eGate {
  const missing = missingE2eTools();
  if (missing.length === 0) return { skip: false };
  const message = `end-to-end UI tools missing: ${missing.join('; ')}. Run \`bash scripts/setup-e2e.sh\` to install them.`;
  if (process.env.CI) return { skip: false, failure: `${message} (CI is set, so the e2e suite fails instead of skipping)` };
  return { skip: message };
}
