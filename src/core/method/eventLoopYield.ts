/**
 * Training steps are synchronous (TF.js on the wasm and cpu backends), so a whole epoch would run without
 * the event loop ever turning — and a SIGTERM/SIGINT handler, which runs on the event loop, would only fire
 * at the epoch's end. The trainer calls this before each step: at most every `everyMs` it yields one
 * macrotask, so Ctrl+C stops a run within a step or so (README "Studies").
 */
export function eventLoopYielder(everyMs = 100): () => Promise<void> | undefined {
  let last = Date.now();
  return () => {
    const now = Date.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return new Promise<void>((resolve) => setImmediate(resolve));
  };
}
