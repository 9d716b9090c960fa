// Eviction (events and bytes, in the middle of a call stack), the edges of the recording (step back
// from the first event, step forward at the live end), the reorder window and malformed batches.

import { strict as assert } from 'assert';
import { HistoryDropped, Moved, Navigator, RecordingStore } from '../../../adapter/store';
import { elixirscope } from '../../../adapter/gen/wire';
import { load, moved, stackSig } from './harness';
import { Synth, mfa, t } from './synth';

const P = '<0.100.0>';
const Q = '<0.200.0>';

describe('store: eviction', () => {
  function deep(): Synth {
    const s = new Synth();
    for (let i = 0; i < 8; i++) s.call(P, mfa(`f${i}`), [t.int(i)]); // 0..7
    for (let i = 0; i < 20; i++) s.line(P, 100 + i, { i: t.int(i) }); // 8..27
    return s;
  }

  it('evicts the oldest events and tells how much history was dropped', () => {
    const s = deep();
    const store = new RecordingStore({ maxEvents: 16, reorderWindowNs: 0, flushDelayMs: 0 });
    const drops: HistoryDropped[] = [];
    store.on('historyDropped', (d) => drops.push(d));
    for (const f of s.frames(4)) store.ingest(f);
    assert.equal(store.size, 16);
    assert.equal(store.head, 12);
    assert.equal(drops.reduce((n, d) => n + d.evicted, 0), 12);
    assert.equal(drops[drops.length - 1].evictedTotal, 12);
    assert.equal(drops[drops.length - 1].oldestIndex, 12);
    assert.equal(drops[drops.length - 1].oldestMono, 12_000);
    assert.equal(store.stats().evictedTotal, 12);
  });

  it('keeps the call stack whole when its calls were evicted (names kept, arguments gone)', () => {
    const s = deep();
    const { store, nav } = load(s, { maxEvents: 16 }, 4);
    nav.goto(27);
    const st = nav.stack();
    assert.deepEqual(st.frames.map((f) => f.name), [7, 6, 5, 4, 3, 2, 1, 0].map((i) => `Demo.f${i}/1`));
    assert.ok(st.frames.every((f) => f.evicted));
    assert.equal(st.frames[0].line, 119);
    assert.equal(nav.frameScopes(st.frames[0]).arguments!.unavailable, true);
    // Returns arriving later still close the evicted frames.
    const more = new Synth();
    more.events.push(...s.events);
    for (let i = 7; i >= 0; i--) more.ret(P, mfa(`f${i}`), t.int(i)); // 28..35
    for (const f of more.frames(4, 28)) store.ingest(f);
    assert.equal(store.depth(28), 8);
    assert.equal(store.depth(35), 1);
    nav.goto(28);
    assert.deepEqual(stackSig(nav).slice(0, 2), ['f7:119', 'f6:0']);
    assert.equal(moved(nav.stepOut()), 29, 'step out of an evicted frame reaches its return');
    nav.goto(27);
    assert.equal(moved(nav.stepOver()), 28);
  });

  it('moves the cursor to the oldest retained event of its process when its event is evicted', () => {
    const s = new Synth();
    for (let i = 0; i < 10; i++) s.line(P, i);
    for (let i = 0; i < 10; i++) s.line(Q, i);
    for (let i = 0; i < 10; i++) s.line(P, 100 + i);
    const store = new RecordingStore({ maxEvents: 16, reorderWindowNs: 0, flushDelayMs: 0 });
    const nav = new Navigator(store);
    const frames = s.frames(5);
    for (const f of frames.slice(0, 2)) store.ingest(f);
    nav.goto(2);
    const seen: Moved[] = [];
    nav.on('moved', (m) => seen.push(m));
    for (const f of frames.slice(2)) store.ingest(f);
    assert.equal(store.head, 14);
    assert.equal(nav.cursor, 20, 'oldest retained event of the same process (P)');
    assert.equal(seen[seen.length - 1].reason, 'evicted');
    assert.equal(nav.stepIn({ reverse: true }).status, 'boundary', 'nothing older is retained');
  });

  it('evicts by bytes when bodies are large', () => {
    const s = new Synth();
    const big = t.str('x'.repeat(2000));
    for (let i = 0; i < 400; i++) s.line(P, i, { blob: big });
    const { store, nav } = load(s, { maxEvents: 1000, maxBytes: 400_000 }, 20);
    const lim = store.limits;
    assert.ok(store.size < 400 && store.size > 10, `retained ${store.size}`);
    assert.ok(store.memory().arenaLive <= lim.arenaBytes);
    assert.ok(store.memory().total <= lim.maxBytes, `${store.memory().total} <= ${lim.maxBytes}`);
    nav.goto(store.tail - 1);
    assert.equal(nav.scopes()!.locals[0].value!.binary!.data!.length, 2000, 'the newest body is intact');
    nav.goto(store.head);
    assert.equal(nav.scopes()!.locals[0].value!.binary!.data!.length, 2000, 'the oldest retained body is intact');
  });
});

