/** `elsa inspect <file>`: what is in any safetensors file, ELSA checkpoint, sparse export or TF.js model.json. */
import { inspectFile } from '../../core/io/inspect';
import { formatInspectReport, reportJson } from '../../core/io/inspectFormat';
import type { CommandSpec, Parsed } from '../args';
import { stopIfAborted } from '../supervisor';

export const inspectSpec: CommandSpec = {
  name: 'inspect',
  usage: 'inspect <file> [--json]',
  summary: 'Show the tensors of a safetensors file (ELSA checkpoint or not), a sharded model (model.safetensors.index.json,\nor its folder), a sparse export or a TF.js model.json: shapes, dtypes, sizes, zeros, N:M sparsity and statistics,\nand for ELSA checkpoints the levels.',
  options: { json: { type: 'boolean' } },
  help: ['--json              print the report as JSON (non-finite numbers as the strings "Infinity", "-Infinity", "NaN")'],
  minPositionals: 1,
  maxPositionals: 1,
};

/** Reads only; a stop request during the read is served by the supervisor ending the worker. */
export async function runInspectCommand(file: string, values: Parsed['values'], signal?: AbortSignal): Promise<number> {
  const report = await inspectFile(file);
  stopIfAborted(signal);
  console.log(values.json ? reportJson(report) : formatInspectReport(report));
  return 0;
}
