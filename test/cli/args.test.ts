/** The CLI's argument parsing: usage errors that say what to type. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countOption, numberOption, parseCommand, positionalsOf, type CommandSpec } from '../../src/cli/args';
import { isElsaError } from '../../src/core/errors';
import { evalSpec } from '../../src/cli/commands/evaluate';
import { extractSpec } from '../../src/cli/commands/extract';
import { studySpec } from '../../src/cli/commands/study';

const usageError = (pattern: RegExp) => (e: unknown) => isElsaError(e) && e.kind === 'UsageError' && pattern.test(e.problem);

test('a wrong number of arguments names the positionals only, not option values', () => {
  assert.equal(positionalsOf(extractSpec.usage), '<checkpoint>');
  assert.equal(positionalsOf(studySpec.usage), '<study.json>, or --plot <study-dir>');
  assert.equal(positionalsOf('compare <a>[@level] <b>[@level] [--bins <n>] [--json]'), '<a>[@level] <b>[@level]');
  assert.equal(positionalsOf('x'), 'no arguments');
  assert.throws(() => parseCommand(extractSpec, ['a', 'b', '--level', '1']), usageError(/^extract: expected <checkpoint> \(see elsa extract --help\)$/));
});

test('a negative value after a space gets the way to write it, not a cut-off node message', () => {
  assert.throws(() => parseCommand(evalSpec, ['ck', '--level', '-1']), usageError(/^eval: a value starting with "-" is written --level=-1/));
  assert.equal(parseCommand(evalSpec, ['ck', '--level=-1']).values.level, '-1');
});

test('numbers are decimal; counts are whole numbers >= 1', () => {
  const spec: CommandSpec = { ...evalSpec };
  const values = (v: string) => parseCommand(spec, ['ck', '--limit', v]).values;
  for (const ok of ['3', '0.9', '.5', '1e-3', '-2', '+4']) assert.equal(numberOption({ x: ok }, 'x'), Number(ok), ok);
  for (const bad of ['0x1', '0b1', '0o7', 'Infinity', '1_000', '', ' ', '1e']) assert.throws(() => numberOption({ x: bad }, 'x'), usageError(/--x must be a number/), bad);
  assert.equal(countOption(values('5'), 'limit'), 5);
  for (const bad of ['0', '2.5', '-1e0']) assert.throws(() => countOption({ limit: bad }, 'limit'), usageError(/--limit must be a whole number of at least 1/), bad);
});