describe('store: short-lived processes', () => {
  it('forgets exited processes once their events are evicted, and reuses their ids', () => {
    const s = new Synth();
    for (let i = 0; i < 200; i++) {
      const pid = `<0.${1000 + i}.0>`;
      s.spawn(P, pid);
      s.call(pid, mfa('work'));
      s.ret(pid, mfa('work'));
      s.exit(pid);
    }
    const { store } = load(s, { maxEvents: 40 }, 8);
    assert.ok(store.interner.released > 150, `released ${store.interner.released}`);
    assert.ok(store.interner.procs.length < 40, `${store.interner.procs.length} process slots`);
    assert.equal(store.pidId('<0.1000.0>'), undefined, 'the first worker is forgotten');
    const last = store.process(store.pidId('<0.1199.0>')!);
    assert.equal(last.pid, '<0.1199.0>');
    assert.equal(last.parent, P);
    assert.ok(last.exitIndex >= store.head);
    assert.equal(store.pidId(P) !== undefined, true, 'the spawner stays while its events are retained');
  });
});

describe('store: oversized bodies', () => {
  it('keeps an event whose body exceeds an arena chunk as a visible marker', () => {
    const s = new Synth();
    s.line(P, 1, { small: t.int(1) }); // 0
    s.line(P, 2, { huge: t.str('y'.repeat(50_000)) }); // 1
    s.line(P, 3); // 2
    const { store, nav } = load(s, { maxEvents: 100, maxBytes: 200_000 });
    assert.ok(store.limits.chunkBytes < 50_000);
    assert.equal(store.size, 3);
    assert.equal(store.bodyOversized(1), true);
    assert.equal(store.body(1), undefined);
    assert.equal(store.stats().oversizedBodies, 1);
    nav.goto(1);
    assert.deepEqual(nav.scopes()!.locals, []);
    assert.equal(nav.scopes()!.body, undefined);
    assert.equal(nav.scopes()!.bodyTooLarge, true);
    assert.equal(moved(nav.stepIn()), 2);
    assert.equal(nav.scopes()!.body!.line!.line, 3);
  });
});

describe('store: edges of the recording', () => {
  it('a step back from the first event stays there', () => {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.line(P, 1); // 1
    const { nav } = load(s);
    nav.goto(0);
    for (const r of [nav.stepIn({ reverse: true }), nav.stepOver({ reverse: true }), nav.stepOut({ reverse: true }), nav.continue({ reverse: true })]) {
      assert.equal(r.status, 'boundary');
      assert.equal(nav.cursor, 0);
    }
  });

  it('a step forward at the live end waits for the next matching event', async () => {
    const s = new Synth();
    s.call(P, mfa('a')); // 0
    s.line(P, 1); // 1
    s.call(P, mfa('b')); // 2
    const { store, nav } = load(s);
    nav.goto(1);
    const r = nav.stepOver();
    assert.equal(r.status, 'waiting');
    assert.equal(nav.cursor, 1, 'the cursor stays while waiting');
    const more = new Synth();
    more.events.push(...s.events);
    more.line(P, 20); // 3: inside b, deeper: not a target
    more.line(Q, 1); // 4: other process
    for (const f of more.frames(5, 3)) store.ingest(f);
    assert.equal(nav.cursor, 1);
    more.ret(P, mfa('b')); // 5: deeper
    more.line(P, 2); // 6: back in a — the target
    for (const f of more.frames(5, 5)) store.ingest(f);
    const done = await (r as { settled: Promise<Moved> }).settled;
    assert.equal(done.status, 'moved');
    assert.equal(done.index, 6);
    assert.equal(nav.cursor, 6);
  });

  it('continue at the live end resolves on the next hit; a new move cancels a wait', async () => {
    const s = new Synth();
    s.line(P, 1); // 0
    const { store, nav } = load(s);
    nav.goto(0);
    const first = nav.continue();
    assert.equal(first.status, 'waiting');
    const second = nav.continue();
    assert.deepEqual(await (first as { settled: Promise<unknown> }).settled, { status: 'cancelled' });
    const more = new Synth();
    more.events.push(...s.events);
    more.line(P, 2); // 1
    more.line(Q, 3, {}, 9); // 2: hit in another process
    for (const f of more.frames(5, 1)) store.ingest(f);
    const m = (await (second as { settled: Promise<Moved> }).settled) as Moved;
    assert.equal(m.index, 2);
    assert.equal(m.reason, 'breakpoint');
    assert.equal(m.hit, 9);
    assert.equal(nav.pid, store.pidId(Q));
  });

  it('an empty recording: continue waits for the first hit, pause finds nothing', async () => {
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    const nav = new Navigator(store);
    assert.equal(nav.pause(), undefined);
    const r = nav.continue();
    assert.equal(r.status, 'waiting');
    const s = new Synth();
    s.line(P, 1);
    s.line(P, 2, {}, 4);
    for (const f of s.frames()) store.ingest(f);
    assert.equal(((await (r as { settled: Promise<Moved> }).settled) as Moved).index, 1);
  });
});

