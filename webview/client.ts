/**
 * The webview half of the protocol in src/protocol/webview.ts: numbered envelopes, requests that resolve with
 * exactly one typed response (or reject on `error`, on a response of the wrong kind, or after a timeout), and
 * host notifications fanned out to listeners. It knows nothing of the DOM beyond the transport it is given, so
 * tests drive it with a fake transport.
 */
import type {
  HostMessage,
  HostNotification,
  HostResponse,
  WebviewMessage,
  WebviewNotification,
  WebviewRequest,
} from '../src/protocol/webview';

export interface MessageTransport {
  post(message: WebviewMessage): void;
  /** Subscribes to raw incoming messages; returns an unsubscribe function. */
  listen(handler: (data: unknown) => void): () => void;
}

/** Which response kind answers which request kind. */
interface ResponseKindOf {
  getSummary: 'summary';
  getHeatmap: 'heatmap';
  getHistogram: 'histogram';
  getEvents: 'events';
  getStudy: 'study';
  getSensitivity: 'sensitivity';
  getGraph: 'graph';
  getCompare: 'compare';
  getSamplePrediction: 'samplePrediction';
  pickSampleImage: 'sampleImage';
}
const RESPONSE_KIND: ResponseKindOf = {
  getSummary: 'summary',
  getHeatmap: 'heatmap',
  getHistogram: 'histogram',
  getEvents: 'events',
  getStudy: 'study',
  getSensitivity: 'sensitivity',
  getGraph: 'graph',
  getCompare: 'compare',
  getSamplePrediction: 'samplePrediction',
  pickSampleImage: 'sampleImage',
};

export type ResponseFor<R extends WebviewRequest> = Extract<HostResponse, { kind: ResponseKindOf[R['kind']] }>;

export class RequestError extends Error {
  constructor(
    message: string,
    readonly reason: 'host' | 'timeout' | 'mismatch' | 'disposed',
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

interface Pending {
  expect: HostResponse['kind'];
  resolve(body: HostResponse): void;
  reject(error: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ClientOptions {
  /** Milliseconds before an unanswered request rejects. */
  timeoutMs?: number;
  /** Parses a raw message; undefined drops it. */
  parse: (data: unknown) => HostMessage | undefined;
  /** Told about every dropped message (for the log). */
  onDropped?: (data: unknown, why: string) => void;
}

export class DashboardClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(n: HostNotification) => void>();
  private readonly unlisten: () => void;
  private readonly timeoutMs: number;

  constructor(
    private readonly transport: MessageTransport,
    private readonly options: ClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 15000;
    this.unlisten = transport.listen((data) => this.receive(data));
  }

  /** Sends a request; `timeoutMs` overrides the client's default for slow answers (a big file's summary). */
  request<R extends WebviewRequest>(body: R, timeoutMs = this.timeoutMs): Promise<ResponseFor<R>> {
    const id = this.nextId++;
    const expect = RESPONSE_KIND[body.kind];
    return new Promise<ResponseFor<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError(`${body.kind}: no answer from the extension within ${Math.round(timeoutMs / 1000)} s`, 'timeout'));
      }, timeoutMs);
      this.pending.set(id, { expect, resolve: resolve as (b: HostResponse) => void, reject, timer });
      this.transport.post({ id, type: 'request', body });
    });
  }

  notify(body: WebviewNotification): void {
    this.transport.post({ id: this.nextId++, type: 'notification', body });
  }

  onNotification(listener: (n: HostNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of requests still waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.unlisten();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError('the dashboard was closed', 'disposed'));
      this.pending.delete(id);
    }
    this.listeners.clear();
  }

  private receive(data: unknown): void {
    const message = this.options.parse(data);
    if (!message) {
      this.options.onDropped?.(data, 'malformed or unknown message');
      return;
    }
    if (message.type === 'notification') {
      for (const l of [...this.listeners]) l(message.body);
      return;
    }
    const p = this.pending.get(message.inReplyTo);
    if (!p) {
      this.options.onDropped?.(data, `response to unknown or expired request ${message.inReplyTo}`);
      return;
    }
    this.pending.delete(message.inReplyTo);
    clearTimeout(p.timer);
    const body = message.body;
    if (body.kind === 'error') p.reject(new RequestError(body.message, 'host'));
    else if (body.kind !== p.expect) p.reject(new RequestError(`expected a ${p.expect} response, got ${body.kind}`, 'mismatch'));
    else p.resolve(body);
  }
}
