/**
 * What "ELSA: New Training Run" writes (pure, unit-tested against the run-config schema): the user's few
 * choices turned into a schema-valid `*.elsa.json`.
 */

export type ModelChoice = 'mlp' | 'cnn' | 'resnet';
export type SparsifierChoice = 'gmp' | 'magnitude' | 'nm' | 'acdc';
export type EpochPreset = 'quick' | 'standard' | 'thorough';
/** debian: Fashion-MNIST from the Debian package (else the embedded subset); embedded: always the subset that ships with the extension. */
export type DataChoice = { kind: 'debian' } | { kind: 'embedded' } | { kind: 'folder'; path: string };

export const LEVEL_PRESETS: Readonly<Record<string, { label: string; levels: number[] }>> = {
  paper: { label: '95 / 90 / 75 / 50 %', levels: [0.95, 0.9, 0.75, 0.5] },
  moderate: { label: '90 / 75 / 50 %', levels: [0.9, 0.75, 0.5] },
  extreme: { label: '99 / 98 / 95 / 90 %', levels: [0.99, 0.98, 0.95, 0.9] },
};

/** N:M needs (1 - s) * m to be a whole number: these levels work with m = 8 (1:8, 2:8, 4:8). */
export const NM_LEVELS = { levels: [0.875, 0.75, 0.5], m: 8 };

export const EPOCH_PRESETS: Readonly<Record<EpochPreset, { label: string; epochs: { warmup: number; perPhase: number; dense: number }; limitTrain?: number; limitTest?: number }>> = {
  quick: { label: 'Quick look: 1 epoch per phase on 6 000 images', epochs: { warmup: 1, perPhase: 1, dense: 1 }, limitTrain: 6000, limitTest: 1000 },
  standard: { label: 'Standard: 2 epochs per phase', epochs: { warmup: 1, perPhase: 2, dense: 1 } },
  thorough: { label: 'Thorough: 4 epochs per phase', epochs: { warmup: 2, perPhase: 4, dense: 2 } },
};

export interface RunDraft {
  name: string;
  model: ModelChoice;
  levelPreset: keyof typeof LEVEL_PRESETS;
  sparsifier: SparsifierChoice;
  epochs: EpochPreset;
  data: DataChoice;
  seed?: number;
}

export function buildRunConfig(draft: RunDraft): Record<string, unknown> {
  const preset = EPOCH_PRESETS[draft.epochs];
  const nm = draft.sparsifier === 'nm';
  const sparsifier: Record<string, unknown> = { type: draft.sparsifier, scope: 'global' };
  if (nm) {
    sparsifier.scope = 'layer';
    sparsifier.m = NM_LEVELS.m;
  }
  const data: Record<string, unknown> = {};
  if (draft.data.kind === 'folder') data.path = draft.data.path;
  else data.name = draft.data.kind === 'embedded' ? 'fashion-mnist-small' : 'fashion-mnist';
  if (preset.limitTrain) data.limitTrain = preset.limitTrain;
  if (preset.limitTest) data.limitTest = preset.limitTest;
  const config: Record<string, unknown> = {
    name: draft.name,
    model: { type: draft.model },
    levels: nm ? [...NM_LEVELS.levels] : [...(LEVEL_PRESETS[draft.levelPreset] ?? LEVEL_PRESETS.paper).levels],
    sparsifier,
    optimizer: draft.model === 'resnet' ? { type: 'adam', learningRate: 0.001 } : { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
    epochs: { ...preset.epochs },
    batchSize: 64,
    smallParams: 'perLevel',
    seed: draft.seed ?? 1,
    outDir: `runs/${draft.name}`,
  };
  if (Object.keys(data).length > 0) config.data = data;
  return config;
}

/** A run name the schema accepts and no existing config uses: "fashion-cnn", "fashion-cnn-2", … */
export function uniqueRunName(base: string, taken: ReadonlySet<string>): string {
  let clean = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 70).replace(/[-._]+$/, '') || 'run';
  if (!/^[A-Za-z0-9]/.test(clean)) clean = `run-${clean}`;
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}-${i}`)) return `${clean}-${i}`;
}


/** Relative path from the config's folder to a data folder, with `/` separators (both workspace-relative). */
export function relativeDataPath(configDir: string, dataDir: string): string {
  const from = configDir.split('/').filter(Boolean);
  const to = dataDir.split('/').filter(Boolean);
  let i = 0;
  while (i < from.length && i < to.length && from[i] === to[i]) i++;
  return [...from.slice(i).map(() => '..'), ...to.slice(i)].join('/') || '.';
}
