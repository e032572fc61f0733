/**
 * New Training Run with the PyTorch engine (pure; unit-tested): the config the built-in draft gives, minus
 * the built-in model, plus `engine` (schemas/elsa-run.schema.json).
 */

/** The example entry the wizard can copy into the workspace (examples/ in the .vsix). */
export const EXAMPLE_SCRIPT = 'torch_resnet_fashion.py';
export const EXAMPLE_ENTRY = `${EXAMPLE_SCRIPT}:train`;

/** `module:function`, `path/script.py:function` or `path/script.py`. */
const ENTRY = /^(?:[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*(?::[A-Za-z_]\w*)?|[^:\s][^:]*\.py(?::[A-Za-z_]\w*)?)$/;

/** A readable problem with an entry typed by the user, or undefined when it is fine. */
export function entryProblem(entry: string): string | undefined {
  const e = entry.trim();
  if (!e) return 'Name a Python entry: module:function, script.py:function or script.py';
  if (!ENTRY.test(e)) return `"${e}" is not module:function, script.py:function or script.py`;
  return undefined;
}

export function withTorchEngine(config: Record<string, unknown>, entry: string, nproc: number): Record<string, unknown> {
  if (!Number.isInteger(nproc) || nproc < 1) throw new RangeError(`nproc must be a whole number >= 1, got ${nproc}`);
  const { model: _model, ...rest } = config;
  return { ...rest, engine: { type: 'torch', entry: entry.trim(), nproc } };
}
