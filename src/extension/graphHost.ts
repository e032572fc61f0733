/**
 * The tree's Reveal in Graph (the graph message itself is built in dashboardGraph.ts): a layer row opens
 * (or focuses) its checkpoint's dashboard and asks the page to select that layer, as soon as the page can
 * hear it.
 */
import * as vscode from 'vscode';
import type { TreeNode } from './treeModel';

/** What Reveal in Graph needs of the dashboard panels (dashboardPanel.ts), without importing them (no cycle). */
export interface GraphPanels {
  show(uri: vscode.Uri): Promise<{ revealLayer(layer: string): void }>;
}

/** `elsa.revealInGraph` on a layer row: the row names its checkpoint (`uri`) and its weight tensor (`layer`). */
export async function revealInGraph(panels: GraphPanels, arg: unknown): Promise<void> {
  const node = arg as Partial<TreeNode> | undefined;
  if (!node || typeof node.uri !== 'string' || typeof node.layer !== 'string') {
    void vscode.window.showInformationMessage('ELSA: Reveal in Graph works on a layer row of the Checkpoints view.');
    return;
  }
  const session = await panels.show(vscode.Uri.parse(node.uri));
  session.revealLayer(node.layer);
}
