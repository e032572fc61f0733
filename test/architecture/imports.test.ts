/**
 * The import rules of docs/architecture.md §3, checked on the source text (eslint's no-restricted-imports says
 * the same per folder; this test also runs in `npm test`): no import cycles among the modules of src/ and
 * webview/, and src/protocol and webview/ import nothing from src/core, src/cli or src/extension.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOTS = ['src', 'webview'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (n === 'node_modules') return [];
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers a file imports or re-exports (type-only included: a type cycle is a tangle too). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) out.push(spec);
  }
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.join(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts'), base]) if (existsSync(c) && statSync(c).isFile() && c.endsWith('.ts')) return c;
  return undefined;
}

export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    graph.set(f, importsOf(readFileSync(f, 'utf8')).map((s) => resolve(f, s)).filter((t): t is string => t !== undefined));
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path that closes it (a → b → a). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

describe('import rules', () => {
  const graph = importGraph(ROOTS.flatMap(sourceFiles));

  it('the walker sees the imports (sanity: the webview imports the protocol)', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files found`);
    assert.ok(graph.get(path.join('webview', 'main.ts'))?.includes(path.join('src', 'protocol', 'validate.ts')));
  });

  it('finds a cycle when there is one', () => {
    assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', []], ['c', ['a', 'b']]])), []);
    assert.deepEqual(importsOf("import type { A } from './a';\nexport { b } from '../b';\nimport './side';\nimport x from 'pkg';"), ['./a', '../b', './side']);
  });

  it('has no import cycles in src/ and webview/', () => {
    const cycles = findCycles(graph);
    assert.deepEqual(cycles.map((c) => c.join(' → ')), []);
  });

  it('src/protocol and webview/ import only from src/protocol and webview/', () => {
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      if (!file.startsWith(`src${path.sep}protocol${path.sep}`) && !file.startsWith(`webview${path.sep}`)) continue;
      for (const t of targets) if (!t.startsWith(`src${path.sep}protocol${path.sep}`) && !t.startsWith(`webview${path.sep}`)) bad.push(`${file} → ${t}`);
    }
    assert.deepEqual(bad, []);
  });
});
