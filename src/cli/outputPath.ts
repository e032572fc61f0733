/**
 * Output paths a command is given (`--out`): checked before anything is read or written. A path that is one of
 * the command's inputs (the same file by any name: a symlink, a hard link, `./x`) would be destroyed by the write
 * — `elsa extract ck.safetensors --out ck.safetensors` replaced the whole checkpoint by one level — so it is
 * refused; so is a folder where a file is wanted, or a parent that is a file.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../core/errors';

/** Same file: same device and inode (any name for it). */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Refuses `outputs` (the files the command will write) that are any of `inputs`, or that cannot be files.
 * `command` and `example` shape the one-line message: "extract: --out x is a folder; give a file name, e.g. …".
 */
export function checkOutputFiles(command: string, outputs: readonly string[], inputs: readonly string[], example?: string): void {
  for (const out of outputs) {
    if (existsSync(out) && statSync(out).isDirectory()) {
      throw usageError(`${command}: --out ${out} is a folder; give a file name${example ? `, e.g. ${path.join(out, example)}` : ''}`);
    }
    const parent = path.dirname(out);
    if (existsSync(parent) && !statSync(parent).isDirectory()) throw usageError(`${command}: cannot write ${out}: ${parent} is a file, not a folder`);
    const input = inputs.find((i) => sameFile(i, out));
    if (input !== undefined) {
      throw usageError(`${command}: --out ${out} is the input ${input}; writing it would destroy the input, so give another path`);
    }
  }
}
