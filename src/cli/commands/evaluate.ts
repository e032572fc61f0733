/** `elsa eval <checkpoint> [--level k|s]`: test accuracy of one or every level, on the run's dataset or --data. */
import { initEngine } from '../../core/engine/backend';
import { loadDataset } from '../../core/data/dataset';
import { readElsaCheckpoint } from '../../core/io/elsaCheckpoint';
import { evaluateModel, evaluationClasses } from '../../core/method/evaluate';
import { levelFromRequest, loadLevelModel } from '../../core/method/extract';
import { countOption, numberOption, type CommandSpec, type Parsed } from '../args';
import { checkpointDataset } from '../checkpointData';
import { stopIfAborted } from '../supervisor';
import { percent, textTable } from '../tables';

export const evalSpec: CommandSpec = {
  name: 'eval',
  usage: 'eval <checkpoint> [--level <k|sparsity>] [--data <path>] [--json]',
  summary: "Evaluate the levels of an ELSA checkpoint (each one extracted, as it would be deployed) on the run's\ntest split, or on --data.",
  options: { level: { type: 'string', short: 'l' }, data: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, backend: { type: 'string' } },
  help: [
    '-l, --level <k|s>   one level (index or target sparsity); default: all levels',
    '--data <path>       dataset folder or CSV (default: the one the run used)',
    '--limit <n>         evaluate at most n test samples',
    '--backend <name>    auto | node | wasm | cpu',
    '--json              print JSON',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

export async function runEvalCommand(file: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const ckpt = await readElsaCheckpoint(file);
  await ckpt.close();
  const { meta } = ckpt;
  const requested = numberOption(values, 'level');
  const levels = requested === undefined ? meta.levels.map((l) => l.index) : [levelFromRequest(requested, meta, file)];
  const dataSpec = { ...checkpointDataset(file, meta.config, values.data), limitTrain: 1 };
  const limit = countOption(values, 'limit');
  if (limit !== undefined) Object.assign(dataSpec, { limitTest: limit });
  await initEngine(((values.backend as string | undefined) ?? 'auto') as 'auto');
  stopIfAborted(signal);
  const dataset = await loadDataset(dataSpec);
  const rows: { level: number; sparsity: number; accuracy: number; loss: number; recorded?: number }[] = [];
  for (const level of levels) {
    stopIfAborted(signal);
    const { model } = await loadLevelModel(file, level, { signal, logits: true });
    try {
      stopIfAborted(signal);
      const numClasses = evaluationClasses(file, model, dataset);
      const ev = await evaluateModel(model, dataset.test, dataset.shape, { numClasses, signal });
      const info = meta.levels.find((l) => l.index === level);
      rows.push({ level, sparsity: info?.sparsity ?? NaN, accuracy: ev.accuracy, loss: ev.loss, recorded: info?.metrics.accuracy });
    } finally {
      model.dispose();
    }
  }
  if (values.json) console.log(JSON.stringify({ file, dataset: `${dataset.name} (${dataset.test.count} test)`, levels: rows }, null, 2));
  else {
    console.log(`${file} on ${dataset.name} (${dataset.test.count} test samples)\n`);
    console.log(
      textTable(
        ['level', 'sparsity', 'test accuracy', 'test loss', 'recorded at training'],
        rows.map((r) => [String(r.level), percent(r.sparsity), percent(r.accuracy), r.loss.toFixed(4), percent(r.recorded)]),
        [false, true, true, true, true],
      ),
    );
  }
  return 0;
}
