// Reorder window under interleaved encoders (property), and a cursor that stays put while live
// recording continues.

import { strict as assert } from 'assert';
import fc from 'fast-check';
import { elixirscope } from '../../../adapter/gen/wire';
import { RecordingStore } from '../../../adapter/store';
import { load } from './harness';
import { Synth, mfa, t } from './synth';

const P = '<0.1.0>';
const Q = '<0.2.0>';

describe('store: reorder window (property)', function () {
  // Property runs: generous under a loaded machine (the project .mocharc gives 20 s; plain mocha 2 s).
  this.timeout(60_000);
  it('batches displaced by less than the window are committed in order, none late, none lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (n, size, swaps) => {
        const s = new Synth();
        for (let i = 0; i < n; i++) s.line(i % 3 ? P : Q, i);
        const batches: [number, number][] = [];
        for (let i = 0; i < n; i += size) batches.push([i, Math.min(n, i + size)]);
        // Two encoders: some neighbouring batches arrive swapped (each batch moves at most one place).
        const moved = new Set<number>();
        for (const w of swaps) {
          const i = w % batches.length;
          if (i + 1 < batches.length && !moved.has(i) && !moved.has(i + 1)) {
            [batches[i], batches[i + 1]] = [batches[i + 1], batches[i]];
            moved.add(i).add(i + 1);
          }
        }
        const store = new RecordingStore({ reorderWindowNs: 2 * size * 1000, flushDelayMs: 0 });
        let committedEarly = 0;
        for (const [a, b] of batches) {
          store.ingestBatch(s.batch(a, b));
          committedEarly = store.size;
        }
        if (batches.length > 4) assert.ok(committedEarly > 0, 'commits as the window passes, not only at flush');
        store.flush();
        assert.equal(store.size, n);
        assert.equal(store.stats().late, 0);
        for (let g = store.head; g < store.tail; g++) assert.equal(store.cols.seq[store.slot(g)], g);
      }),
      { numRuns: 150 },
    );
  });

  it('with no window, displaced events are kept and counted as late', () => {
    const s = new Synth();
    for (let i = 0; i < 10; i++) s.line(P, i);
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    store.ingestBatch(s.batch(5, 10));
    store.ingestBatch(s.batch(0, 5));
    assert.equal(store.size, 10);
    assert.equal(store.stats().late, 5);
  });
});

describe('store: navigating while recording', () => {
  it('the cursor, its stack and its scopes stay the same as events keep arriving', () => {
    const s = new Synth();
    s.call(P, mfa('loop'), [t.int(0)]); // 0
    s.line(P, 3, { i: t.int(0) }); // 1
    s.state(P, 1, 'initial', t.int(0)); // 2
    const { store, nav } = load(s);
    nav.goto(1);
    const before = JSON.stringify([nav.cursor, nav.stack(), nav.scopes()]);
    const more = new Synth();
    more.events.push(...s.events);
    for (let i = 1; i < 50; i++) {
      more.call(P, mfa('step'), [t.int(i)]);
      more.state(P, i + 1, 'handle_info', t.int(i));
      more.ret(P, mfa('step'), t.int(i));
      more.line(Q, i);
    }
    for (const f of more.frames(7, 3)) store.ingest(f);
    assert.equal(store.size, 3 + 49 * 4);
    assert.equal(JSON.stringify([nav.cursor, nav.stack(), nav.scopes()]), before);
    assert.equal(nav.view.stateIndexes(store.pidId(P)!).length, 50);
    assert.deepEqual(nav.threads().map((p) => p.pid), [P, Q]);
  });

  it('lists breakpoint hits in a range', () => {
    const s = new Synth();
    for (let i = 0; i < 10; i++) s.line(P, i, {}, i % 3 === 0 ? 1 : undefined);
    const { nav } = load(s);
    assert.deepEqual(nav.view.hits(), [0, 3, 6, 9]);
    assert.deepEqual(nav.view.hits(1, 9), [3, 6]);
    assert.equal(elixirscope.EventKind.LINE, 4);
  });
});
