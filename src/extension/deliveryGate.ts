/**
 * When the dashboard host may post to its webview (pure, unit-tested): only after the webview said `ready`
 * and only while it is visible. Changes seen meanwhile are remembered — once per kind, however often they
 * happened — and delivered when both hold. A new `ready` (the webview reloaded) forgets them: the fresh page
 * asks for everything itself.
 */

export type Change = 'events' | 'summary';

export class DeliveryGate {
  private ready = false;
  private readonly pending = new Set<Change>();

  constructor(
    private readonly isVisible: () => boolean,
    private readonly deliver: (change: Change) => void,
  ) {}

  markReady(): void {
    this.ready = true;
    this.pending.clear();
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Something changed on disk. */
  notify(change: Change): void {
    this.pending.add(change);
    this.flush();
  }

  /** Call when the webview becomes visible. */
  flush(): void {
    if (!this.ready || !this.isVisible()) return;
    // Summary first: a rewritten checkpoint may come with new events that refer to it.
    for (const change of ['summary', 'events'] as const) {
      if (this.pending.delete(change)) this.deliver(change);
    }
  }
}
