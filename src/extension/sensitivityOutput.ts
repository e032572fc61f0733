/** `elsa sensitivity --json` output as the dashboard's SensitivityData (pure, unit-tested). */
import type { SensitivityData } from '../protocol/webview';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The scan and suggestion the CLI printed; an Error naming what is missing when it is not that. `toUri` turns
 * the config's file path into the URI string the webview hands back to open it.
 */
export function sensitivityFromCliJson(stdout: string, toUri: (file: string) => string): SensitivityData {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw new Error('elsa sensitivity printed no JSON (details in the ELSA log)');
  }
  if (!isObj(value) || !isObj(value.scan) || !isObj(value.suggestion) || typeof value.config !== 'string') {
    throw new Error('elsa sensitivity printed JSON without scan, suggestion and config');
  }
  const scan = value.scan;
  const s = value.suggestion;
  const layers = Array.isArray(scan.layers) ? (scan.layers as Obj[]) : [];
  return {
    ...(typeof value.level === 'number' ? { level: value.level } : {}),
    dataset: String(value.dataset ?? ''),
    seconds: Number(value.seconds ?? 0),
    baseline: scan.baseline as SensitivityData['baseline'],
    layers: layers.map((l) => ({ name: String(l.name), size: Number(l.size), baseSparsity: Number(l.baseSparsity), points: l.points as SensitivityData['layers'][number]['points'] })),
    suggestion: {
      target: Number(s.target),
      reached: Number(s.reached),
      reachable: s.reachable === true,
      layers: (Array.isArray(s.layers) ? (s.layers as Obj[]) : []).map((l) => ({ name: String(l.name), sparsity: Number(l.sparsity), accuracyAlone: Number(l.accuracyAlone) })),
    },
    configUri: toUri(value.config),
  };
}
