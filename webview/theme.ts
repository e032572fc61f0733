/**
 * The page's theme: VS Code sets `--vscode-*` variables on <html> and a `vscode-light | vscode-dark |
 * vscode-high-contrast` class on <body>, and changes both when the user switches theme. The palette is read at
 * render time and listeners are told when the class or the variables change.
 */
import { parseCssColor, readPalette, type Palette } from './colors';

let probe: CanvasRenderingContext2D | null | undefined;

/** Normalises any CSS colour the browser knows (names, hsl(), color-mix()) through a canvas context. */
function normalizeColor(value: string): string {
  if (!value || parseCssColor(value)) return value;
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return value;
  probe.fillStyle = '#000000';
  probe.fillStyle = value;
  return String(probe.fillStyle);
}

export function isHighContrast(): boolean {
  const c = document.body.classList;
  return c.contains('vscode-high-contrast') || c.contains('vscode-high-contrast-light');
}

export function currentPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const bodyStyle = getComputedStyle(document.body);
  const readVar = (name: string): string => normalizeColor((style.getPropertyValue(name) || bodyStyle.getPropertyValue(name)).trim());
  const font = (style.getPropertyValue('--vscode-font-family') || bodyStyle.fontFamily || 'sans-serif').trim();
  return readPalette(readVar, isHighContrast(), font);
}

/** Calls `onChange` (debounced to one animation frame) whenever the theme class or variables change. */
export function observeTheme(onChange: () => void): () => void {
  let queued = false;
  const fire = (): void => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      onChange();
    });
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
