// Runs every test file under test/ (node 20's --test has no globs): unit and property tests first, the
// end-to-end UI tests last. `node scripts/run-tests.mjs cli io` runs only files whose path contains a word.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('test', { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
  .map((e) => path.join(e.parentPath ?? e.path, e.name))
  .filter((f) => !f.includes('node_modules') && (filters.length === 0 || filters.some((w) => f.includes(w))))
  .sort();
const isE2e = (f) => f.split(path.sep).includes('e2e');
const groups = [files.filter((f) => !isE2e(f)), files.filter(isE2e)].filter((g) => g.length > 0);
let failed = false;
for (const group of groups) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...group], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
