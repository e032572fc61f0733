/**
 * "ELSA: New Training Run": a few quick picks (model, levels, sparsifier, epochs, data, name), then a
 * schema-valid `<name>.elsa.json` in the workspace, opened, with an offer to start training.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { errorLine } from '../core/errors';
import { log } from './log';
import {
  type DataChoice, EPOCH_PRESETS, type EpochPreset, LEVEL_PRESETS, type ModelChoice, NM_LEVELS, type SparsifierChoice, buildRunConfig,
  configFileName, relativeDataPath, uniqueRunName,
} from './runConfigDraft';
import { RUN_CONFIG_GLOB } from './tasks';
import { baseName } from './treeModel';

const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

interface Pick<T> extends vscode.QuickPickItem {
  value: T;
}

async function pickOne<T>(title: string, step: number, items: Pick<T>[]): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(items, { title: `ELSA: New Training Run (${step}/6) — ${title}`, ignoreFocusOut: true });
  return picked?.value;
}

/** Returns the written config's URI, or undefined when the user cancelled. */
export async function newTrainingRun(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders;
  if (!folders || folders.length === 0) {
    void vscode.window.showErrorMessage('ELSA: open a folder first; the run config is written into the workspace.');
    return undefined;
  }
  const model = await pickOne<ModelChoice>('model', 1, [
    { label: 'CNN', description: 'conv-pool-conv-pool-dense-dense', detail: 'A small convolutional network (default).', value: 'cnn' },
    { label: 'MLP', description: 'LeNet-300-100', detail: 'Three dense layers; fastest to train.', value: 'mlp' },
    { label: 'ResNet', description: 'small residual CNN with batch norm', detail: 'Slowest; shows per-level batch-norm parameters.', value: 'resnet' },
  ]);
  if (!model) return undefined;
  const sparsifier = await pickOne<SparsifierChoice>('sparsifier', 2, [
    { label: 'Gradual magnitude pruning', description: 'gmp · cubic schedule', detail: 'Zhu & Gupta 2017; the default.', value: 'gmp' },
    { label: 'One-shot magnitude', description: 'magnitude', value: 'magnitude' },
    { label: 'AC/DC', description: 'acdc', detail: 'Alternating compressed / decompressed training (Peste et al. 2021).', value: 'acdc' },
    { label: 'N:M structured', description: `nm · m = ${NM_LEVELS.m}`, detail: `Levels ${NM_LEVELS.levels.map((s) => `${s * 100} %`).join(" / ")}.`, value: 'nm' },
  ]);
  if (!sparsifier) return undefined;
  let levelPreset = 'paper';
  if (sparsifier !== 'nm') {
    const preset = await pickOne<string>('sparsity levels', 3, Object.entries(LEVEL_PRESETS).map(([key, p]) => ({
      label: p.label, description: key === 'paper' ? 'as in the paper' : undefined, value: key,
    })));
    if (!preset) return undefined;
    levelPreset = preset;
  }
  const epochs = await pickOne<EpochPreset>('epochs', 4, (Object.keys(EPOCH_PRESETS) as EpochPreset[]).map((k) => ({
    label: EPOCH_PRESETS[k].label, value: k,
  })));
  if (!epochs) return undefined;
  const debianInstalled = existsSync(DEBIAN_FASHION_MNIST);
  const dataItems: Pick<DataChoice | 'choose'>[] = [
    {
      label: 'Fashion-MNIST (embedded subset)',
      description: 'ships with the extension',
      detail: 'A few thousand images: quick, always available.',
      value: { kind: 'embedded' },
    },
    { label: 'Choose a folder…', description: 'IDX files or CSV (label, pixels)', value: 'choose' },
  ];
  if (debianInstalled) {
    dataItems.unshift({
      label: 'Fashion-MNIST (Debian package)', description: DEBIAN_FASHION_MNIST, detail: 'The full dataset: 60 000 training and 10 000 test images.', value: { kind: 'debian' },
    });
  }
  let data = await pickOne<DataChoice | 'choose'>('data', 5, dataItems);
  if (!data) return undefined;
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder for the run config' });
  if (!folder) return undefined;
  if (data === 'choose') {
    const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this dataset', defaultUri: folder.uri });
    if (!chosen?.[0]) return undefined;
    const inside = vscode.workspace.getWorkspaceFolder(chosen[0]);
    data = {
      kind: 'folder',
      path: inside?.uri.toString() === folder.uri.toString() ? relativeDataPath('', vscode.workspace.asRelativePath(chosen[0], false).replace(/\\/g, '/')) : chosen[0].fsPath,
    };
  }
  const existing = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, RUN_CONFIG_GLOB), '**/node_modules/**', 500);
  const taken = new Set(existing.map((u) => baseName(u.path).replace(/\.elsa\.json$/, '')));
  const suggested = uniqueRunName(`fashion-${model}${sparsifier === 'gmp' ? '' : `-${sparsifier}`}`, taken);
  const name = await vscode.window.showInputBox({
    title: 'ELSA: New Training Run (6/6) — name',
    value: suggested,
    prompt: `Writes ${configFileName('<name>')}; the run goes to runs/<name>/`,
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(v) ? (taken.has(v) ? `${configFileName(v)} exists already` : undefined)
      : 'Letters, digits, ".", "_" and "-", starting with a letter or digit'),
  });
  if (!name) return undefined;
  const config = buildRunConfig({ name, model, levelPreset, sparsifier, epochs, data });
  const uri = vscode.Uri.joinPath(folder.uri, configFileName(name));
  try {
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  } catch (e) {
    void vscode.window.showErrorMessage(`ELSA: cannot write ${configFileName(name)}: ${errorLine(e)}`);
    return undefined;
  }
  log().info(`New run config ${uri.fsPath}`);
  await vscode.window.showTextDocument(uri, { preview: false });
  const start = await vscode.window.showInformationMessage(`ELSA: wrote ${configFileName(name)}. Start training now?`, 'Start Training', 'Later');
  if (start === 'Start Training') await vscode.commands.executeCommand('elsa.train', uri);
  return uri;
}
