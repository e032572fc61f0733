/**
 * Per-layer sparsity targets (`sparsifier.layerTargets`, e.g. written by `elsa sensitivity`): for a level of
 * overall target s, the layers listed get their own sparsity. Between levels (a GMP ramp goes from 0 to the
 * phase's target) a layer's sparsity follows the piecewise-linear curve through (0, 0) and (s_k, p_k) for
 * each level k; a level that does not list the layer contributes (s_k, s_k). The trainer asks the
 * sparsifier only for one overall sparsity, and this curve turns it into one per layer.
 */
import { configError } from '../../errors';

/** Level target (as written, e.g. "0.9") -> weight tensor name -> that tensor's sparsity at the level. */
export type LayerTargets = Record<string, Record<string, number>>;

export type LayerSparsityOf = (tensorName: string, overall: number) => number;

export function layerSparsityCurve(targets: LayerTargets): LayerSparsityOf {
  const levels = Object.keys(targets).map((k) => ({ s: Number(k), layers: targets[k] })).sort((a, b) => a.s - b.s);
  const names = new Set(levels.flatMap((l) => Object.keys(l.layers)));
  const curves = new Map<string, [number, number][]>();
  for (const name of names) {
    curves.set(name, [[0, 0], ...levels.map((l): [number, number] => [l.s, Object.prototype.hasOwnProperty.call(l.layers, name) ? l.layers[name] : l.s])]);
  }
  return (name, overall) => {
    const points = curves.get(name);
    if (!points) return overall;
    if (overall <= 0) return 0;
    for (let i = 1; i < points.length; i++) {
      const [x0, y0] = points[i - 1];
      const [x1, y1] = points[i];
      if (overall <= x1) return x1 === x0 ? y1 : y0 + ((overall - x0) / (x1 - x0)) * (y1 - y0);
    }
    return points[points.length - 1][1];
  };
}

/** Every tensor named in `targets` must be a sparsifiable tensor of the model (a typo would be ignored otherwise). */
export function checkLayerTargetNames(targets: LayerTargets, tensorNames: string[]): void {
  const known = new Set(tensorNames);
  for (const layers of Object.values(targets)) {
    for (const name of Object.keys(layers)) {
      if (!known.has(name)) throw configError(undefined, `sparsifier.layerTargets names "${name}", which is not a prunable weight of the model (${tensorNames.join(', ')})`);
    }
  }
}
