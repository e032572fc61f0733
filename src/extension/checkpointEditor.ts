/**
 * The custom readonly editor for checkpoints: opening `*.elsa.safetensors` (and, on request, any
 * `*.safetensors`) shows the dashboard in the editor area. The document holds nothing but its URI; the
 * DashboardSession reads the file lazily.
 */
import * as vscode from 'vscode';
import { DashboardSession } from './dashboardHost';

export const CHECKPOINT_EDITOR_VIEW_TYPE = 'elsa.checkpointEditor';
export const SAFETENSORS_EDITOR_VIEW_TYPE = 'elsa.safetensorsEditor';

export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionUri: vscode.Uri) {}

  static register(context: vscode.ExtensionContext): vscode.Disposable[] {
    const provider = new CheckpointEditorProvider(context.extensionUri);
    const options = { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true };
    return [
      vscode.window.registerCustomEditorProvider(CHECKPOINT_EDITOR_VIEW_TYPE, provider, options),
      vscode.window.registerCustomEditorProvider(SAFETENSORS_EDITOR_VIEW_TYPE, provider, options),
    ];
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    new DashboardSession(panel, { uri: document.uri, isFolder: false }, this.extensionUri, 'editor');
  }
}
