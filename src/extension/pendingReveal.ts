/** Pure (no vscode), unit-tested: the Reveal in Graph request a dashboard session holds for its page. */

/**
 * The last layer a Reveal in Graph asked for, held until the webview is ready and visible (a panel opened
 * for the reveal has no page yet; a hidden one posts nothing). A newer reveal replaces an older one.
 */
export class PendingReveal {
  private layer: string | undefined;

  constructor(
    private readonly canDeliver: () => boolean,
    private readonly deliver: (layer: string) => void,
  ) {}

  request(layer: string): void {
    this.layer = layer;
    this.flush();
  }

  flush(): void {
    if (this.layer === undefined || !this.canDeliver()) return;
    const layer = this.layer;
    this.layer = undefined;
    this.deliver(layer);
  }
}
