/** The dataset `elsa eval` and `elsa predict` read for a checkpoint: `--data` where given, else the one its run trained on. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkpointDataSpec } from '../core/config';
import type { DatasetSpec } from '../core/data/dataset';
import { dataError } from '../core/errors';

export function checkpointDataset(file: string, storedConfig: unknown, dataOption: unknown): DatasetSpec {
  if (typeof dataOption === 'string') return { path: path.resolve(dataOption) };
  const spec = checkpointDataSpec(file, storedConfig);
  // The stored path may not be here (a checkpoint copied to another machine, the data moved): say whose path it
  // is and what to do, instead of a bare "not found" for a path the user never typed.
  if (spec.path !== undefined && !existsSync(spec.path)) {
    throw dataError(spec.path, `dataset path not found: the data ${path.basename(file)} was trained on, as its run config names it; give --data <folder or CSV> to use another copy`);
  }
  return spec;
}
