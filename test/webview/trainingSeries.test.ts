/** Live training curves: incremental building equals building at once, phases are marked, the cursor is safe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../src/core/random';
import type { TrainingEvent } from '../../src/protocol/events';
import { decideAppend, TrainingSeriesBuilder } from '../../webview/trainingSeries';
import { makeEvents } from './harness/fixtures';

const events = makeEvents();

function build(batches: TrainingEvent[][]) {
  const b = new TrainingSeriesBuilder();
  for (const batch of batches) b.append(batch);
  return b.series;
}

describe('training series', () => {
  it('has one point per epoch across phases, a mark per phase and the final status', () => {
    const s = build([events]);
    const epochs = events.filter((e) => e.type === 'epoch');
    assert.equal(s.epochCount, epochs.length);
    assert.equal(s.eventCount, events.length);
    assert.deepEqual(s.loss.map((p) => p.x), epochs.map((_, i) => i + 1));
    assert.deepEqual(s.loss.map((p) => p.y), epochs.map((e) => (e.type === 'epoch' ? e.loss : NaN)));
    assert.equal(s.evalAccuracy.length, epochs.length);
    assert.deepEqual(s.phases.map((p) => p.phase), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(s.phases.map((p) => p.label), ['warm-up', 'L1 95 %', 'L2 90 %', 'L3 75 %', 'L4 50 %', 'dense']);
    assert.equal(s.phases[1].x, 3.5, 'the boundary sits between the last warm-up epoch and the first of phase 1');
    assert.equal(s.status, 'complete');
  });

  it('places step losses inside their epoch, in increasing x (decimation needs sorted data)', () => {
    const s = build([events]);
    assert.ok(s.stepLoss.length > 0);
    for (let i = 1; i < s.stepLoss.length; i++) assert.ok(s.stepLoss[i].x > s.stepLoss[i - 1].x);
    // Steps of epoch 2 (x in (1, 2)) lie between the first and second epoch points.
    assert.ok(s.stepLoss.some((p) => p.x > 1 && p.x < 2));
  });

  it('gives the same series however the stream is split into batches (random splits)', () => {
    const whole = JSON.stringify(build([events]));
    for (let seed = 0; seed < 25; seed++) {
      const rng = createRng(seed);
      const batches: TrainingEvent[][] = [];
      let i = 0;
      while (i < events.length) {
        const n = 1 + rng.int(60);
        batches.push(events.slice(i, i + n));
        i += n;
      }
      assert.equal(JSON.stringify(build(batches)), whole, `seed ${seed}`);
    }
  });

  it('keeps one mark when a resumed run repeats the phase it resumes', () => {
    const time = 't';
    const s = build([
      [
        { type: 'phase-start', time, phase: 1, targetSparsity: 0.9, epochs: 2 },
        { type: 'run-start', time, run: 'r', kind: 'elsa', targets: [0.9], backend: 'cpu', config: {}, resumedFrom: { phase: 1, epoch: 0 } },
        { type: 'phase-start', time, phase: 1, targetSparsity: 0.9, epochs: 2 },
      ],
    ]);
    assert.equal(s.phases.length, 1);
    assert.match(s.latest, /Phase 1/);
  });

  it('reports a failed run with its message', () => {
    const s = build([[{ type: 'run-end', time: 't', status: 'failed', seconds: 3, message: 'out of memory' }]]);
    assert.equal(s.status, 'failed');
    assert.match(s.latest, /failed after 3 s: out of memory/);
  });
});

describe('event cursor', () => {
  const batch = events.slice(0, 3);
  const chunk = (from: number, next: number, evs: readonly TrainingEvent[] = batch) => ({ events: evs, from, next });

  it('applies a chunk that continues at the cursor and skips one with nothing new', () => {
    assert.deepEqual(decideAppend(100, chunk(100, 300), false), { kind: 'apply', events: batch, next: 300 });
    assert.deepEqual(decideAppend(300, chunk(300, 300, []), false), { kind: 'skip' });
  });

  it('starts over when the host read from 0 (events.jsonl was replaced), however far the new file reaches', () => {
    assert.deepEqual(decideAppend(5000, chunk(0, 200), false), { kind: 'restart', events: batch, next: 200 });
    assert.deepEqual(decideAppend(5000, chunk(0, 0, []), false), { kind: 'restart', events: [], next: 0 });
    // The live-chart bug this guards: the host re-read the same file from 0 (a late "created" event) while the
    // page had already shown its first events. Appending would show them twice (the chart counted more events
    // than events.jsonl has); the page rebuilds the series from the chunk instead.
    assert.deepEqual(decideAppend(120, chunk(0, 900), false), { kind: 'restart', events: batch, next: 900 });
  });

  it('refetches from the cursor when a chunk starts anywhere else (a gap or an overlap)', () => {
    assert.deepEqual(decideAppend(300, chunk(400, 600), false), { kind: 'refetch', since: 300 });
    assert.deepEqual(decideAppend(300, chunk(200, 600), false), { kind: 'refetch', since: 300 });
  });

  it('for a notification that raced the first answer: skips it if covered, else refetches from the cursor', () => {
    assert.deepEqual(decideAppend(800, chunk(400, 600), true), { kind: 'skip' });
    assert.deepEqual(decideAppend(800, chunk(600, 800), true), { kind: 'skip' });
    assert.deepEqual(decideAppend(800, chunk(800, 900), true), { kind: 'refetch', since: 800 });
  });
});

describe('several runs in one log', () => {
  it('marks each later run by name and breaks the curves between runs', () => {
    const time = 't';
    const run = (name: string, kind: 'elsa' | 'independent' | 'dense', target: number, loss: number): TrainingEvent[] => [
      { type: 'run-start', time, run: name, kind, targets: kind === 'dense' ? [] : [target], backend: 'cpu', config: {} },
      { type: 'phase-start', time, phase: 1, targetSparsity: target, epochs: 1 },
      { type: 'epoch', time, phase: 1, epoch: 1, step: 10, loss, accuracy: 0.8, sparsity: target, seconds: 1, samplesPerSecond: 1, learningRate: 0.1 },
    ];
    const s = build([[...run('independent-90', 'independent', 0.9, 0.5), ...run('independent-50', 'independent', 0.5, 0.4)]]);
    assert.deepEqual(s.phases.map((p) => p.label), ['independent-90: L1 90 %', 'independent-50: L1 50 %']);
    assert.deepEqual(s.phases.map((p) => p.run), ['independent-90', 'independent-50']);
    assert.deepEqual(s.loss.map((p) => p.x), [1, 1.5, 2]);
    assert.ok(Number.isNaN(s.loss[1].y), 'a gap between the runs');
    assert.equal(s.epochCount, 2);
    // A phase that ran no epochs gives way to the mark after it.
    const empty: TrainingEvent = { type: 'phase-start', time, phase: 2, targetSparsity: 0, epochs: 0 };
    const withEmpty = build([[...run('a', 'independent', 0.9, 0.5), empty, ...run('b', 'independent', 0.5, 0.4)]]);
    assert.deepEqual(withEmpty.phases.map((p) => p.label), ['a: L1 90 %', 'b: L1 50 %']);
    // A single ELSA run stays unprefixed.
    assert.deepEqual(build([run('demo', 'elsa', 0.9, 0.5)]).phases.map((p) => p.label), ['L1 90 %']);
  });
});
