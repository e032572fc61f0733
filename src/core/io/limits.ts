/**
 * Bounds every reader applies before it trusts a file (docs/reliability.md): a hostile or broken file gets a
 * one-line CheckpointError instead of unbounded memory, time or output.
 */

/** JSON text we parse whole: a model.json, or the ELSA metadata of a checkpoint. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** Tensors (or manifest weights) in one file. Real checkpoints have thousands at most. */
export const MAX_TENSORS = 100_000;
/** Characters of one tensor name. */
export const MAX_NAME_CHARS = 1024;
/** Characters of a name in a message or a table cell; longer ones are cut in the middle. */
export const SHOWN_NAME_CHARS = 120;

/** A name shortened for printing: the start and the end survive, which is where names differ. */
export function shortName(name: string, max = SHOWN_NAME_CHARS): string {
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

/** Shard files one `model.safetensors.index.json` may name (the largest public models use a few hundred). */
export const MAX_SHARDS = 10_000;
