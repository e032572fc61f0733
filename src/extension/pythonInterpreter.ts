/**
 * The Python interpreter for PyTorch-engine runs: asks the Python extension (`ms-python.python`) for the
 * interpreter selected for the config's folder, through its public API
 * (`environments.getActiveEnvironmentPath` / `resolveEnvironment`); falls back to `elsa.pythonPath`, then
 * `python3` (pythonRuntime.ts decides).
 */
import * as vscode from 'vscode';
import { errorLine } from '../core/errors';
import { log } from './log';
import { choosePython, type PythonChoice } from './pythonRuntime';

interface EnvironmentPath {
  id: string;
  path: string;
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
    resolveEnvironment?(env: EnvironmentPath | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export const PYTHON_EXTENSION_ID = 'ms-python.python';

async function interpreterFromPythonExtension(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) return undefined;
    const active = envs.getActiveEnvironmentPath(resource);
    // The path may be an environment folder (conda): the resolved executable is what to run.
    const resolved = envs.resolveEnvironment ? await envs.resolveEnvironment(active) : undefined;
    return resolved?.executable?.uri?.fsPath ?? active?.path;
  } catch (e) {
    log().warn(`The Python extension did not give an interpreter (${errorLine(e)}); using elsa.pythonPath or python3.`);
    return undefined;
  }
}

export async function resolvePython(resource: vscode.Uri | undefined): Promise<PythonChoice> {
  const fromExtension = await interpreterFromPythonExtension(resource);
  const setting = vscode.workspace.getConfiguration('elsa', resource).get<string>('pythonPath');
  const choice = choosePython(fromExtension, setting);
  log().info(`PyTorch engine: ${choice.command} (${choice.source === 'python-extension' ? 'the Python extension\'s interpreter' : choice.source === 'setting' ? 'elsa.pythonPath' : 'default'})`);
  return choice;
}
