/** Argument parsing for the `elsa` subcommands: node's parseArgs, with our usage errors and help text. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../core/errors';

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Lines of option help, already formatted. */
  help: string[];
  minPositionals: number;
  maxPositionals: number;
}

export function commandHelp(spec: CommandSpec): string {
  return [`Usage: elsa ${spec.usage}`, '', spec.summary, '', 'Options:', ...spec.help.map((h) => `  ${h}`), '  -h, --help          show this help'].join('\n');
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * The positional arguments a usage line names, per alternative: the `<…>` words before its first option or
 * `[…]` (an option's `<value>` is not a positional). `study <study.json> | study --plot <study-dir>` →
 * "<study.json>, or --plot <study-dir>".
 */
export function positionalsOf(usage: string): string {
  const alternatives = usage.split(' | ').map((alt, i) => {
    const words = alt.split(' ').slice(1);
    const stop = words.findIndex((w) => w.startsWith('-') || w.startsWith('['));
    const positional = (stop < 0 ? words : words.slice(0, stop)).filter((w) => w.startsWith('<'));
    // A later alternative that differs by an option is shown with it (`--plot <study-dir>`).
    return i > 0 && stop >= 0 ? words.filter((w) => !w.startsWith('[')).join(' ') : positional.join(' ');
  });
  return alternatives.filter(Boolean).join(', or ') || 'no arguments';
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    const message = (e as Error).message;
    // "Option '--level' argument is ambiguous. … use '--level=-XYZ'": the fix is on a later line of node's text.
    const dash = /use '(--[\w-]+)=-XYZ'/.exec(message);
    if (dash) throw usageError(`${spec.name}: a value starting with "-" is written ${dash[1]}=-1 (see elsa ${spec.name} --help)`);
    throw usageError(`${spec.name}: ${message.split('\n')[0]} (see elsa ${spec.name} --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  const n = parsed.positionals.length;
  if (n < spec.minPositionals || n > spec.maxPositionals) {
    throw usageError(`${spec.name}: expected ${positionalsOf(spec.usage)} (see elsa ${spec.name} --help)`);
  }
  return { values, positionals: parsed.positionals, help: false };
}

/** A decimal number as a person writes it: `3`, `0.9`, `.5`, `1e-3` (not `0x1`, `0b1` or `Infinity`, which Number() takes). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A numeric option, with a usage error naming it. */
export function numberOption(values: Parsed['values'], name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !DECIMAL.test(v.trim()) || !Number.isFinite(n)) throw usageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** A count option (a whole number ≥ 1), with a usage error naming it. */
export function countOption(values: Parsed['values'], name: string): number | undefined {
  const n = numberOption(values, name);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw usageError(`--${name} must be a whole number of at least 1, got ${JSON.stringify(values[name])}`);
  return n;
}
