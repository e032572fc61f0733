import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Change, DeliveryGate } from '../../src/extension/deliveryGate';

function gate() {
  let visible = true;
  const delivered: Change[] = [];
  const g = new DeliveryGate(() => visible, (c) => delivered.push(c));
  return { g, delivered, setVisible: (v: boolean) => { visible = v; } };
}

describe('dashboard delivery', () => {
  it('posts nothing before the webview is ready', () => {
    const { g, delivered } = gate();
    g.notify('events');
    g.notify('summary');
    assert.deepEqual(delivered, []);
    g.markReady();
    g.flush();
    assert.deepEqual(delivered, [], 'a fresh page asks for everything itself');
  });

  it('delivers right away while ready and visible', () => {
    const { g, delivered } = gate();
    g.markReady();
    g.notify('events');
    g.notify('events');
    assert.deepEqual(delivered, ['events', 'events']);
  });

  it('holds changes while hidden and delivers each kind once when visible again, summary first', () => {
    const { g, delivered, setVisible } = gate();
    g.markReady();
    setVisible(false);
    for (let i = 0; i < 50; i++) g.notify('events');
    g.notify('summary');
    assert.deepEqual(delivered, []);
    setVisible(true);
    g.flush();
    assert.deepEqual(delivered, ['summary', 'events']);
    g.flush();
    assert.deepEqual(delivered, ['summary', 'events'], 'nothing twice');
  });

  it('forgets held changes when the webview reloads', () => {
    const { g, delivered, setVisible } = gate();
    g.markReady();
    setVisible(false);
    g.notify('summary');
    g.markReady();
    setVisible(true);
    g.flush();
    assert.deepEqual(delivered, []);
  });
});
