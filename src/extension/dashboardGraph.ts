/**
 * The model graph in the dashboard: the host builds it from the open file (src/core/modelGraph.ts) and lays
 * it out (src/core/graphLayout.ts); the webview only draws. No vscode import, so it is unit-tested.
 */
import { layoutModelGraph } from '../core/graphLayout';
import { buildModelGraph } from '../core/modelGraph';
import type { TensorStore } from '../core/tensorStore';
import type { HostResponse } from '../protocol/webview';

/** Laid-out graphs by what they are built from (topology, tensor names, shapes and dtypes; never values). */
const recent = new Map<string, HostResponse>();
const RECENT_GRAPHS = 4;

/**
 * The graph message for a dashboard. A training run re-reads its checkpoint every epoch, but the topology and
 * the tensor shapes do not change: the layout (tens of ms for a real model) is reused while they stay the same.
 */
export function graphForDashboard(store: TensorStore): HostResponse {
  const tensors = store.modelTensors ?? store.layers;
  const key = JSON.stringify([store.topology ?? null, tensors.map((t) => [t.name, t.shape, t.dtype])]);
  const hit = recent.get(key);
  if (hit) return hit;
  const response: HostResponse = { kind: 'graph', graph: layoutModelGraph(buildModelGraph({ topology: store.topology, tensors })) };
  recent.set(key, response);
  if (recent.size > RECENT_GRAPHS) recent.delete(recent.keys().next().value as string);
  return response;
}
