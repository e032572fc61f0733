/** How much detail the dashboard asks the host for (the host may cap it further, see `elsa.heatmapMaxCells`). */

/** Heatmap cells: enough detail for a panel, bounded for multi-million-weight tensors. */
export const HEATMAP_MAX_CELLS = 160 * 160;

/** Histogram bins over |w|. */
export const HISTOGRAM_BINS = 48;

/** The summary reads every layer's level codes: give a multi-gigabyte checkpoint time. */
export const SUMMARY_TIMEOUT_MS = 120_000;

/** Heatmap and histogram read one tensor each. */
export const LAYER_DETAIL_TIMEOUT_MS = 60_000;

/** A sensitivity scan evaluates the model ~5 × layers times on the test set: minutes for a large model. */
export const SENSITIVITY_TIMEOUT_MS = 30 * 60_000;

/** `elsa predict` loads each level and times it (runs × levels × 2 paths), plus the file picker's wait. */
export const SAMPLE_TIMEOUT_MS = 10 * 60_000;
