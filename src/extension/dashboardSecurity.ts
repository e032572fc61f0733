/**
 * What the dashboard's webview may make the host do (pure, unit-tested). The webview is treated as untrusted
 * input (docs/architecture.md §4): every message is validated (src/protocol/validate.ts), and these rules
 * decide the two requests that act outside the page.
 */

/** A URI as far as these rules look at it. */
export interface UriParts {
  scheme: string;
  /** The decoded path, `/`-separated. */
  path: string;
}

/**
 * The webview may open a file only of the subject's scheme, and only inside the workspace (`inWorkspace`) or
 * under the subject's folder.
 */
export function mayOpenFromWebview(target: UriParts, folder: UriParts, inWorkspace: boolean): boolean {
  // A URI keeps `..` segments as written: `<folder>/../../etc/passwd` starts with the folder's path but opens a
  // file outside it, so any dot segment is refused (the host never sends such paths to the page).
  if (target.path.split(/[\\/]/).some((seg) => seg === '..' || seg === '.')) return false;
  return target.scheme === folder.scheme && (inWorkspace || target.path.startsWith(`${folder.path}/`));
}

/** Webview commands that start the ELSA process: refused in Restricted Mode, whatever the webview sends. */
export function needsTrust(command: string): boolean {
  return command === 'extractLevel' || command === 'evaluate';
}
