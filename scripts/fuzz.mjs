// Long fuzz runs over the readers (docs/reliability.md): mutants of a real ELSA checkpoint and of a
// model.json through every operation the CLI and the extension's store perform, one worker thread with a
// memory limit, a per-case time limit. Prints cases, typed errors, crashes, hangs and untyped errors; exits 1
// when any crash, hang or untyped error occurred. Failing inputs are kept under --out for replay.
//   node scripts/fuzz.mjs --cases 10000 --seed 1 [--timeout-ms 30000] [--out /tmp/elsa-fuzz] [--workers 1]
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/fuzz/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