describe('store: ordering', () => {
  it('commits events in (mono, uniq) order within the reorder window', () => {
    const s = new Synth();
    for (let i = 0; i < 15; i++) s.line(i % 2 ? P : Q, i);
    const store = new RecordingStore({ reorderWindowNs: 5000, flushDelayMs: 0 });
    const enc = (from: number, to: number) => elixirscope.AgentMessage.encode({ events: s.batch(from, to) }).finish();
    store.ingest(enc(5, 10));
    assert.equal(store.size, 0, 'nothing is older than the window yet');
    store.ingest(enc(0, 5));
    assert.equal(store.size, 5);
    store.ingest(enc(10, 15));
    assert.equal(store.size, 10);
    store.flush();
    const seqs = [];
    for (let g = store.head; g < store.tail; g++) seqs.push(store.cols.seq[store.slot(g)]);
    assert.deepEqual(seqs, Array.from({ length: 15 }, (_, i) => i));
    assert.equal(store.stats().late, 0);
    // Older than what was committed: appended and counted, not lost.
    store.ingest(elixirscope.AgentMessage.encode({ events: s.batch(0, 1) }).finish());
    store.flush();
    assert.equal(store.size, 16);
    assert.equal(store.stats().late, 1);
  });

  it('sorts a batch whose events are out of order, breaking mono ties by uniq', () => {
    const s = new Synth();
    for (let i = 0; i < 6; i++) s.add({ pid: P, kind: elixirscope.EventKind.LINE, mono: 1000, body: { line: { line: i } } });
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    store.ingestBatch(s.batch(0, 6, [3, 1, 5, 0, 2, 4]));
    store.flush();
    const seqs = [];
    for (let g = store.head; g < store.tail; g++) seqs.push(store.cols.seq[store.slot(g)]);
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5]);
  });

  it('commits pending events after the flush delay when the program goes quiet', async () => {
    const s = new Synth();
    s.line(P, 1);
    const store = new RecordingStore({ reorderWindowNs: 1e12, flushDelayMs: 5 });
    store.ingest(s.frames()[0]);
    assert.equal(store.size, 0);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(store.size, 1);
    store.dispose();
  });

  it('rejects a malformed batch with a protocol error instead of crashing', () => {
    const s = new Synth();
    s.line(P, 1);
    s.line(P, 2);
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    const errors: string[] = [];
    store.on('protocolError', (e) => errors.push(e));
    const b = s.batch();
    assert.equal(store.ingestBatch({ ...b, pid: [0, 7] }), 0);
    assert.equal(store.ingestBatch({ ...b, mono: [1] }), 0);
    assert.equal(errors.length, 2);
    assert.match(errors[0], /pid index 7/);
    assert.equal(store.size, 0);
    assert.equal(store.ingestBatch(b), 2);
  });

  it('reports events the agent dropped', () => {
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    const seen: number[] = [];
    store.on('agentDropped', (d) => seen.push(d.droppedTotal));
    store.ingest(elixirscope.AgentMessage.encode({ events: { dropped: 42 } }).finish());
    store.ingest(elixirscope.AgentMessage.encode({ events: { dropped: 8 } }).finish());
    assert.deepEqual(seen, [42, 50]);
  });
});
