// What the e2e tests set up outside the editor: a built extension, temp workspaces, runs of the real CLI, and a
// reader of a checkpoint's ELSA metadata straight from the safetensors header (independent of our own reader).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ElsaMetadata } from '../../../src/protocol/checkpoint';
import { repoRoot } from './tools';

export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

/** The bundles the workbench loads. `npm test` builds before testing; a lone e2e run builds when they are missing. */
export function ensureBuilt(): void {
  const bundles = ['cli.js', 'extension.js', 'webview.js'].map((name) => path.join(repoRoot, 'dist', name));
  if (bundles.every((bundle) => existsSync(bundle))) return;
  const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`build failed (node esbuild.config.mjs):\n${build.stderr}${build.stdout}`);
  const missing = bundles.filter((bundle) => !existsSync(bundle));
  if (missing.length > 0) throw new Error(`build did not produce ${missing.map((m) => path.relative(repoRoot, m)).join(', ')}`);
}

export interface Workspace {
  readonly dir: string;
  file(relativePath: string): string;
  write(relativePath: string, content: string): string;
  remove(): void;
}

export function makeWorkspace(label: string): Workspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), `elsa-e2e-${label}-`));
  return {
    dir,
    file: (relativePath) => path.join(dir, relativePath),
    write: (relativePath, content) => {
      const target = path.join(dir, relativePath);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
      return target;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A run config small enough to train in seconds on one core, on the embedded default data. */
export function tinyRunConfig(name: string, outDir: string): Record<string, unknown> {
  return {
    name,
    model: { type: 'mlp' },
    data: { limitTrain: 1000, limitTest: 300 },
    levels: [0.9, 0.5],
    sparsifier: { type: 'gmp' },
    optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
    epochs: { warmup: 1, perPhase: 1, dense: 1 },
    batchSize: 64,
    seed: 1,
    outDir,
  };
}

export interface CliResult {
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js <args>` in `cwd`; a non-zero exit throws with the CLI's own message. */
export function runCli(args: string[], cwd: string, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`elsa ${args.join(' ')} exited ${code ?? signal}:\n${stderr.slice(-2000)}${stdout.slice(-1000)}`));
    });
  });
}

/** `elsa inspect <file> --json`, parsed. */
export async function inspectJson(file: string, cwd: string): Promise<Record<string, unknown>> {
  const { stdout } = await runCli(['inspect', file, '--json'], cwd, 60_000);
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The JSON header of a safetensors file: u64 little-endian length, then that many bytes of JSON. */
export function readSafetensorsHeader(file: string): Record<string, unknown> {
  const fd = openSync(file, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    if (readSync(fd, lengthBytes, 0, 8, 0) !== 8) throw new Error(`${file}: shorter than a safetensors header`);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    const header = Buffer.alloc(length);
    if (readSync(fd, header, 0, length, 8) !== length) throw new Error(`${file}: header runs past the end`);
    return JSON.parse(header.toString('utf8')) as Record<string, unknown>;
  } finally {
    closeSync(fd);
  }
}

/** `__metadata__["elsa"]` of an ELSA checkpoint, as the contract (src/protocol/checkpoint.ts) defines it. */
export function readElsaMetadata(file: string): ElsaMetadata {
  const metadata = readSafetensorsHeader(file).__metadata__ as Record<string, string> | undefined;
  if (!metadata?.elsa) throw new Error(`${file}: no __metadata__.elsa`);
  return JSON.parse(metadata.elsa) as ElsaMetadata;
}

/** Element count of every tensor in a safetensors file, from its header. */
export function tensorSizes(file: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [name, entry] of Object.entries(readSafetensorsHeader(file))) {
    if (name === '__metadata__') continue;
    sizes[name] = (entry as { shape: number[] }).shape.reduce((a, b) => a * b, 1);
  }
  return sizes;
}
