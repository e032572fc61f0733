/**
 * The ELSA commands. Arguments arrive as a tree node (context menus), a Uri (explorer, editor title, status
 * bar, webview) or nothing (command palette: then the user picks). Every command that starts a process (train,
 * baselines, extract, export, evaluate) or writes files needs a trusted workspace; inspection works everywhere
 * and only reads: an untrusted checkpoint is never followed to the paths it names.
 */
import * as vscode from 'vscode';
import type { ElsaMetadata } from '../protocol/checkpoint';
import { errorLine } from '../core/errors';
import { readArtifactInfo, type CheckpointTreeProvider } from './checkpointTree';
import { runCli } from './cli';
import { evalSummary } from './cliOutput';
import { COMPARE_VIEW_TYPE, ComparePanels, pickComparison, pickLevelComparison } from './compareHost';
import type { DashboardPanels } from './dashboardPanel';
import { uriBaseName } from './fileAccess';
import { revealInGraph } from './graphHost';
import { initLog, log } from './log';
import { newTrainingRun } from './newRun';
import { RUN_CONFIG_GLOB, runElsaTask } from './tasks';
import { type TreeNode, baseName, dirName } from './treeModel';
import { isCheckpointFile } from '../protocol/runFolder';
import { confirmDataOutsideWorkspace, requireTrust } from './trust';
import { formatPercent } from '../protocol/format';
import { DENSE_LABEL, levelRowLabel } from '../protocol/levels';

function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && typeof (arg as TreeNode).uri === 'string') return vscode.Uri.parse((arg as TreeNode).uri!);
  return undefined;
}

function relPath(uri: vscode.Uri): string {
  return vscode.workspace.getWorkspaceFolder(uri) ? vscode.workspace.asRelativePath(uri, false) : uri.fsPath;
}

