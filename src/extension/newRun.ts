/**
 * "ELSA: New Training Run": a few quick picks (model, levels, sparsifier, epochs, data, name), then a
 * schema-valid `<name>.elsa.json` in the workspace, opened, with an offer to start training.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { errorLine } from '../core/errors';
import { cliScriptPath } from './cli';
import { log } from './log';
import {
  type DataChoice, EPOCH_PRESETS, type EpochPreset, LEVEL_PRESETS, type ModelChoice, NM_LEVELS, type SparsifierChoice, buildRunConfig,
  relativeDataPath, uniqueRunName,
} from './runConfigDraft';
import { RUN_CONFIG_GLOB } from './tasks';
import { EXAMPLE_ENTRY, EXAMPLE_SCRIPT, entryProblem, withTorchEngine } from './torchRunDraft';
import { baseName } from './treeModel';
import { runConfigFileName } from '../protocol/runFolder';

const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

interface Pick<T> extends vscode.QuickPickItem {
  value: T;
}

const STEPS = 7;

async function pickOne<T>(title: string, step: number, items: Pick<T>[]): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(items, { title: `ELSA: New Training Run (${step}/${STEPS}) — ${title}`, ignoreFocusOut: true });
  return picked?.value;
}

interface TorchChoice {
  entry: string;
  nproc: number;
  /** Copy the bundled example script next to the config. */
  copyExample: boolean;
}

/** Step 2 of a PyTorch run: which Python entry trains it, and on how many processes. */
async function pickTorchEntry(): Promise<TorchChoice | undefined> {
  const source = await pickOne<'example' | 'own'>('PyTorch entry', 2, [
    { label: 'Example: ResNet on Fashion-MNIST', description: EXAMPLE_ENTRY, detail: 'Copies a torchvision-style ResNet training script next to the config.', value: 'example' },
    { label: 'My own training code…', description: 'module:function, script.py:function or script.py', detail: 'The function gets the run (levels, data, output folder); see docs/format.md.', value: 'own' },
  ]);
  if (!source) return undefined;
  let entry = EXAMPLE_ENTRY;
  if (source === 'own') {
    const typed = await vscode.window.showInputBox({
      title: `ELSA: New Training Run (2/${STEPS}) — PyTorch entry`, prompt: 'Relative to the run config: module:function, script.py:function or script.py',
      placeHolder: 'train.py:main', ignoreFocusOut: true, validateInput: entryProblem,
    });
    if (!typed) return undefined;
    entry = typed.trim();
  }
  const nproc = await pickOne<number>('processes (torchrun --nproc_per_node)', 2, [1, 2, 4, 8].map((n) => ({
    label: `${n} process${n === 1 ? '' : 'es'}`, description: n === 1 ? 'no DistributedDataParallel' : 'DistributedDataParallel on this machine', value: n,
  })));
  if (!nproc) return undefined;
  return { entry, nproc, copyExample: source === 'example' };
}

