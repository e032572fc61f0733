/**
 * A subset of the `--vscode-*` variables VS Code sets on a webview's <html>, for the three theme kinds, with
 * values from the built-in Light Modern, Dark Modern and High Contrast themes (enough for the dashboard and
 * vscode-elements to render as they would in the editor).
 */

export type ThemeKind = 'light' | 'dark' | 'hc';

export const BODY_CLASS: Record<ThemeKind, string> = { light: 'vscode-light', dark: 'vscode-dark', hc: 'vscode-high-contrast' };

const common: Record<string, string> = {
  '--vscode-font-family': "system-ui, -apple-system, 'Segoe UI', 'Ubuntu', 'Droid Sans', sans-serif",
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
};

export const THEME_VARS: Record<ThemeKind, Record<string, string>> = {
  light: {
    ...common,
    '--vscode-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-errorForeground': '#f85149',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-widget-border': '#e5e5e5',
    '--vscode-editorWidget-background': '#f8f8f8',
    '--vscode-list-hoverBackground': '#f2f2f2',
    '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
    '--vscode-textBlockQuote-background': '#f8f8f8',
    '--vscode-textBlockQuote-border': '#e5e5e5',
    '--vscode-testing-iconPassed': '#388a34',
    '--vscode-charts-foreground': '#616161',
    '--vscode-charts-lines': '#61616180',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#652d90',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-button-secondaryHoverBackground': '#cccccc',
    '--vscode-settings-dropdownBackground': '#ffffff',
    '--vscode-settings-dropdownForeground': '#3b3b3b',
    '--vscode-settings-dropdownBorder': '#cecece',
    '--vscode-settings-dropdownListBorder': '#c8c8c8',
    '--vscode-settings-checkboxBackground': '#f8f8f8',
    '--vscode-settings-checkboxBorder': '#cecece',
    '--vscode-settings-checkboxForeground': '#3b3b3b',
    '--vscode-list-activeSelectionBackground': '#e8e8e8',
    '--vscode-list-activeSelectionForeground': '#000000',
  },
  dark: {
    ...common,
    '--vscode-foreground': '#cccccc',
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-errorForeground': '#f85149',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-widget-border': '#313131',
    '--vscode-editorWidget-background': '#202020',
    '--vscode-list-hoverBackground': '#2a2d2e',
    '--vscode-list-inactiveSelectionBackground': '#37373d',
    '--vscode-textBlockQuote-background': '#2b2b2b',
    '--vscode-textBlockQuote-border': '#616161',
    '--vscode-testing-iconPassed': '#73c991',
    '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-lines': '#cccccc80',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    '--vscode-settings-dropdownBackground': '#313131',
    '--vscode-settings-dropdownForeground': '#cccccc',
    '--vscode-settings-dropdownBorder': '#3c3c3c',
    '--vscode-settings-dropdownListBorder': '#454545',
    '--vscode-settings-checkboxBackground': '#313131',
    '--vscode-settings-checkboxBorder': '#3c3c3c',
    '--vscode-settings-checkboxForeground': '#cccccc',
    '--vscode-list-activeSelectionBackground': '#04395e',
    '--vscode-list-activeSelectionForeground': '#ffffff',
  },
  hc: {
    ...common,
    '--vscode-foreground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-errorForeground': '#f48771',
    '--vscode-focusBorder': '#f38518',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-widget-border': '#6fc3df',
    '--vscode-editorWidget-background': '#0c141f',
    '--vscode-list-hoverBackground': '#000000',
    '--vscode-textBlockQuote-background': '#000000',
    '--vscode-textBlockQuote-border': '#ffffff',
    '--vscode-testing-iconPassed': '#73c991',
    '--vscode-charts-foreground': '#ffffff',
    '--vscode-charts-lines': '#ffffff',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-yellow': '#ffd700',
    '--vscode-charts-orange': '#ff8c00',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-settings-dropdownBackground': '#000000',
    '--vscode-settings-dropdownForeground': '#ffffff',
    '--vscode-settings-dropdownBorder': '#6fc3df',
    '--vscode-settings-dropdownListBorder': '#6fc3df',
    '--vscode-settings-checkboxBackground': '#000000',
    '--vscode-settings-checkboxBorder': '#6fc3df',
    '--vscode-settings-checkboxForeground': '#ffffff',
    '--vscode-list-activeSelectionBackground': '#000000',
    '--vscode-list-activeSelectionForeground': '#ffffff',
  },
};

/** One rule per theme, `html.theme-<kind>`, so the page can switch themes at run time like VS Code does. */
export function themeCss(): string {
  return (Object.keys(THEME_VARS) as ThemeKind[])
    .map((kind) => {
      const vars = Object.entries(THEME_VARS[kind])
        .map(([k, v]) => `  ${k}: ${v};`)
        .join('\n');
      return `html.theme-${kind} {\n${vars}\n}\n`;
    })
    .join('\n');
}
