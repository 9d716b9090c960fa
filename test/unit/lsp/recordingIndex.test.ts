import * as assert from 'assert';
import { RecordingIndex } from '../../../adapter/lsp/recordingIndex';
import { RecordingStore } from '../../../adapter/store';
import { toNumber } from '../../../adapter/store/wireNumbers';
import { mfa, Synth, t } from '../store/synth';

describe('lsp: recording index', () => {
  it('counts calls and exceptions incrementally, keeps the newest calls, and follows eviction', () => {
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0, maxEvents: 100 });
    const modules: string[] = [];
    const index = new RecordingIndex(store, (m) => modules.push(m));
    const s = new Synth();
    const f = mfa('f', 1);
    for (let i = 0; i < 60; i++) {
      s.call('<0.1.0>', f, [t.int(i)]);
      if (i % 10 === 9) s.exc('<0.1.0>', f);
      else s.ret('<0.1.0>', f, t.int(i * 2));
    }
    for (const fr of s.frames(7)) store.ingest(fr);
    store.flush();
    assert.deepStrictEqual(modules, ['Elixir.Demo']);
    const st = index.stats('Elixir.Demo', 'f', 1)!;
    assert.strictEqual(st.calls, 60, 'evicted calls still counted');
    assert.strictEqual(st.exceptions, 6);
    assert.strictEqual(toNumber(store.body(st.lastReturn)?.return?.value?.int), 116);
    const recent = index.recentCalls('Elixir.Demo', 'f', 1, 5);
    assert.deepStrictEqual(recent.map((g) => toNumber(store.body(g)?.call?.args?.[0].int)), [59, 58, 57, 56, 55]);
    assert.ok(store.head > 0, 'the ring evicted the oldest events');
    assert.ok(index.recentCalls('Elixir.Demo', 'f', 1, 100).every((g) => store.has(g)), 'only retained calls are offered');
    assert.strictEqual(index.stats('Elixir.Demo', 'g', 1), undefined);
    index.dispose();
  });

  it('walks the LINE events of one frame, skipping nested calls', () => {
    const s = new Synth();
    const p = '<0.1.0>';
    const outer = s.call(p, mfa('outer', 0), []);
    const l1 = s.line(p, 10, { a: t.int(1) });
    s.call(p, mfa('inner', 0), []);
    s.line(p, 20, { b: t.int(2) });
    s.ret(p, mfa('inner', 0));
    const l2 = s.line(p, 11, { a: t.int(1), c: t.int(3) });
    s.ret(p, mfa('outer', 0));
    s.line(p, 12, {});
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    for (const fr of s.frames(3)) store.ingest(fr);
    store.flush();
    const index = new RecordingIndex(store);
    assert.deepStrictEqual(index.frameLines(outer), [l1, l2]);
    assert.deepStrictEqual(index.frameLines(outer, l1), [l1], 'up to the cursor');
  });
});
