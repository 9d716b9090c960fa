// Gaps the agent reported (AgentMessage.gaps): kept per process in time order, found by a move that
// crosses them (and only by one that does), sampling windows updated in place, and said in the stop.

import { strict as assert } from 'assert';
import { elixirscope } from '../../../adapter/gen/wire';
import { GapBook, Navigator, RecordingStore } from '../../../adapter/store';
import { describeStop } from '../../../adapter/dap/stops';
import { BreakpointBook } from '../../../adapter/runtime/breakpointBook';
import { moved } from './harness';
import { Synth, mfa, t } from './synth';

const P = '<0.100.0>';
const Q = '<0.200.0>';
const R = elixirscope.Gap.Reason;

function gapsFrame(gaps: elixirscope.Gap.$Properties[]): Uint8Array {
  return elixirscope.AgentMessage.encode({ gaps: { gaps } }).finish();
}

/** P: a (0) … b (3): events 1 and 2 are Q's; P lost 1,204 events between mono 0 and 3000. */
function recording(): { store: RecordingStore; nav: Navigator } {
  const s = new Synth();
  s.call(P, mfa('a'), [t.int(1)]); // 0, mono 0
  s.call(Q, mfa('q'), [t.int(1)]); // 1, mono 1000
  s.ret(Q, mfa('q')); // 2, mono 2000
  s.ret(P, mfa('a')); // 3, mono 3000
  s.call(P, mfa('c'), [t.int(1)]); // 4, mono 4000
  const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
  // The agent sends a process's gap before the batch carrying its next events.
  store.ingest(s.frames(1, 0, 1)[0]);
  assert.equal(store.ingest(gapsFrame([{ pid: P, count: 1204, reason: R.OVERLOAD, fromMono: 100, toMono: 2900 }, { pid: Q, count: 7, reason: R.ENCODER_BEHIND, fromMono: 3500, toMono: 3600 }])), undefined, 'the store takes the gaps frame');
  for (const f of s.frames(5, 1)) store.ingest(f);
  store.flush();
  return { store, nav: new Navigator(store) };
}

describe('store: gaps in the recording', () => {
  it('keeps gaps per process, sorted by time, with counts and reasons', () => {
    const b = new GapBook();
    b.add({ gaps: [{ pid: P, count: 5, reason: R.ENCODER_BEHIND, fromMono: 500, toMono: 600 }, { pid: P, count: 3, reason: R.OVERLOAD, fromMono: 100, toMono: 200 }, { pid: Q, count: 1, reason: R.CONNECTION_BEHIND, fromMono: 150, toMono: 150 }] });
    assert.deepEqual(b.of(P).map((g) => [g.fromMono, g.count, g.reason]), [[100, 3, 'overload'], [500, 5, 'encoder behind']]);
    assert.equal(b.lostOf(P), 8);
    assert.equal(b.totalLost, 9);
    assert.deepEqual(b.between(P, 0, 300).map((g) => g.count), [3]);
    assert.deepEqual(b.between(P, 300, 0).map((g) => g.count), [3], 'either direction');
    assert.deepEqual(b.between(P, 200, 500), [], 'a span between two gaps crosses none');
    assert.deepEqual(b.between(P, 0, 1000).map((g) => g.count), [3, 5]);
  });

  it('updates an open sampling window in place and forgets what ended before the oldest event', () => {
    const b = new GapBook();
    const mfaP = { module: 'Elixir.Bank.Ledger', function: 'record', arity: 3 };
    b.add({ gaps: [{ mfa: mfaP, oneIn: 16, count: 10, reason: R.SAMPLED, fromMono: 1000, toMono: 2000 }] });
    b.add({ gaps: [{ mfa: mfaP, oneIn: 16, count: 30, reason: R.SAMPLED, fromMono: 1000, toMono: 5000 }] });
    const w = b.windowsBetween(0, 10_000);
    assert.equal(w.length, 1);
    assert.deepEqual([w[0].mfa, w[0].oneIn, w[0].count, w[0].toMono], ['Bank.Ledger.record/3', 16, 30, 5000]);
    b.add({ gaps: [{ pid: P, count: 2, reason: R.OVERLOAD, fromMono: 10, toMono: 20 }] });
    b.trim(3000);
    assert.deepEqual(b.of(P), []);
    assert.equal(b.windowsBetween(0, 10_000).length, 1, 'the window still runs at 5000');
  });

  it('a step that crosses a gap of its process says so; one that does not, does not', () => {
    const { store, nav } = recording();
    assert.equal(store.gaps.lostOf(P), 1204);
    const pid = store.pidOf(0);
    nav.goto(0);
    const m = nav.stepOver({ pid });
    assert.equal(moved(m), 3);
    assert.ok(m.status === 'moved' && m.gaps, 'the step over a gap reports it');
    assert.equal(m.gaps.count, 1204);
    assert.deepEqual(m.gaps.reasons, ['overload']);
    const d = describeStop(m, new BreakpointBook(), 'Demo.a/1 returned :ok');
    assert.match(d.description, /stepped over a gap: 1,204 events of this process not recorded \(the agent was overloaded\)/);
    assert.match(d.text ?? '', /1,204 events/);
    // 3 → 4 crosses only Q's gap, which is not this process's: nothing to say.
    const m2 = nav.stepIn({ pid });
    assert.equal(moved(m2), 4);
    assert.ok(m2.status === 'moved' && m2.gaps === undefined);
    assert.doesNotMatch(describeStop(m2, new BreakpointBook(), 'x').description, /gap/);
    // Back again: the reverse step crosses the same gap.
    nav.goto(3);
    const back = nav.stepOver({ pid, reverse: true });
    assert.equal(moved(back), 0);
    assert.ok(back.status === 'moved' && back.gaps?.count === 1204);
  });

  it('a continue counts the other processes too', () => {
    const s = new Synth();
    s.call(P, mfa('a'), [t.int(1)], { hit: 1 }); // 0
    s.call(Q, mfa('q'), [t.int(1)]); // 1
    s.call(P, mfa('a'), [t.int(2)], { hit: 1 }); // 2
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    store.ingest(gapsFrame([{ pid: P, count: 3, reason: R.ENCODER_BEHIND, fromMono: 500, toMono: 600 }, { pid: Q, count: 40, reason: R.CONNECTION_BEHIND, fromMono: 1500, toMono: 1600 }]));
    for (const f of s.frames(5)) store.ingest(f);
    store.flush();
    const nav = new Navigator(store);
    nav.goto(0);
    const m = nav.continue();
    assert.equal(moved(m), 2);
    assert.ok(m.status === 'moved' && m.gaps);
    assert.deepEqual([m.gaps.count, m.gaps.others], [3, 40]);
    const book = new BreakpointBook();
    assert.match(describeStop(m, book, 'Demo.a/1').description, /continued over a gap: 3 events of this process not recorded \(the agent could not encode fast enough\); 40 of other processes/);
  });
});
