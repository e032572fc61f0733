/**
 * What a Compare panel needs to come back after a window reload: its two sides (file and level), remembered in
 * the workspace state under the panel's title ("ELSA: a@1 ↔ b@2"), which VS Code restores with the panel. Pure
 * (no vscode import); compareHost.ts reads and writes the map.
 */

export const COMPARE_SIDES_KEY = 'elsa.compare.titleSides';
/** The most comparisons remembered; the oldest goes first. */
export const MAX_REMEMBERED_COMPARISONS = 50;

export interface SavedSide {
  /** The file's URI, as vscode.Uri.toString() writes it. */
  uri: string;
  level?: number;
}

export interface SavedComparison {
  a: SavedSide;
  b: SavedSide;
}

/** The map with `title` set to `sides` (moved to the newest place), at most `max` entries. */
export function rememberComparison(map: unknown, title: string, sides: SavedComparison, max = MAX_REMEMBERED_COMPARISONS): Record<string, SavedComparison> {
  const entries = Object.entries(isRecord(map) ? map : {}).filter(([t, s]) => t !== title && readComparison(s));
  entries.push([title, sides]);
  return Object.fromEntries(entries.slice(Math.max(0, entries.length - max))) as Record<string, SavedComparison>;
}

/** The sides remembered for a panel title, or undefined (nothing remembered, or a state written by someone else). */
export function comparisonForTitle(map: unknown, title: string): SavedComparison | undefined {
  return isRecord(map) && Object.prototype.hasOwnProperty.call(map, title) ? readComparison(map[title]) : undefined;
}

function readComparison(value: unknown): SavedComparison | undefined {
  if (!isRecord(value)) return undefined;
  const a = readSide(value.a);
  const b = readSide(value.b);
  return a && b ? { a, b } : undefined;
}

function readSide(value: unknown): SavedSide | undefined {
  if (!isRecord(value) || typeof value.uri !== 'string' || value.uri === '') return undefined;
  if (value.level === undefined) return { uri: value.uri };
  return Number.isInteger(value.level) && (value.level as number) >= 0 ? { uri: value.uri, level: value.level as number } : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
