// The once-a-second recording figures: events the adapter holds count as kept as soon as they arrive,
// also while they wait in the reorder window (a Stats frame arrives right behind the batches it counts).

import { strict as assert } from 'assert';
import { elixirscope } from '../../../adapter/gen/wire';
import { recordingStats } from '../../../adapter/runtime/debugRuntime';
import { RecordingStore } from '../../../adapter/store';
import { Synth, mfa, t } from '../store/synth';

describe('runtime: recording stats', () => {
  it('counts the events of a batch that arrived just before the Stats frame (not committed yet)', () => {
    const s = new Synth();
    for (let i = 0; i < 10; i++) s.call('<0.100.0>', mfa('f'), [t.int(i)]);
    // The adapter's defaults: a 20 ms reorder window and a quiet timer (no timer here: it would commit).
    const store = new RecordingStore({ flushDelayMs: 0 });
    store.ingest(elixirscope.AgentMessage.encode({ events: s.batch() }).finish());
    assert.equal(store.stats().retained, 0, 'still in the reorder window');
    const st = recordingStats(store.stats(), { dropped: 3, sampled: 4 }, 1000, 'full');
    assert.equal(st.eventsKept, 10);
    assert.deepEqual([st.dropped, st.sampled, st.mode, st.ended], [3, 4, 'full', undefined]);
    store.flush();
    assert.equal(recordingStats(store.stats(), { dropped: 0, sampled: 0 }, 0, 'stopped', true).eventsKept, 10, 'committed: the same count');
    store.dispose();
  });
});
