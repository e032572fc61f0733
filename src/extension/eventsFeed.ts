/**
 * A dashboard's view of a run's events.jsonl: the byte offset up to which the webview has been sent events,
 * and reads that run one at a time, so the watcher, the size poll and the webview's `getEvents` never read
 * the same bytes twice.
 */
import * as vscode from 'vscode';
import type { EventChunk } from '../protocol/events';
import { readEventsSince } from './fileAccess';

export class EventsFeed {
  /** Offset of events.jsonl up to which the webview has been sent events. */
  private offset = 0;
  private lastSize = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly uri: vscode.Uri) {}

  /** Start over from byte 0 (a new webview page, or the file was created anew). */
  rewind(): void {
    this.offset = 0;
  }

  /** The size poll: true when the file's size changed since the last poll and there is something unsent. */
  async grew(): Promise<boolean> {
    try {
      const size = (await vscode.workspace.fs.stat(this.uri)).size;
      if (size === this.lastSize) return false;
      this.lastSize = size;
      return size !== this.offset;
    } catch {
      return false; // no events.jsonl (yet)
    }
  }

  /** The events after what was sent (undefined when nothing is new); the offset moves past them. */
  unsent(): Promise<EventChunk | undefined> {
    return this.serialize(async () => {
      const from = this.offset;
      const chunk = await readEventsSince(this.uri, from);
      if (chunk.next === from && chunk.events.length === 0) return undefined;
      this.offset = chunk.next;
      return chunk.events.length > 0 || chunk.from !== from ? chunk : undefined;
    });
  }

  /** The webview asks from `since` (its own cursor); the offset follows what it has now seen. */
  since(since: number): Promise<EventChunk> {
    return this.serialize(async () => {
      const chunk = await readEventsSince(this.uri, since);
      this.offset = Math.max(this.offset, chunk.next);
      if (chunk.from !== since) this.offset = chunk.next;
      return chunk;
    });
  }

  private serialize<T>(read: () => Promise<T>): Promise<T> {
    const next = this.queue.then(read, read);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
