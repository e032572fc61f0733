/** `elsa extract <ckpt> --level <k|sparsity> --format safetensors|tfjs|sparse --out <path>`. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../core/engine/backend';
import { usageError } from '../../core/errors';
import { writeFileAtomic } from '../../core/io/atomic';
import { exportOnnx } from '../../core/io/onnxExport';
import { writeSafetensors } from '../../core/io/safetensors';
import { writeSparseLevel } from '../../core/io/sparseFormat';
import { extractLevel, loadLevelModel } from '../../core/method/extract';
import { checkpointError } from '../../core/errors';
import { saveLayersModelFile } from '../../core/models/layersFile';
import { VERSION } from '../../core/version';
import { numberOption, type CommandSpec, type Parsed } from '../args';
import { makeOutputDir, stopIfAborted } from '../supervisor';
import { percent } from '../tables';
import { TFJS_MODEL_FILE, tfjsWeightsFileName } from '../../protocol/runFolder';
import { checkOutputFiles } from '../outputPath';

export const extractSpec: CommandSpec = {
  name: 'extract',
  usage: 'extract <checkpoint> --level <k|sparsity> --format safetensors|tfjs|sparse|onnx --out <path>',
  summary:
    'Extract one level of an ELSA checkpoint: the weights outside its mask zeroed, its own small parameters.\n' +
    '  safetensors  same tensor names, loadable from PyTorch\n' +
    '  tfjs         model.json + weights.bin (NAME.json + NAME.weights.bin), loadable by stock tf.loadLayersModel\n' +
    '  sparse       compressed sparse form (bitmap + nonzero values); shrinks with sparsity\n' +
    '  onnx         one .onnx file (opset 13, NHWC input like the TF.js model), for ONNX Runtime and friends',
  options: { level: { type: 'string', short: 'l' }, format: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' } },
  help: [
    '-l, --level <k|s>   level index 1..K+1, or a target sparsity such as 0.9',
    '-f, --format <fmt>  safetensors (default) | tfjs | sparse | onnx',
    '-o, --out <path>    output file (tfjs: the model.json path or a folder)',
  ],
  minPositionals: 1,
  maxPositionals: 1,
};

export async function runExtractCommand(file: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const level = numberOption(values, 'level');
  if (level === undefined) throw usageError('extract: --level is required (see elsa extract --help)');
  const format = (values.format as string | undefined) ?? 'safetensors';
  if (!['safetensors', 'tfjs', 'sparse', 'onnx'].includes(format)) throw usageError(`extract: --format must be safetensors, tfjs, sparse or onnx, got "${format}"`);
  const given = values.out as string | undefined;
  if (!given) throw usageError('extract: --out is required (see elsa extract --help)');
  const out = resolveOut(given, format);
  const example = `level.${format === 'sparse' ? 'sparse.safetensors' : format === 'onnx' ? 'onnx' : 'safetensors'}`;
  checkOutputFiles('extract', format === 'tfjs' ? [out, path.join(path.dirname(out), tfjsWeightsFileName(out))] : [out], [file], example);
  console.log(`Extracting level ${level} of ${path.resolve(file)} to ${out}`);

  let extracted: Awaited<ReturnType<typeof extractLevel>>;
  if (format === 'tfjs') {
    await initEngine((process.env.ELSA_BACKEND as 'auto' | undefined) ?? 'auto');
    stopIfAborted(signal);
    const loaded = await loadLevelModel(file, level, { signal });
    try {
      extracted = loaded.extracted;
      stopIfAborted(signal);
      // Output folders are created, as a user expects from `--out exports/level1`, only now that there is
      // something to write (and are removed again if the command is stopped before it is written).
      makeOutputDir(path.dirname(out));
      await saveLayersModelFile(loaded.model, out);
    } finally {
      loaded.model.dispose();
    }
  } else {
    extracted = await extractLevel(file, level, signal);
    stopIfAborted(signal);
    makeOutputDir(path.dirname(out));
    const source = { checkpoint: path.basename(file), level: extracted.level };
    const info = extracted.meta.levels.find((l) => l.index === extracted.level);
    if (format === 'onnx') {
      if (!extracted.meta.topology) throw checkpointError(path.basename(file), 'the checkpoint has no model topology, so there is no graph to export');
      const pieces = exportOnnx(extracted.meta.topology, extracted.weights, {
        file: path.basename(file),
        producerVersion: VERSION,
        docString: `Level ${extracted.level} of ${path.basename(file)}, extracted by ELSA Studio. Input NHWC, output logits.`,
        metadata: { 'elsa-level': JSON.stringify({ ...source, targetSparsity: info?.targetSparsity, sparsity: info?.sparsity, metrics: info?.metrics }) },
      });
      await writeFileAtomic(out, pieces);
    } else if (format === 'safetensors') {
      await writeSafetensors(out, extracted.weights, {
        'elsa-level': JSON.stringify({ ...source, targetSparsity: info?.targetSparsity, sparsity: info?.sparsity, metrics: info?.metrics }),
      });
    } else {
      await writeSparseLevel(out, extracted.weights, { source: { ...source, sparsity: info?.sparsity, targets: extracted.meta.targets }, topology: extracted.meta.topology });
    }
  }
  const info = extracted.meta.levels.find((l) => l.index === extracted.level);
  const size = statSync(out).size;
  console.log(`wrote ${out}: level ${extracted.level} (${percent(info?.sparsity)} sparse, test acc ${percent(info?.metrics.accuracy)}), ${format}, ${size} bytes`);
  return 0;
}

/**
 * The absolute output file; a folder given for tfjs gets model.json. Any other format's folder is refused by
 * checkOutputFiles (an existing folder is never overwritten).
 */
function resolveOut(given: string, format: string): string {
  const out = path.resolve(given);
  if (format === 'tfjs' && ((existsSync(out) && statSync(out).isDirectory()) || !out.endsWith('.json'))) return path.join(out, TFJS_MODEL_FILE);
  return out;
}
