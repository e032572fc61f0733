// Waiting in the UI: poll a probe until it yields a value, never a fixed sleep. The timeout error says what was
// awaited and what the probe saw last, so a red run explains itself.

export interface PollOptions {
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
  /** Wait this long between two probes. */
  intervalMs?: number;
}

export class PollTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly lastSeen: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${lastSeen}`);
    this.name = 'PollTimeoutError';
  }
}

/** A probe answers undefined/null/false while the awaited state has not come yet; anything else ends the wait. */
export type Probe<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

export async function poll<T>(what: string, probe: Probe<T>, options: PollOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastSeen = 'nothing yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastSeen = String(value);
    } catch (error) {
      // A probe may throw while the UI is still changing (a detached frame, a half-rendered list): keep polling,
      // unless it says the awaited state can no longer come.
      if (error instanceof Error && error.name === 'TaskFailedError') throw error;
      lastSeen = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
    if (Date.now() >= deadline) throw new PollTimeoutError(what, lastSeen, timeoutMs);
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
