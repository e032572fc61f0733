/** The `elsa` command as a user runs it: the built bundle (dist/cli.js) in a child process, under CI=1. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
export const CLI = path.join(root, 'dist', 'cli.js');

/** Builds dist/cli.js when it is missing (a test run without `npm run build` first). */
export function ensureCliBuilt(): void {
  if (!existsSync(CLI)) spawnSync(process.execPath, ['esbuild.config.mjs', 'cli'], { cwd: root, stdio: 'inherit' });
}

/** Runs `elsa <args>` in `cwd` to its end (or `timeoutMs`); exit code and both streams. */
export function runElsa(args: string[], cwd: string, timeoutMs = 300_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
