/**
 * The `elsa` commands, dispatched by name (src/cli/main.ts loads this module lazily, so the supervising main
 * thread never loads TF.js). The command line: Every failure ends as one line naming the file and the problem, and a non-zero
 * exit code: 1 for errors in files or data, 2 for usage errors, 130 when interrupted.
 */
import { initEngine } from '../core/engine/backend';
import { errorLine, isElsaError } from '../core/errors';
import { VERSION } from '../core/version';
import { commandHelp, parseCommand, type CommandSpec } from './args';
import { baselineSpec, runBaselineCommand } from './commands/baseline';
import { compareSpec, runCompareCommand } from './commands/compare';
import { evalSpec, runEvalCommand } from './commands/evaluate';
import { extractSpec, runExtractCommand } from './commands/extract';
import { inspectSpec, runInspectCommand } from './commands/inspect';
import { predictSpec, runPredictCommand } from './commands/predict';
import { reportSpec, runReportCommand } from './commands/report';
import { runSensitivityCommand, sensitivitySpec } from './commands/sensitivity';
import { runStudyCommand, studySpec } from './commands/study';
import { runTrainingCommand, trainSpec } from './commands/train';
import { Interrupted } from './supervisor';

const COMMANDS: CommandSpec[] = [trainSpec, baselineSpec, extractSpec, evalSpec, inspectSpec, reportSpec, studySpec, sensitivitySpec, compareSpec, predictSpec];

const MAIN_HELP = `elsa ${VERSION} — train, extract and inspect nested sparse networks (ELSA)

Usage: elsa <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

Options:
  --version   print the version and the compute backend in use
  -h, --help  show help (also: elsa <command> --help)

Exit codes: 0 ok, 1 error in a file or data, 2 usage error, 130 interrupted (the last complete epoch is kept).`;

async function run(argv: string[], signal: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    console.log(MAIN_HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    const engine = await initEngine('auto');
    console.log(`elsa ${VERSION} (backend: ${engine.detail})`);
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) {
    console.error(`UsageError: unknown command "${command}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see elsa --help)`);
    return 2;
  }
  const args = parseCommand(spec, rest);
  if (args.help) {
    console.log(commandHelp(spec));
    return 0;
  }
  const [target] = args.positionals;
  const v = args.values;
  switch (spec.name) {
    case 'train':
      return runTrainingCommand(target, { fresh: v.fresh === true, backend: v.backend as string | undefined, signal });
    case 'baseline':
      return runBaselineCommand(target, { fresh: v.fresh === true, backend: v.backend as string | undefined, only: v.only as string | undefined, signal });
    case 'extract':
      return runExtractCommand(target, v, signal);
    case 'eval':
      return runEvalCommand(target, v, signal);
    case 'inspect':
      return runInspectCommand(target, v, signal);
    case 'report':
      return runReportCommand(target, v, signal);
    case 'study':
      return runStudyCommand(target, { backend: v.backend as string | undefined, plot: v.plot === true, values: v, signal });
    case 'sensitivity':
      return runSensitivityCommand(target, v, signal);
    case 'compare':
      return runCompareCommand(target, args.positionals[1], v, signal);
    case 'predict':
      return runPredictCommand(target, v, signal);
  }
  return 2;
}

/** Runs one command in this thread; every failure becomes one line and an exit code. */
export async function runCommand(argv: string[], signal: AbortSignal): Promise<number> {
  try {
    return await run(argv, signal);
  } catch (e) {
    // Whatever broke after a stop request (a half-built model, a closed file) is a consequence of the stop.
    if (e instanceof Interrupted || signal.aborted) return 130;
    console.error(errorLine(e));
    if (!isElsaError(e) && process.env.ELSA_DEBUG) console.error(e);
    return isElsaError(e) && e.kind === 'UsageError' ? 2 : 1;
  }
}