export function registerCommands(context: vscode.ExtensionContext, tree: CheckpointTreeProvider, panels: DashboardPanels): void {
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      await fn(...args);
    } catch (e) {
      const line = errorLine(e);
      log().error(`${id}: ${line}`);
      void vscode.window.showErrorMessage(`ELSA: ${line}`, 'Show Log').then((c) => c && log().show());
    }
  }));

  async function pickArtifact(title: string, elsaOnly: boolean): Promise<vscode.Uri | undefined> {
    const files = (await tree.artifacts()).filter((f) => !elsaOnly || isCheckpointFile(f.path));
    if (files.length === 0) {
      void vscode.window.showInformationMessage(elsaOnly ? 'ELSA: no *.elsa.safetensors checkpoint in this workspace yet. Train one first.' : 'ELSA: no checkpoints or models in this workspace.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(files.map((f) => ({ label: baseName(f.path), description: dirName(f.path), uri: f.uri })), { title, matchOnDescription: true, ignoreFocusOut: true });
    return picked ? vscode.Uri.parse(picked.uri) : undefined;
  }

  async function pickConfig(): Promise<vscode.Uri | undefined> {
    const configs = await vscode.workspace.findFiles(RUN_CONFIG_GLOB, '**/node_modules/**', 200);
    if (configs.length === 0) {
      const c = await vscode.window.showInformationMessage('ELSA: no run config (*.elsa.json) in this workspace.', 'New Training Run');
      if (c) return newTrainingRun();
      return undefined;
    }
    if (configs.length === 1) return configs[0];
    const picked = await vscode.window.showQuickPick(configs.map((u) => ({ label: uriBaseName(u), description: relPath(u), uri: u })), { title: 'ELSA: run config', ignoreFocusOut: true });
    return picked?.uri;
  }

  async function metaOf(uri: vscode.Uri): Promise<ElsaMetadata> {
    const info = await readArtifactInfo(uri);
    if (info.state === 'error') throw new Error(info.message.replace(/^\w+Error: /, ''));
    if (info.state !== 'ok' || !info.meta) throw new Error(`${uriBaseName(uri)}: not an ELSA checkpoint (no level codes to extract from)`);
    return info.meta;
  }

  async function pickLevel(meta: ElsaMetadata, title: string): Promise<number | undefined> {
    const items = meta.levels.map((lv) => ({ label: levelRowLabel(lv), description: lv.dense ? DENSE_LABEL : `target ${formatPercent(lv.targetSparsity)}`, level: lv.index }));
    const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
    return picked?.level;
  }

  async function runTrainingTask(command: 'train' | 'baseline', arg: unknown): Promise<void> {
    if (!(await requireTrust(command === 'train' ? 'Train' : 'Run Baselines'))) return;
    const config = uriOf(arg) ?? (await pickConfig());
    if (!config) return;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === config.toString());
    if (open?.isDirty) await open.save();
    await runElsaTask({ type: 'elsa', command, config: relPath(config) }, vscode.workspace.getWorkspaceFolder(config));
  }

  async function extract(arg: unknown, levelArg: unknown, preferredFormat?: 'tfjs'): Promise<void> {
    if (!(await requireTrust(preferredFormat ? 'Export' : 'Extract Sparse Model'))) return;
    const uri = uriOf(arg) ?? (await pickArtifact('ELSA: checkpoint to extract from', true));
    if (!uri) return;
    const meta = await metaOf(uri);
    const nodeLevel = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as TreeNode).level : undefined;
    const level = typeof levelArg === 'number' ? levelArg : nodeLevel ?? (await pickLevel(meta, `ELSA: level of ${uriBaseName(uri)} to extract`));
    if (!level) return;
    const formats = [
      { label: 'safetensors', description: 'dense tensors with zeros; loadable from PyTorch', value: 'safetensors' as const },
      { label: 'TF.js Layers', description: 'model.json + weights.bin for tf.loadLayersModel', value: 'tfjs' as const },
      { label: 'sparse', description: 'compressed: the size on disk shrinks with sparsity', value: 'sparse' as const },
      { label: 'ONNX', description: 'one .onnx file (opset 13) for ONNX Runtime', value: 'onnx' as const },
    ];
    if (preferredFormat) formats.unshift(...formats.splice(formats.findIndex((f) => f.value === preferredFormat), 1));
    const format = (await vscode.window.showQuickPick(formats, { title: `ELSA: format for level ${level}`, ignoreFocusOut: true }))?.value;
    if (!format) return;
    const stem = uriBaseName(uri).replace(/(\.elsa)?\.safetensors$/, '');
    const suggestion = format === 'tfjs' ? `${stem}-level${level}-tfjs` : format === 'onnx' ? `${stem}-level${level}.onnx` : `${stem}-level${level}${format === 'sparse' ? '.sparse' : ''}.safetensors`;
    const outUri = vscode.Uri.joinPath(uri, '..', 'exports', suggestion);
    const out = await vscode.window.showInputBox({
      title: 'ELSA: output path', value: relPath(outUri), prompt: format === 'tfjs' ? 'A folder: model.json and weights.bin go inside' : 'The file to write',
      ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Give a path'),
    });
    if (!out) return;
    await runElsaTask({ type: 'elsa', command: 'extract', checkpoint: relPath(uri), level, format, out: out.trim() }, vscode.workspace.getWorkspaceFolder(uri));
  }

  async function evaluate(arg: unknown, levelArg: unknown): Promise<void> {
    if (!(await requireTrust('Evaluate'))) return;
    const uri = uriOf(arg) ?? (await pickArtifact('ELSA: checkpoint to evaluate', true));
    if (!uri) return;
    if (!(await confirmDataOutsideWorkspace(uri, await metaOf(uri)))) return;
    const nodeLevel = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as TreeNode).level : undefined;
    const level = typeof levelArg === 'number' ? levelArg : nodeLevel;
    const args = ['eval', uri.fsPath, '--json', ...(level ? ['--level', String(level)] : [])];
    const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ELSA: evaluating ${uriBaseName(uri)}${level ? ` (level ${level})` : ''}…`, cancellable: true },
      (_progress, token) => runCli(args, folder, token),
    );
    if (result.code !== 0) {
      const line = result.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${result.code}`;
      throw new Error(line.replace(/^\w+Error: /, ''));
    }
    log().info(`Evaluation of ${uri.fsPath}:\n${result.stdout.trim()}`);
    void vscode.window.showInformationMessage(`ELSA: ${uriBaseName(uri)}: ${evalSummary(result.stdout)}`, 'Show Log').then((c) => c && log().show());
  }

  const comparePanels = new ComparePanels(context);
  context.subscriptions.push(comparePanels, vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, comparePanels.serializer()));
  async function compare(arg: unknown, selection: unknown): Promise<void> {
    const selected = Array.isArray(selection) ? selection.map(uriOf).filter((u): u is vscode.Uri => !!u) : [];
    const node = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as TreeNode) : undefined;
    // Two level rows selected in the tree: exactly those two levels, nothing to ask.
    const levelRows = Array.isArray(selection) ? (selection as TreeNode[]).filter((n) => n && typeof n === 'object' && typeof n.uri === 'string' && typeof n.level === 'number') : [];
    if (levelRows.length === 2) {
      comparePanels.show(...(levelRows.map((n) => ({ uri: vscode.Uri.parse(n.uri!), level: n.level })) as [{ uri: vscode.Uri; level: number }, { uri: vscode.Uri; level: number }]));
      return;
    }
    // A level row compares that level; a checkpoint row (or a two-row selection) compares files.
    const sides = node?.level && selected.length < 2 ? await pickLevelComparison(tree, node) : await pickComparison(tree, uriOf(arg), selected);
    if (sides) comparePanels.show(...sides);
  }

  async function openDashboard(arg: unknown): Promise<void> {
    let uri = uriOf(arg);
    if (!uri) {
      const runs = await tree.runFolders();
      const files = await tree.artifacts();
      const items = [
        ...runs.map((r) => ({ label: `$(beaker) ${baseName(dirName(r.path)) || '(workspace root)'}`, description: `run · ${dirName(r.path) || '.'}`, uri: r.uri.replace(/\/events\.jsonl$/, '') })),
        ...files.map((f) => ({ label: `$(layers) ${baseName(f.path)}`, description: dirName(f.path), uri: f.uri })),
      ];
      if (items.length === 0) {
        void vscode.window.showInformationMessage('ELSA: nothing to show yet — no checkpoints or runs in this workspace.', 'New Training Run')
          .then((c) => c && vscode.commands.executeCommand('elsa.newTrainingRun'));
        return;
      }
      const picked = await vscode.window.showQuickPick(items, { title: 'ELSA: open the dashboard of…', matchOnDescription: true, ignoreFocusOut: true });
      if (!picked) return;
      uri = vscode.Uri.parse(picked.uri);
    }
    await panels.show(uri);
  }

  reg('elsa.newTrainingRun', async () => {
    if (await requireTrust('New Training Run')) await newTrainingRun();
  });
  reg('elsa.train', (arg) => runTrainingTask('train', arg));
  reg('elsa.runBaselines', (arg) => runTrainingTask('baseline', arg));
  reg('elsa.extractLevel', (arg, level) => extract(arg, level));
  reg('elsa.export', (arg, level) => extract(arg, level, 'tfjs'));
  reg('elsa.evaluate', (arg, level) => evaluate(arg, level));
  reg('elsa.compare', (arg, selection) => compare(arg, selection));
  reg('elsa.compareLevel', (arg, selection) => compare(arg, selection));
  reg('elsa.openDashboard', (arg) => openDashboard(arg));
  reg('elsa.revealInGraph', (arg) => revealInGraph(panels, arg));
  reg('elsa.showLog', () => initLog().show());
  reg('elsa.refresh', () => tree.refresh());
  reg('elsa.revealInExplorer', async (arg: unknown) => {
    const uri = uriOf(arg);
    if (uri) await vscode.commands.executeCommand('revealInExplorer', uri);
  });
  reg('elsa.openWithDashboardEditor', async (arg: unknown) => {
    const uri = uriOf(arg);
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, isCheckpointFile(uri.path) ? 'elsa.checkpointEditor' : 'elsa.safetensorsEditor');
  });
}
