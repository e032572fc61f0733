/** The webview's message client: ids, one typed answer per request, errors and timeouts, notifications, drops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHostMessage } from '../../src/protocol/validate';
import type { HostMessage, WebviewMessage } from '../../src/protocol/webview';
import { DashboardClient, RequestError, type MessageTransport } from '../../webview/client';

class FakeTransport implements MessageTransport {
  readonly sent: WebviewMessage[] = [];
  private handler: ((data: unknown) => void) | undefined;
  post(message: WebviewMessage): void {
    this.sent.push(message);
  }
  listen(handler: (data: unknown) => void): () => void {
    this.handler = handler;
    return () => (this.handler = undefined);
  }
  deliver(data: unknown): void {
    this.handler?.(data);
  }
  get listening(): boolean {
    return this.handler !== undefined;
  }
}

function setup(timeoutMs = 1000) {
  const transport = new FakeTransport();
  const dropped: string[] = [];
  const client = new DashboardClient(transport, { parse: parseHostMessage, timeoutMs, onDropped: (_d, why) => dropped.push(why) });
  return { transport, client, dropped };
}

const summaryBody = {
  kind: 'summary' as const,
  summary: { uri: 'file:///a.elsa.safetensors', fileName: 'a.elsa.safetensors', fileSize: 10, layers: [], levelCount: 0, nestingOk: true },
};

describe('webview message client', () => {
  it('numbers requests and resolves each with the response that names it, in any order', async () => {
    const { transport, client } = setup();
    const a = client.request({ kind: 'getSummary' });
    const b = client.request({ kind: 'getEvents', since: 0 });
    assert.equal(transport.sent.length, 2);
    const [ra, rb] = transport.sent;
    assert.equal(ra.type, 'request');
    assert.notEqual(ra.id, rb.id);
    transport.deliver({ id: 100, type: 'response', inReplyTo: rb.id, body: { kind: 'events', events: [], from: 42, next: 42 } } satisfies HostMessage);
    transport.deliver({ id: 101, type: 'response', inReplyTo: ra.id, body: summaryBody });
    assert.equal((await b).next, 42);
    assert.equal((await a).summary.fileName, 'a.elsa.safetensors');
    assert.equal(client.inFlight, 0);
  });

  it('rejects on an error response with the host message, and on a response of the wrong kind', async () => {
    const { transport, client } = setup();
    const a = client.request({ kind: 'getHeatmap', layer: 'd/kernel', maxCells: 100 });
    const b = client.request({ kind: 'getHistogram', layer: 'd/kernel', bins: 8 });
    transport.deliver({ id: 1, type: 'response', inReplyTo: transport.sent[0].id, body: { kind: 'error', message: 'x.safetensors: no tensor d/kernel' } });
    transport.deliver({ id: 2, type: 'response', inReplyTo: transport.sent[1].id, body: summaryBody });
    await assert.rejects(a, (e: unknown) => e instanceof RequestError && e.reason === 'host' && /no tensor d\/kernel/.test(e.message));
    await assert.rejects(b, (e: unknown) => e instanceof RequestError && e.reason === 'mismatch');
  });

  it('lets one request wait longer than the default', async () => {
    const { transport, client } = setup(10);
    const slow = client.request({ kind: 'getSummary' }, 200);
    await new Promise((r) => setTimeout(r, 40));
    transport.deliver({ id: 9, type: 'response', inReplyTo: transport.sent[0].id, body: summaryBody });
    assert.equal((await slow).kind, 'summary');
  });

  it('times out a request nobody answers, and drops its late answer', async () => {
    const { transport, client, dropped } = setup(20);
    const a = client.request({ kind: 'getSummary' });
    await assert.rejects(a, (e: unknown) => e instanceof RequestError && e.reason === 'timeout');
    transport.deliver({ id: 9, type: 'response', inReplyTo: transport.sent[0].id, body: summaryBody });
    assert.equal(dropped.length, 1);
    assert.match(dropped[0], /unknown or expired request/);
  });

  it('fans notifications out to every listener until they unsubscribe', () => {
    const { transport, client } = setup();
    const seen: string[] = [];
    const off = client.onNotification((n) => seen.push(`a:${n.kind}`));
    client.onNotification((n) => seen.push(`b:${n.kind}`));
    transport.deliver({ id: 1, type: 'notification', body: { kind: 'summaryChanged' } });
    off();
    transport.deliver({ id: 2, type: 'notification', body: { kind: 'eventsAppended', events: [], from: 5, next: 5 } });
    assert.deepEqual(seen, ['a:summaryChanged', 'b:summaryChanged', 'b:eventsAppended']);
  });

  it('drops malformed and foreign messages without touching pending requests', async () => {
    const { transport, client, dropped } = setup();
    const a = client.request({ kind: 'getSummary' });
    const id = transport.sent[0].id;
    for (const junk of [
      null,
      'hello',
      { type: 'response', inReplyTo: id, body: summaryBody },
      { id: 3, type: 'response', inReplyTo: id, body: { kind: 'summary', summary: { fileName: 3 } } },
      { id: 4, type: 'notification', body: { kind: 'explode' } },
      { id: 5, type: 'shout', body: summaryBody },
    ]) {
      transport.deliver(junk);
    }
    assert.equal(dropped.length, 6);
    assert.equal(client.inFlight, 1);
    transport.deliver({ id: 6, type: 'response', inReplyTo: id, body: summaryBody });
    assert.equal((await a).kind, 'summary');
  });

  it('sends notifications as envelopes and rejects what is pending when disposed', async () => {
    const { transport, client } = setup();
    client.notify({ kind: 'ready', protocol: 1, state: { level: 2 } });
    assert.deepEqual(transport.sent[0].body, { kind: 'ready', protocol: 1, state: { level: 2 } });
    assert.equal(transport.sent[0].type, 'notification');
    const a = client.request({ kind: 'getSummary' });
    client.dispose();
    await assert.rejects(a, (e: unknown) => e instanceof RequestError && e.reason === 'disposed');
    assert.equal(transport.listening, false);
  });
});
