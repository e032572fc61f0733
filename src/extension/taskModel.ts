/**
 * The `elsa` task definition (package.json `taskDefinitions`) and the CLI command line each one runs
 * (pure, unit-tested; tasks.ts turns them into VS Code tasks).
 */

export const TASK_TYPE = 'elsa';

export interface ElsaTaskDefinition {
  [key: string]: unknown;
  type: 'elsa';
  command: 'train' | 'baseline' | 'extract';
  /** Run config, for train and baseline (absolute, or relative to the workspace folder). */
  config?: string;
  /** Checkpoint to extract from. */
  checkpoint?: string;
  /** Level index 1..K+1, or a sparsity such as 0.9. */
  level?: number | string;
  format?: 'safetensors' | 'tfjs' | 'sparse' | 'onnx';
  out?: string;
}

export function isElsaTaskDefinition(d: { type: string; [key: string]: unknown }): d is ElsaTaskDefinition {
  return d.type === TASK_TYPE && (d.command === 'train' || d.command === 'baseline' || d.command === 'extract');
}

const FORMATS = new Set(['safetensors', 'tfjs', 'sparse', 'onnx']);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/** CLI arguments for a task definition (which may come from a hand-written tasks.json); a readable problem when it is incomplete. */
export function cliArgsFor(def: ElsaTaskDefinition): string[] | string {
  switch (def.command) {
    case 'train':
    case 'baseline':
      if (!isText(def.config)) return `an "elsa" ${def.command} task needs "config": the path of a *.elsa.json run config`;
      return [def.command, def.config];
    case 'extract': {
      if (!isText(def.checkpoint) || !isText(def.out)) return 'an "elsa" extract task needs "checkpoint", "level" and "out"';
      const level = def.level;
      if (!(typeof level === 'number' && Number.isFinite(level) && level > 0) && !(isText(level) && Number(level) > 0)) {
        return `"level" must be a level index (1, 2, …) or a sparsity such as 0.9, got ${JSON.stringify(level) ?? 'nothing'}`;
      }
      const format = def.format ?? 'safetensors';
      if (!FORMATS.has(format)) return `"format" must be safetensors, tfjs, sparse or onnx, got ${JSON.stringify(format)}`;
      return ['extract', def.checkpoint, '--level', String(level), '--format', format, '--out', def.out];
    }
  }
}

export function taskName(def: ElsaTaskDefinition): string {
  switch (def.command) {
    case 'train': return `train ${def.config ?? ''}`.trim();
    case 'baseline': return `baselines ${def.config ?? ''}`.trim();
    case 'extract': return `extract level ${def.level ?? '?'} of ${def.checkpoint ?? '?'} (${def.format ?? 'safetensors'})`;
  }
}
