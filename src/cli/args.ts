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

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(`${spec.name}: ${(e as Error).message.split('\n')[0]} (see elsa ${spec.name} --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals, help: true };
  const n = parsed.positionals.length;
  if (n < spec.minPositionals || n > spec.maxPositionals) {
    throw usageError(`${spec.name}: expected ${spec.usage.split(' ').slice(1).filter((w) => w.startsWith('<')).join(' ') || 'no arguments'} (see elsa ${spec.name} --help)`);
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
