/**
 * The model graph in the dashboard: the host builds it from the open file (src/core/modelGraph.ts) and lays
 * it out (src/core/graphLayout.ts); the webview only draws. And the tree's Reveal in Graph: a layer row opens
 * (or focuses) its checkpoint's dashboard and asks the page to select that layer, as soon as the page can
 * hear it.
 */
import * as vscode from 'vscode';
import { layoutModelGraph } from '../core/graphLayout';
import { buildModelGraph } from '../core/modelGraph';
import type { TensorStore } from '../core/tensorStore';
import type { HostResponse } from '../protocol/webview';
import type { DashboardPanels } from './dashboardPanel';
import type { TreeNode } from './treeModel';

export function graphForDashboard(store: TensorStore): HostResponse {
  const graph = buildModelGraph({ topology: store.topology, tensors: store.modelTensors ?? store.layers });
  return { kind: 'graph', graph: layoutModelGraph(graph) };
}

/**
 * The last layer a Reveal in Graph asked for, held until the webview is ready and visible (a panel opened
 * for the reveal has no page yet; a hidden one posts nothing). A newer reveal replaces an older one.
 */
export class PendingReveal {
  private layer: string | undefined;

  constructor(
    private readonly canDeliver: () => boolean,
    private readonly deliver: (layer: string) => void,
  ) {}

  request(layer: string): void {
    this.layer = layer;
    this.flush();
  }

  flush(): void {
    if (this.layer === undefined || !this.canDeliver()) return;
    const layer = this.layer;
    this.layer = undefined;
    this.deliver(layer);
  }
}

/** `elsa.revealInGraph` on a layer row: the row names its checkpoint (`uri`) and its weight tensor (`layer`). */
export async function revealInGraph(panels: DashboardPanels, arg: unknown): Promise<void> {
  const node = arg as Partial<TreeNode> | undefined;
  if (!node || typeof node.uri !== 'string' || typeof node.layer !== 'string') {
    void vscode.window.showInformationMessage('ELSA: Reveal in Graph works on a layer row of the Checkpoints view.');
    return;
  }
  const session = await panels.show(vscode.Uri.parse(node.uri));
  session.revealLayer(node.layer);
}
