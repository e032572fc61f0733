/**
 * The dashboard's "level on a sample": `elsa predict <checkpoint> --json` in a child process (the host never
 * runs a model on its own thread; the latencies are measured in that process, not under the editor's load),
 * cancelled when the dashboard closes. Running the CLI needs a trusted workspace, as Evaluate does. An image
 * file is accepted only from the host's own file picker or from inside the workspace: the webview names a
 * file, the host decides whether it may be read.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { ElsaError, type ElsaErrorKind } from '../core/errors';
import { sampleResultFromJson } from '../protocol/sample';
import type { HostResponse } from '../protocol/webview';
import { runCli } from './cli';
import { readArtifactInfo } from './checkpointTree';
import { confirmDataOutsideWorkspace, requireTrust } from './trust';

/** Images the user chose in the picker, by URI string (for this session of the extension). */
const picked = new Set<string>();

const IMAGE_FILTERS = { Images: ['png'], 'IDX image files': ['idx', 'idx3-ubyte', 'gz', 'ubyte'], 'CSV (label, pixels)': ['csv'] };

export async function pickSampleImage(checkpoint: vscode.Uri | undefined): Promise<HostResponse> {
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Predict',
    title: 'An image for every level to predict (the model\'s height and width)',
    filters: IMAGE_FILTERS,
    ...(checkpoint ? { defaultUri: vscode.workspace.getWorkspaceFolder(checkpoint)?.uri ?? vscode.Uri.joinPath(checkpoint, '..') } : {}),
  });
  const uri = chosen?.[0];
  if (!uri) return { kind: 'sampleImage' };
  picked.add(uri.toString());
  return { kind: 'sampleImage', uri: uri.toString(), name: path.basename(uri.fsPath) };
}

function allowedImage(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && (picked.has(uri.toString()) || vscode.workspace.getWorkspaceFolder(uri) !== undefined);
}

export async function samplePredictionForDashboard(
  checkpoint: vscode.Uri,
  req: { samples: number[]; imageUri?: string; runs: number },
  token: vscode.CancellationToken,
): Promise<HostResponse> {
  if (!vscode.workspace.isTrusted) {
    void requireTrust('Predict on a Sample');
    throw new Error('Restricted Mode: predicting runs the model in a separate process; trust the workspace to run it');
  }
  if (checkpoint.scheme !== 'file') throw new Error(`${path.basename(checkpoint.path)}: predicting needs a file on this machine`);
  const args = ['predict', checkpoint.fsPath, '--json', '--runs', String(req.runs)];
  if (req.samples.length > 0) {
    // Test images come from the run's dataset: outside the workspace it is read only if the user agrees, as for Evaluate.
    const info = await readArtifactInfo(checkpoint);
    if (info.state === 'ok' && info.meta && !(await confirmDataOutsideWorkspace(checkpoint, info.meta))) throw new Error('prediction cancelled: the run\'s data is outside the workspace');
    args.push('--sample', req.samples.join(','));
  }
  if (req.imageUri !== undefined) {
    const image = vscode.Uri.parse(req.imageUri);
    if (!allowedImage(image)) throw new Error(`${path.basename(image.path)}: choose the image with "Choose image…" (only files from the picker or the workspace are read)`);
    args.push('--image', image.fsPath);
  }
  const result = await runCli(args, path.dirname(checkpoint.fsPath), token);
  if (token.isCancellationRequested) throw new Error('prediction cancelled');
  if (result.code !== 0) {
    const line = result.stderr.trim().split('\n').filter((l) => !/^\[\d+\/\d+\]/.test(l)).at(-1);
    // The CLI's one line (`DataError: shoe.png: …`) stays one line, not wrapped in another error name.
    const typed = /^(CheckpointError|ConfigError|DataError|ModelError|UsageError|EngineError): (.*)$/.exec(line ?? '');
    if (typed) throw new ElsaError(typed[1] as ElsaErrorKind, undefined, typed[2]);
    throw new Error(line || `elsa predict exited with code ${String(result.code)}`);
  }
  return { kind: 'samplePrediction', sample: sampleResultFromJson(result.stdout) };
}

export async function copyText(text: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  void vscode.window.setStatusBarMessage('ELSA: copied to the clipboard', 3000);
}