/** Returns the written config's URI, or undefined when the user cancelled. */
export async function newTrainingRun(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders;
  if (!folders || folders.length === 0) {
    void vscode.window.showErrorMessage('ELSA: open a folder first; the run config is written into the workspace.');
    return undefined;
  }
  const engine = await pickOne<'builtin' | 'torch'>('engine', 1, [
    { label: 'Built-in engine', description: 'TypeScript, in a separate process', detail: 'Its own MLP, CNN or ResNet; nothing to install.', value: 'builtin' },
    { label: 'PyTorch', description: 'elsa_torch under torchrun', detail: 'Your model and training loop, one or several processes; needs Python with torch.', value: 'torch' },
  ]);
  if (!engine) return undefined;
  const torch = engine === 'torch' ? await pickTorchEntry() : undefined;
  if (engine === 'torch' && !torch) return undefined;
  const model = torch ? 'resnet' : await pickOne<ModelChoice>('model', 2, [
    { label: 'CNN', description: 'conv-pool-conv-pool-dense-dense', detail: 'A small convolutional network (default).', value: 'cnn' },
    { label: 'MLP', description: 'LeNet-300-100', detail: 'Three dense layers; fastest to train.', value: 'mlp' },
    { label: 'ResNet', description: 'small residual CNN with batch norm', detail: 'Slowest; shows per-level batch-norm parameters.', value: 'resnet' },
  ]);
  if (!model) return undefined;
  const sparsifier = await pickOne<SparsifierChoice>('sparsifier', 3, [
    { label: 'Gradual magnitude pruning', description: 'gmp · cubic schedule', detail: 'Zhu & Gupta 2017; the default.', value: 'gmp' },
    { label: 'One-shot magnitude', description: 'magnitude', value: 'magnitude' },
    { label: 'AC/DC', description: 'acdc', detail: 'Alternating compressed / decompressed training (Peste et al. 2021).', value: 'acdc' },
    { label: 'N:M structured', description: `nm · m = ${NM_LEVELS.m}`, detail: `Levels ${NM_LEVELS.levels.map((s) => `${s * 100} %`).join(" / ")}.`, value: 'nm' },
  ]);
  if (!sparsifier) return undefined;
  let levelPreset = 'paper';
  if (sparsifier !== 'nm') {
    const preset = await pickOne<string>('sparsity levels', 4, Object.entries(LEVEL_PRESETS).map(([key, p]) => ({
      label: p.label, description: key === 'paper' ? 'as in the paper' : undefined, value: key,
    })));
    if (!preset) return undefined;
    levelPreset = preset;
  }
  const epochs = await pickOne<EpochPreset>('epochs', 5, (Object.keys(EPOCH_PRESETS) as EpochPreset[]).map((k) => ({
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
  let data = await pickOne<DataChoice | 'choose'>('data', 6, dataItems);
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
  const suggested = uniqueRunName(`fashion-${torch ? 'torch' : model}${sparsifier === 'gmp' ? '' : `-${sparsifier}`}`, taken);
  const name = await vscode.window.showInputBox({
    title: `ELSA: New Training Run (${STEPS}/${STEPS}) — name`,
    value: suggested,
    prompt: `Writes ${runConfigFileName('<name>')}; the run goes to runs/<name>/`,
    ignoreFocusOut: true,
    validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(v) ? (taken.has(v) ? `${runConfigFileName(v)} exists already` : undefined)
      : 'Letters, digits, ".", "_" and "-", starting with a letter or digit'),
  });
  if (!name) return undefined;
  const draft = buildRunConfig({ name, model, levelPreset, sparsifier, epochs, data });
  const config = torch ? withTorchEngine(draft, torch.entry, torch.nproc) : draft;
  const uri = vscode.Uri.joinPath(folder.uri, runConfigFileName(name));
  try {
    if (torch?.copyExample) await copyExample(folder.uri);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  } catch (e) {
    void vscode.window.showErrorMessage(`ELSA: cannot write ${runConfigFileName(name)}: ${errorLine(e)}`);
    return undefined;
  }
  log().info(`New run config ${uri.fsPath}`);
  await vscode.window.showTextDocument(uri, { preview: false });
  const start = await vscode.window.showInformationMessage(`ELSA: wrote ${runConfigFileName(name)}. Start training now?`, 'Start Training', 'Later');
  if (start === 'Start Training') await vscode.commands.executeCommand('elsa.train', uri);
  return uri;
}

/** The bundled example training script, next to the config (an existing file of that name is kept). */
async function copyExample(folder: vscode.Uri): Promise<void> {
  const target = vscode.Uri.joinPath(folder, EXAMPLE_SCRIPT);
  try {
    await vscode.workspace.fs.stat(target);
    return;
  } catch {
    // not there yet
  }
  const root = path.dirname(path.dirname(cliScriptPath()));
  await vscode.workspace.fs.copy(vscode.Uri.file(path.join(root, 'examples', EXAMPLE_SCRIPT)), target);
}
