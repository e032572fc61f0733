/** The API VS Code injects into a webview (`acquireVsCodeApi`, callable once per page load). */

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}
