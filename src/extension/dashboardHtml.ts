/**
 * The dashboard's HTML (pure, unit-tested): a strict Content-Security-Policy — nothing by default, scripts
 * only with this page's nonce, styles from the extension or with the nonce, images from the extension or
 * data: URIs — and the one script bundle, dist/webview.js.
 */
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `asWebviewUri` of dist/webview.js. */
  scriptUri: string;
  /** `asWebviewUri` of each stylesheet, in order. */
  styleUris: string[];
  nonce: string;
  /** What the dashboard shows, so the page can title itself before the host's `init` arrives. */
  target: { uri: string; label: string; kind?: 'study' | 'compare' };
  /** `panel` (Open Dashboard) or `editor` (the custom editor). */
  host: 'panel' | 'editor';
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function dashboardHtml(input: DashboardHtmlInput): string {
  const n = escapeHtml(input.nonce);
  const styles = input.styleUris.map((u) => `  <link rel="stylesheet" href="${escapeHtml(u)}" nonce="${n}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(input.cspSource, input.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta name="elsa-target-uri" content="${escapeHtml(input.target.uri)}">
  <meta name="elsa-target-label" content="${escapeHtml(input.target.label)}">
  <meta name="elsa-host" content="${input.host}">${input.target.kind ? `\n  <meta name="elsa-target-kind" content="${input.target.kind}">` : ''}
${styles}
  <title>ELSA · ${escapeHtml(input.target.label)}</title>
</head>
<body data-elsa-host="${input.host}">
  <div id="app"></div>
  <script nonce="${n}" src="${escapeHtml(input.scriptUri)}"></script>
</body>
</html>`;
}
