/**
 * The checkpoint a dashboard reads, opened lazily and once: the first request opens it (for a run folder, after
 * finding its checkpoint), later ones share the open store; a changed file closes it so the next request
 * reads the new bytes. A failed open is not cached (the file may be mid-write).
 */
import type * as vscode from 'vscode';
import type { TensorStore } from '../core/tensorStore';
import { type DashboardSubject, checkpointInFolder } from './dashboardSubject';
import { openStore, uriBaseName } from './fileAccess';

export class DashboardStore {
  private store: Promise<TensorStore | undefined> | undefined;
  /** The file the store reads: the subject itself, or the checkpoint found in the run folder. */
  checkpointUri: vscode.Uri | undefined;

  constructor(private readonly subject: DashboardSubject) {
    if (!subject.isFolder) this.checkpointUri = subject.uri;
  }

  /** The open store, or undefined when a run folder has no checkpoint yet. */
  open(): Promise<TensorStore | undefined> {
    if (!this.store) {
      const opening = (async () => {
        this.checkpointUri ??= await checkpointInFolder(this.subject.uri);
        return this.checkpointUri ? openStore(this.checkpointUri) : undefined;
      })();
      this.store = opening;
      opening.catch(() => {
        if (this.store === opening) this.store = undefined;
      });
    }
    return this.store;
  }

  /** The open store; a one-line error when there is no checkpoint yet. */
  async require(): Promise<TensorStore> {
    const store = await this.open();
    if (!store) throw new Error(`${uriBaseName(this.subject.uri)}: no checkpoint in this run folder yet`);
    return store;
  }

  /** The files changed: close, and for a run folder look for its checkpoint again next time. */
  async reset(): Promise<void> {
    if (this.subject.isFolder) this.checkpointUri = undefined;
    await this.close();
  }

  async close(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    try {
      await (await s)?.close();
    } catch {
      // it never opened
    }
  }
}
