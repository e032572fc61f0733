/**
 * Tailing `events.jsonl` by byte offset: a reader asks for the bytes after the last complete line it saw, so
 * a half-written last line is read again next time, and a file that shrank (a new run in the same folder)
 * restarts from 0.
 */
import { parseTrainingEvent, type EventChunk, type TrainingEvent } from '../protocol/events';


const NEWLINE = 0x0a;

/** Events in the complete lines of `bytes`, which start at file offset `start`. */
export function completeLines(bytes: Uint8Array, start: number): EventChunk {
  const last = bytes.lastIndexOf(NEWLINE);
  if (last < 0) return { events: [], from: start, next: start };
  const text = new TextDecoder().decode(bytes.subarray(0, last + 1));
  const events: TrainingEvent[] = [];
  for (const line of text.split('\n')) {
    const e = parseTrainingEvent(line);
    if (e) events.push(e);
  }
  return { events, from: start, next: start + last + 1 };
}

/** Where to read from given the file's current size: past the end means the file was replaced. */
export function tailStart(since: number, fileSize: number): number {
  return since > fileSize ? 0 : since;
}

/** Bytes read per request at most, so a huge log arrives in bounded pieces. */
export const MAX_TAIL_BYTES = 4 * 1024 * 1024;
