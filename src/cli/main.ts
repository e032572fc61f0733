/**
 * The `elsa` entry point. The command runs in a worker thread supervised by this one, so SIGTERM/SIGINT stop
 * it within a second even when it is busy in synchronous code (src/cli/supervisor.ts). This module loads only
 * the supervisor: the commands (and TF.js) load in the worker, so the main thread handles signals from its
 * first milliseconds. ELSA_IN_PROCESS=1 runs the command on this thread instead (signals are then seen only
 * when the event loop is free).
 */
import { isMainThread } from 'node:worker_threads';
import { GRACE_MS, inSupervisedWorker, onParentGone, runSupervisedWorker, SIGNALS, supervise } from './supervisor';

export async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  if (isMainThread && process.env.ELSA_IN_PROCESS !== '1') {
    const training = argv[0] === 'train' || argv[0] === 'baseline' || argv[0] === 'study';
    return supervise(__filename, argv, training ? GRACE_MS.training : GRACE_MS.other);
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nStopping after the current step (Ctrl+C again to quit at once)…\n');
    controller.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  const stopParentWatch = onParentGone(onSignal);
  try {
    if (process.env.ELSA_TRACE === '1') process.stderr.write(`elsa: ${argv[0] ?? ''} started\n`);
    const { runCommand } = await import('./dispatch');
    return await runCommand(argv, controller.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    stopParentWatch();
  }
}

if (inSupervisedWorker()) {
  void import('./dispatch').then(({ runCommand }) => runSupervisedWorker(runCommand));
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
