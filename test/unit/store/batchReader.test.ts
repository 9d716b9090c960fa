// The fast EventBatch reader against the generated protobuf decoder (the schema's reference), and
// robustness of ingest against truncated or foreign frames.

import { strict as assert } from 'assert';
import fc from 'fast-check';
import { elixirscope } from '../../../adapter/gen/wire';
import { RecordingStore } from '../../../adapter/store';
import { BatchReader } from '../../../adapter/store/batchReader';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u53 = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger().map((x) => Math.abs(x)));
const i53 = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger());

const batchArb = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.record({
    seq: fc.array(u53, { minLength: n, maxLength: n }),
    mono: fc.array(i53, { minLength: n, maxLength: n }),
    uniq: fc.array(u53, { minLength: n, maxLength: n }),
    pid: fc.array(u32, { minLength: n, maxLength: n }),
    kind: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: n, maxLength: n }),
    mfa: fc.array(u32, { minLength: n, maxLength: n }),
    hit: fc.array(u32, { minLength: n, maxLength: n }),
    body: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: n, maxLength: n }),
    pids: fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 5 }),
    mfas: fc.array(fc.record({ module: fc.string(), function: fc.string(), arity: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
    dropped: u53,
    other: fc.array(u32, { minLength: n, maxLength: n }),
    msgHash: fc.array(u32, { minLength: n, maxLength: n }),
    callTag: fc.array(u32, { minLength: n, maxLength: n }),
  }),
);

describe('store: fast batch reader', function () {
  // Property runs: generous under a loaded machine (the project .mocharc gives 20 s; plain mocha 2 s).
  this.timeout(60_000);
  it('reads exactly what the generated decoder reads', () => {
    const r = new BatchReader();
    fc.assert(
      fc.property(batchArb, (props) => {
        const frame = elixirscope.AgentMessage.encode({ events: props }).finish();
        const ref = elixirscope.AgentMessage.decode(frame).events!;
        assert.equal(r.read(frame), true);
        const n = ref.seq?.length ?? 0;
        assert.equal(r.n, n);
        const col = (a: ArrayLike<number>) => Array.from(a).slice(0, n);
        const body = (i: number) => Array.from(frame.subarray(r.bodyOff[i], r.bodyOff[i] + r.bodyLen[i]));
        assert.deepEqual(col(r.seq), ref.seq ?? []);
        assert.deepEqual(col(r.mono), ref.mono ?? []);
        assert.deepEqual(col(r.uniq), ref.uniq ?? []);
        for (const [mine, theirs] of [[r.pid, ref.pid], [r.kind, ref.kind], [r.mfa, ref.mfa], [r.hit, ref.hit], [r.other, ref.other], [r.msgHash, ref.msgHash], [r.callTag, ref.callTag]] as const) {
          assert.deepEqual(col(mine).slice(0, theirs?.length ?? 0), theirs ?? []);
        }
        assert.deepEqual(Array.from({ length: ref.body?.length ?? 0 }, (_, i) => body(i)), (ref.body ?? []).map((b) => Array.from(b)));
        assert.deepEqual(r.pids, ref.pids ?? []);
        assert.deepEqual(r.mfas.map((m) => [m.module, m.function, m.arity]), (ref.mfas ?? []).map((m) => [m.module, m.function, m.arity]));
        assert.equal(r.dropped, ref.dropped ?? 0);
      }),
      { numRuns: 300 },
    );
  });

  it('says "not a batch" for the other agent messages', () => {
    const r = new BatchReader();
    assert.equal(r.read(elixirscope.AgentMessage.encode({ hello: { token: 'x', protocolVersion: 1 } }).finish()), false);
    assert.equal(r.read(elixirscope.AgentMessage.encode({ notice: { message: 'hi' } }).finish()), false);
    const store = new RecordingStore({ flushDelayMs: 0 });
    const msg = store.ingest(elixirscope.AgentMessage.encode({ stats: { eventsTotal: 5 } }).finish());
    assert.equal(msg?.stats?.eventsTotal, 5);
  });

  it('never throws on a truncated event frame: it is a protocol error, and the store stays usable', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), (props, cut) => {
        const frame = elixirscope.AgentMessage.encode({ events: props }).finish();
        const store = new RecordingStore({ flushDelayMs: 0, reorderWindowNs: 0 });
        let errors = 0;
        store.on('protocolError', () => errors++);
        const at = cut % Math.max(1, frame.length);
        if (at === 0) return;
        store.ingest(frame.subarray(0, at));
        assert.ok(errors <= 1);
        assert.equal(store.size, 0);
      }),
      { numRuns: 200 },
    );
  });
});
