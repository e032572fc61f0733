/**
 * Theme colours as numbers. VS Code hands the webview its theme as `--vscode-*` CSS variables; charts take CSS
 * strings, but the heatmap writes pixels, so colours are parsed to RGBA here. Pure: the caller supplies the
 * variable reader (getComputedStyle in the page, a table in tests).
 */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  /** 0..1 */
  a: number;
}

const clamp255 = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
const clamp01 = (v: number): number => Math.max(0, Math.min(1, v));

/** Parses `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb(…)` and `rgba(…)` (comma or space syntax, % alpha). */
export function parseCssColor(text: string): Rgba | undefined {
  const s = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(s);
  if (hex) {
    const h = hex[1];
    if (h.length === 3 || h.length === 4) {
      const d = [...h].map((c) => parseInt(c + c, 16));
      return { r: d[0], g: d[1], b: d[2], a: h.length === 4 ? d[3] / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      const d = [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16));
      return { r: d[0], g: d[1], b: d[2], a: h.length === 8 ? d[3] / 255 : 1 };
    }
    return undefined;
  }
  const fn = /^rgba?\((.*)\)$/.exec(s);
  if (!fn) return undefined;
  const parts = fn[1].split(/[\s,/]+/).filter((p) => p.length > 0);
  if (parts.length !== 3 && parts.length !== 4) return undefined;
  const channel = (p: string): number => (p.endsWith('%') ? (parseFloat(p) / 100) * 255 : parseFloat(p));
  const rgb = parts.slice(0, 3).map(channel);
  if (rgb.some((v) => !Number.isFinite(v))) return undefined;
  let a = 1;
  if (parts.length === 4) {
    a = parts[3].endsWith('%') ? parseFloat(parts[3]) / 100 : parseFloat(parts[3]);
    if (!Number.isFinite(a)) return undefined;
  }
  return { r: clamp255(rgb[0]), g: clamp255(rgb[1]), b: clamp255(rgb[2]), a: clamp01(a) };
}

export function toCss(c: Rgba, alpha = c.a): string {
  return `rgba(${c.r}, ${c.g}, ${c.b}, ${+clamp01(alpha).toFixed(3)})`;
}

/** Linear blend: t = 0 gives a, t = 1 gives b. */
export function mix(a: Rgba, b: Rgba, t: number): Rgba {
  return {
    r: clamp255(a.r + (b.r - a.r) * t),
    g: clamp255(a.g + (b.g - a.g) * t),
    b: clamp255(a.b + (b.b - a.b) * t),
    a: clamp01(a.a + (b.a - a.a) * t),
  };
}

/** WCAG relative luminance, to tell light from dark backgrounds. */
export function luminance(c: Rgba): number {
  const lin = (v: number): number => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

export interface Palette {
  foreground: Rgba;
  background: Rgba;
  /** Secondary text and reference lines. */
  muted: Rgba;
  grid: Rgba;
  blue: Rgba;
  red: Rgba;
  green: Rgba;
  yellow: Rgba;
  orange: Rgba;
  purple: Rgba;
  fontFamily: string;
  /** High-contrast themes want thicker lines and no translucent fills. */
  highContrast: boolean;
}

const FALLBACK_DARK: Record<string, string> = {
  '--vscode-foreground': '#cccccc',
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-charts-lines': '#8080807f',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-purple': '#b180d7',
};

/** Builds the palette from a CSS variable reader; missing or unparsable variables fall back to Dark Modern. */
export function readPalette(readVar: (name: string) => string, highContrast: boolean, fontFamily = 'sans-serif'): Palette {
  const get = (name: string): Rgba => parseCssColor(readVar(name)) ?? (parseCssColor(FALLBACK_DARK[name]) as Rgba);
  const foreground = get('--vscode-foreground');
  const background = get('--vscode-editor-background');
  return {
    foreground,
    background,
    muted: get('--vscode-descriptionForeground'),
    grid: highContrast ? mix(background, foreground, 0.45) : mix(background, foreground, 0.15),
    blue: get('--vscode-charts-blue'),
    red: get('--vscode-charts-red'),
    green: get('--vscode-charts-green'),
    yellow: get('--vscode-charts-yellow'),
    orange: get('--vscode-charts-orange'),
    purple: get('--vscode-charts-purple'),
    fontFamily,
    highContrast,
  };
}

/**
 * One opaque colour per level code 1..K+1 (array index = code - 1). Sparse levels take the chart colours in a
 * fixed order (sparsest = blue); beyond six levels the hues repeat, blended towards the background so they stay
 * distinct. The dense-only code gets a quiet colour so the few weights the sparse levels keep stand out.
 */
export function levelColors(p: Palette, codeCount: number): Rgba[] {
  // Neighbouring levels get unlike hues (yellow and orange are close in every built-in theme).
  const hues = [p.blue, p.green, p.orange, p.purple, p.red, p.yellow];
  const out: Rgba[] = [];
  const sparse = Math.max(0, codeCount - 1);
  for (let i = 0; i < sparse; i++) {
    const round = Math.floor(i / hues.length);
    const base = { ...hues[i % hues.length], a: 1 };
    out.push(round === 0 ? base : mix(base, { ...p.background, a: 1 }, Math.min(0.6, 0.3 * round)));
  }
  if (codeCount > 0) {
    const quiet = mix({ ...p.background, a: 1 }, { ...p.foreground, a: 1 }, p.highContrast ? 0.35 : 0.22);
    out.push(quiet);
  }
  return out;
}

/** WCAG contrast ratio of two opaque colours (1..21). */
export function contrastRatio(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The dense level drawn as a line (histogram): a neutral between background and foreground, but no quieter
 * than WCAG's 3:1 for graphics (4.5:1 in high contrast). The heatmap's quiet dense cell colour is too faint
 * for a thin curve and a translucent band, which then vanish into the grid.
 */
export function denseLineColor(p: Palette): Rgba {
  const bg = { ...p.background, a: 1 };
  const fg = { ...p.foreground, a: 1 };
  const wanted = p.highContrast ? 4.5 : 3;
  // Start at a mid neutral and walk towards the foreground until it stands out enough.
  for (let t = 0.5; t < 1; t += 0.05) {
    const c = mix(bg, fg, t);
    if (contrastRatio(c, bg) >= wanted) return c;
  }
  return fg;
}
