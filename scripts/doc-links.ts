// Every relative link in the repository's Markdown resolves: the file or folder exists, and a `#anchor` names
// a heading (GitHub's slug) or an `<a id>` / `<a name>` of the file it points into. The README, the scoreboard and
// the closing notes point into docs/results.md by anchors; a renamed heading would leave them dark, silently.
//
//   node --import tsx scripts/doc-links.ts            check the Markdown files git tracks; one line per broken link, exit 1
//
// Links to other hosts (http:, https:, mailto:) are not followed. Links inside code spans and fenced code are
// not links. `checkLinks` is what test/docs/links.test.ts runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** GitHub's heading slug: lower case, characters other than letters, marks, digits, `_`, `-` and spaces dropped, spaces → `-`. */
export function headingSlug(text: string): string {
  const plain = text
    .replace(/<[^>]*>/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '');
  return plain
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Text with fenced code blocks (and code spans unless `keepSpans`) blanked, same line count: their brackets are not links. */
function withoutCode(text: string, keepSpans = false): string {
  const lines = text.split('\n');
  let fence: string | null = null;
  return lines
    .map((line) => {
      const m = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = null;
        return '';
      }
      if (m) {
        fence = m[1];
        return '';
      }
      return keepSpans ? line : line.replace(/(`+)[^`]*?\1/g, (s) => ' '.repeat(s.length));
    })
    .join('\n');
}

/** The anchors a Markdown text defines: heading slugs (numbered when repeated, as GitHub does) and explicit ids. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // A heading's code spans count in its slug (`## Scan (\`elsa scan\`)` → `scan-elsa-scan`).
  for (const line of withoutCode(text, true).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = headingSlug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(a[1]);
  }
  return anchors;
}

/** `[text](target)` links of a Markdown text with their line numbers (images included, code excluded). */
export function linksOf(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 });
    });
  return out;
}

/**
 * Broken relative links of the given Markdown files (paths relative to `root`): `file:line: target (problem)`.
 * `read` is injectable so a test can check planted texts without files.
 */
export function checkLinks(root: string, files: string[], read = (f: string) => readFileSync(path.join(root, f), 'utf8')): string[] {
  // Each file is read once, whether its links or its anchors are wanted first.
  const textCache = new Map<string, string>();
  const text = (file: string): string => {
    let t = textCache.get(file);
    if (t === undefined) textCache.set(file, (t = read(file)));
    return t;
  };
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    let a = anchorCache.get(file);
    if (!a) anchorCache.set(file, (a = anchorsOf(text(file))));
    return a;
  };
  const known = new Set(files);
  const exists = (rel: string) => known.has(rel) || existsSync(path.join(root, rel));
  const problems: string[] = [];
  for (const file of files) {
    for (const { target, line } of linksOf(text(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const where = `${file}:${line}: ${target}`;
      const hash = target.indexOf('#');
      let filePart: string, anchor: string;
      try {
        filePart = decodeURI(hash >= 0 ? target.slice(0, hash) : target);
        anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : '';
      } catch {
        problems.push(`${where} (malformed %-escape)`);
        continue;
      }
      const rel = filePart === '' ? file : path.normalize(path.join(path.dirname(file), filePart));
      if (rel.startsWith('..')) {
        problems.push(`${where} (points outside the repository)`);
      } else if (!exists(rel)) {
        problems.push(`${where} (${rel} does not exist)`);
      } else if (anchor) {
        if (!rel.endsWith('.md')) problems.push(`${where} (an anchor into a file that is not Markdown)`);
        else if (!anchors(rel).has(anchor)) problems.push(`${where} (${rel} has no anchor "${anchor}")`);
      }
    }
  }
  return problems;
}

/**
 * The README's measured "mean ± spread" figures (e.g. `+0.91 ± 0.40`) that docs/results.md does not hold: the README
 * summarises, results.md is the record, and both are written by hand. Each figure is compared as text, a minus sign included
 * (`−` and `-` alike; a `+` may be left out on either side), with its line in the README.
 */
export function spreadsMissingFromRecord(readme: string, record: string): string[] {
  const figure = /[+−-]?\d+(?:\.\d+)? ± \d+(?:\.\d+)?/g;
  const norm = (t: string) => t.replace(/−/g, '-');
  const unsigned = (f: string) => f.replace(/^\+/, '');
  const held = new Set((norm(withoutCode(record, true)).match(figure) ?? []).map(unsigned));
  const missing: string[] = [];
  withoutCode(readme, true).split('\n').forEach((text, i) => {
    for (const f of norm(text).match(figure) ?? []) if (!held.has(unsigned(f))) missing.push(`README.md:${i + 1}: ${f}`);
  });
  return missing;
}

/** The Markdown files git tracks, relative to `root`; without git (an unpacked tarball), those outside build and run folders. */
export function trackedMarkdown(root: string): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\0');
  } catch {
    const skip = /(^|\/)(node_modules|dist|runs|\.git|\.vscode-test|test\/e2e\/run)(\/|$)/;
    listed = readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => f.split(path.sep).join('/')).filter((f) => f.endsWith('.md') && !skip.test(f));
  }
  return listed.filter((f) => f && !f.includes('node_modules/') && statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile()).sort();
}

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
  const problems = [...checkLinks(root, trackedMarkdown(root)), ...spreadsMissingFromRecord(read('README.md'), read('docs/results.md')).map((m) => `${m} (not in docs/results.md)`)];
  for (const p of problems) console.log(p);
  console.log(problems.length ? `${problems.length} problem(s)` : 'every relative link resolves; every spread the README quotes is in docs/results.md');
  process.exit(problems.length ? 1 : 0);
}
