/** Theme colours: CSS colour parsing, the palette from `--vscode-*` variables, and distinct level colours. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contrastRatio, denseLineColor, levelColors, luminance, mix, parseCssColor, readPalette, toCss } from '../../webview/colors';
import { THEME_VARS, type ThemeKind } from './harness/themes';

describe('CSS colour parsing', () => {
  it('reads the hex and rgb forms VS Code uses for theme variables', () => {
    assert.deepEqual(parseCssColor('#3794ff'), { r: 0x37, g: 0x94, b: 0xff, a: 1 });
    assert.deepEqual(parseCssColor(' #FFF '), { r: 255, g: 255, b: 255, a: 1 });
    assert.deepEqual(parseCssColor('#cccccc80'), { r: 204, g: 204, b: 204, a: 128 / 255 });
    assert.deepEqual(parseCssColor('#0008'), { r: 0, g: 0, b: 0, a: 136 / 255 });
    assert.deepEqual(parseCssColor('rgb(1, 2, 3)'), { r: 1, g: 2, b: 3, a: 1 });
    assert.deepEqual(parseCssColor('rgba(10,20,30,0.25)'), { r: 10, g: 20, b: 30, a: 0.25 });
    assert.deepEqual(parseCssColor('rgb(100% 0% 50% / 50%)'), { r: 255, g: 0, b: 128, a: 0.5 });
  });

  it('gives undefined for what it cannot read, so the caller falls back', () => {
    for (const bad of ['', 'red', '#12', '#12345', 'rgb(1,2)', 'rgb(a,b,c)', 'hsl(0 0% 0%)', 'var(--x)']) {
      assert.equal(parseCssColor(bad), undefined, bad);
    }
  });

  it('round-trips through toCss and mixes linearly', () => {
    const c = { r: 10, g: 20, b: 30, a: 0.5 };
    assert.deepEqual(parseCssColor(toCss(c)), c);
    assert.equal(toCss(c, 2), 'rgba(10, 20, 30, 1)');
    assert.deepEqual(mix({ r: 0, g: 0, b: 0, a: 1 }, { r: 255, g: 100, b: 50, a: 0 }, 0.5), { r: 128, g: 50, b: 25, a: 0.5 });
  });
});

describe('palette', () => {
  const light: Record<string, string> = {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-charts-blue': '#1a85ff',
  };

  it('takes the theme variables and falls back to Dark Modern for missing ones', () => {
    const p = readPalette((n) => light[n] ?? '', false, 'Segoe UI');
    assert.deepEqual(p.background, { r: 255, g: 255, b: 255, a: 1 });
    assert.deepEqual(p.blue, parseCssColor('#1a85ff'));
    assert.deepEqual(p.red, parseCssColor('#f14c4c'));
    assert.equal(p.fontFamily, 'Segoe UI');
    assert.ok(luminance(p.background) > luminance(p.foreground));
  });

  it('draws grid lines closer to the foreground in high contrast', () => {
    const normal = readPalette((n) => light[n] ?? '', false);
    const hc = readPalette((n) => light[n] ?? '', true);
    assert.ok(luminance(hc.grid) < luminance(normal.grid));
  });

  it('gives every level code its own opaque colour, the dense-only code a quiet one', () => {
    const p = readPalette(() => '', false);
    for (let codes = 1; codes <= 12; codes++) {
      const colors = levelColors(p, codes);
      assert.equal(colors.length, codes);
      assert.ok(colors.every((c) => c.a === 1));
      const keys = new Set(colors.map((c) => `${c.r},${c.g},${c.b}`));
      assert.equal(keys.size, codes, `${codes} codes need ${codes} distinct colours`);
    }
    assert.deepEqual(levelColors(p, 5)[0], { ...p.blue, a: 1 });
    assert.deepEqual(levelColors(p, 0), []);
  });

  it('draws the dense histogram curve visibly: at least 3:1 against the background (4.5:1 in high contrast), unlike the quiet heatmap colour', () => {
    for (const kind of ['light', 'dark', 'hc'] as ThemeKind[]) {
      const p = readPalette((n) => THEME_VARS[kind][n] ?? '', kind === 'hc');
      const bg = { ...p.background, a: 1 };
      const line = denseLineColor(p);
      assert.ok(contrastRatio(line, bg) >= (kind === 'hc' ? 4.5 : 3), `${kind}: ${toCss(line)} on ${toCss(bg)}`);
      assert.ok(contrastRatio(line, bg) > contrastRatio(p.grid, bg), `${kind}: dense curve stands out from the grid`);
      const quiet = levelColors(p, 4)[3];
      assert.ok(contrastRatio(quiet, bg) < contrastRatio(line, bg), kind);
    }
    // Random themes: as much contrast as asked for, or as the theme's own text has when that is less.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const hex = () => `#${Math.floor(rnd() * 0xffffff).toString(16).padStart(6, '0')}`;
    for (let i = 0; i < 200; i++) {
      const vars: Record<string, string> = { '--vscode-foreground': hex(), '--vscode-editor-background': hex() };
      const hc = i % 2 === 0;
      const p = readPalette((n) => vars[n] ?? '', hc);
      const bg = { ...p.background, a: 1 };
      const wanted = hc ? 4.5 : 3;
      const line = denseLineColor(p);
      const text = contrastRatio({ ...p.foreground, a: 1 }, bg);
      assert.ok(contrastRatio(line, bg) >= Math.min(wanted, text), JSON.stringify(vars));
    }
  });
});
