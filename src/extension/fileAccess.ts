/**
 * File access for the extension: a ByteSource over a URI (positional reads through Node `fs` for `file:`
 * URIs, `workspace.fs` otherwise — it has no ranged reads, so remote/virtual files are read once and kept),
 * and opening whatever the inspector understands as a TensorStore.
 */
import * as vscode from 'vscode';
import { checkpointError } from '../core/errors';
import { completeLines, MAX_TAIL_BYTES, tailStart } from '../core/eventsTail';
import { type ByteSource, fileByteSource, memoryByteSource, readBoundedText } from '../core/io/byteSource';
import { MAX_JSON_BYTES } from '../core/io/limits';
import { readRegularFileSync } from '../core/io/regularFile';
import { fileShardOpener } from '../core/io/tfjsModel';
import type { EventChunk } from '../protocol/events';
import { isShardIndexFile, REPORT_FILE, STUDY_FILE } from '../protocol/runFolder';
import { openSafetensorsStore, openShardedSafetensorsStore, openTfjsStore, type TensorStore } from '../core/tensorStore';
import { isRunReport, type RunReport } from '../protocol/report';
import { isStudySummary } from '../protocol/study';
import type { HostResponse } from '../protocol/webview';
import { artifactType, baseName } from './treeModel';

export function uriBaseName(uri: vscode.Uri): string {
  return baseName(uri.path);
}

export function byteSourceFor(uri: vscode.Uri): ByteSource {
  const label = uriBaseName(uri);
  if (uri.scheme === 'file') return fileByteSource(uri.fsPath, label);
  let loaded: Promise<ByteSource> | undefined;
  const load = () => {
    loaded ??= Promise.resolve(vscode.workspace.fs.readFile(uri)).then(
      (bytes) => memoryByteSource(bytes, label),
      (e: unknown) => {
        loaded = undefined;
        throw checkpointError(label, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
    return loaded;
  };
  return {
    label,
    size: async () => (await load()).size(),
    read: async (offset, length) => (await load()).read(offset, length),
  };
}

/**
 * A small text file (a run config, report.json, study.json) read whole, only when it is a regular file within
 * `maxBytes`: a symlink to /dev/zero or a FIFO in an opened folder must not hang or fill the extension host.
 * Local files go through the core's reader (type, size and growth checked on the open file); other schemes are
 * checked with `stat` first.
 */
export async function readText(uri: vscode.Uri, maxBytes = MAX_JSON_BYTES): Promise<string> {
  const fail = (problem: string) => new TextReadError(uriBaseName(uri), problem);
  if (uri.scheme === 'file') return readRegularFileSync(uri.fsPath, { maxBytes, what: 'a small text file', fail }).toString('utf8');
  let st: vscode.FileStat;
  try {
    st = await vscode.workspace.fs.stat(uri);
  } catch {
    throw fail('file not found');
  }
  if ((st.type & vscode.FileType.File) === 0) throw fail('is not a regular file');
  if (st.size > maxBytes) throw fail(`is ${st.size} bytes; a small text file is at most ${maxBytes} bytes`);
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

/** Why `readText` refused or could not read a file: `problem` without the file's name. */
export class TextReadError extends Error {
  constructor(
    label: string,
    readonly problem: string,
  ) {
    super(`${label}: ${problem}`);
  }
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** A model.json or index behind another URI scheme: `stat` first (a regular file within the limit), then read. */
async function readRemoteJson(uri: vscode.Uri, label: string, what: string): Promise<{ text: string; size: number }> {
  const st = await vscode.workspace.fs.stat(uri);
  if ((st.type & vscode.FileType.File) === 0) throw checkpointError(label, `not a regular file`);
  if (st.size > MAX_JSON_BYTES) throw checkpointError(label, `${what} is ${st.size} bytes, over the ${MAX_JSON_BYTES}-byte limit`);
  const bytes = await vscode.workspace.fs.readFile(uri);
  return { text: new TextDecoder().decode(bytes), size: bytes.byteLength };
}

/** A safetensors file, a sharded model's `*.safetensors.index.json` or a TF.js model.json, opened header first. Close it when done. */
export async function openStore(uri: vscode.Uri): Promise<TensorStore> {
  const label = uriBaseName(uri);
  const sharded = isShardIndexFile(uri.path);
  if (sharded || artifactType(uri.path) === 'tfjs') {
    // Bounded like the CLI: the size is checked before the JSON is read, shard paths are confined to the
    // model's folder by the core reader, and local shards must be regular files inside it (symlinks resolved).
    // A local file is read by the CLI's own reader, which also refuses a device or FIFO behind the name (a
    // symlink to /dev/zero has size 0 to `stat`, then reads without end).
    const what = sharded ? 'index' : 'model.json';
    const { text, size } = uri.scheme === 'file' ? await readBoundedText(uri.fsPath, label, what, MAX_JSON_BYTES) : await readRemoteJson(uri, label, what);
    const dir = vscode.Uri.joinPath(uri, '..');
    const openShard = uri.scheme === 'file' ? fileShardOpener(uri.fsPath) : async (rel: string) => byteSourceFor(vscode.Uri.joinPath(dir, rel));
    return sharded ? openShardedSafetensorsStore(text, label, size, openShard) : openTfjsStore(text, label, size, openShard);
  }
  const source = byteSourceFor(uri);
  try {
    return await openSafetensorsStore(source);
  } catch (e) {
    await source.close?.();
    throw e;
  }
}

/** report.json beside a checkpoint, or in the run folder above a baselines/ file. */
export async function findReport(target: vscode.Uri, isFolder: boolean): Promise<RunReport | undefined> {
  const dir = isFolder ? target : vscode.Uri.joinPath(target, '..');
  for (const candidate of [vscode.Uri.joinPath(dir, REPORT_FILE), vscode.Uri.joinPath(dir, '..', REPORT_FILE)]) {
    try {
      const value: unknown = JSON.parse(await readText(candidate));
      if (isRunReport(value)) return value;
    } catch {
      // No report here (or not one of ours): try the next place.
    }
  }
  return undefined;
}

export async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}

/** Complete events.jsonl lines after byte `since`; a missing file reads as empty. */
export async function readEventsSince(uri: vscode.Uri, since: number): Promise<EventChunk> {
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    return { events: [], from: 0, next: 0 };
  }
  const start = tailStart(since, size);
  const length = Math.min(size - start, MAX_TAIL_BYTES);
  if (length <= 0) return { events: [], from: start, next: start };
  let bytes: Uint8Array;
  if (uri.scheme === 'file') {
    const source = fileByteSource(uri.fsPath);
    try {
      bytes = await source.read(start, length);
    } finally {
      await source.close?.();
    }
  } else {
    bytes = (await vscode.workspace.fs.readFile(uri)).subarray(start, start + length);
  }
  return completeLines(bytes, start);
}

/** A study folder's study.json for the dashboard, or a one-line error naming the file. */
export async function readStudySummary(file: vscode.Uri): Promise<HostResponse> {
  let text: string;
  try {
    text = await readText(file);
  } catch (e) {
    const problem = e instanceof TextReadError ? e.problem : 'cannot read';
    return { kind: 'error', message: `${file.fsPath}: ${problem === 'file not found' ? `no ${STUDY_FILE} here` : problem}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', message: `${file.fsPath}: invalid JSON (being written? it is rewritten after every cell)` };
  }
  if (!isStudySummary(value)) return { kind: 'error', message: `${file.fsPath}: not a study summary (format elsa-study/1)` };
  return { kind: 'study', study: value };
}
