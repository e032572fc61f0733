/**
 * What the dashboard remembers across reloads (vscode.setState, and `saveState` to the host so a restored panel
 * can hand it back in `ready`). Restored state comes from storage written by any earlier version, so it is
 * checked field by field.
 */

import type { SensitivityData } from '../src/protocol/webview';
import { isSensitivity } from '../src/protocol/validate';

export interface UiState {
  version: 1;
  /** Selected level, 0 = all levels. */
  level: number;
  /** Layer shown in the nesting heatmap and histogram. */
  layer?: string;
  histogramLog: boolean;
  /**
   * The last sensitivity scan of this checkpoint: the webview is reloaded whenever its tab is hidden (no
   * retained context), and a scan takes seconds to minutes, so its result must survive a look at another tab.
   */
  sensitivity?: SensitivityData;
}

/** Log counts by default: on a linear axis the few large weights the sparse levels keep are invisible. */
export const DEFAULT_UI_STATE: UiState = { version: 1, level: 0, histogramLog: true };

export function restoreUiState(saved: unknown): UiState {
  if (typeof saved !== 'object' || saved === null) return { ...DEFAULT_UI_STATE };
  const s = saved as Partial<Record<keyof UiState, unknown>>;
  return {
    version: 1,
    level: typeof s.level === 'number' && Number.isInteger(s.level) && s.level >= 0 ? s.level : 0,
    layer: typeof s.layer === 'string' && s.layer.length > 0 ? s.layer : undefined,
    histogramLog: typeof s.histogramLog === 'boolean' ? s.histogramLog : DEFAULT_UI_STATE.histogramLog,
    ...(isSensitivity(s.sensitivity) ? { sensitivity: s.sensitivity } : {}),
  };
}
