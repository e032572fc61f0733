/**
 * The `elsa` command line. Every failure ends as one line naming the file and the problem, and a non-zero
 * exit code: 1 for errors in files or data, 2 for usage errors, 130 when interrupted.
 */
import { initEngine } from '../core/engine/backend';
import { errorLine, isElsaError } from '../core/errors';
import { isMainThread } from 'node:worker_threads';
import { VERSION } from '../core/version';
import { commandHelp, parseCommand, type CommandSpec } from './args';
import { baselineSpec, runBaselineCommand } from './commands/baseline';
import { evalSpec, runEvalCommand } from './commands/evaluate';
import { extractSpec, runExtractCommand } from './commands/extract';
import { inspectSpec, runInspectCommand } from './commands/inspect';
import { reportSpec, runReportCommand } from './commands/report';
import { runTrainingCommand, trainSpec } from './commands/train';
import { Interrupted, inSupervisedWorker, runSupervisedWorker, SIGNALS, supervise } from './supervisor';

const COMMANDS: CommandSpec[] = [trainSpec, baselineSpec, extractSpec, evalSpec, inspectSpec, reportSpec];

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

/**
 * The `elsa` entry point. The command runs in a worker thread supervised by this one, so SIGTERM/SIGINT stop
 * it within a second even when it is busy in synchronous code (src/cli/supervisor.ts). ELSA_IN_PROCESS=1 runs
 * it on this thread instead (signals are then seen only when the event loop is free).
 */
export async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  if (isMainThread && process.env.ELSA_IN_PROCESS !== '1') return supervise(__filename, argv);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nStopping after the current step (Ctrl+C again to quit at once)…\n');
    controller.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    return await runCommand(argv, controller.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

if (inSupervisedWorker()) {
  void runSupervisedWorker(runCommand);
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
