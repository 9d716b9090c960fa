// Test helper: loads a Synth recording into a fresh store (no reorder delay, no timers) with a navigator.

import { Navigator, RecordingStore, RecordingLimits } from '../../../adapter/store';
import { Synth } from './synth';

export function load(s: Synth, limits: RecordingLimits = {}, batchSize = 5): { store: RecordingStore; nav: Navigator } {
  const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0, ...limits });
  for (const f of s.frames(batchSize)) store.ingest(f);
  store.flush();
  return { store, nav: new Navigator(store) };
}

/** Names and lines of the stack at the cursor, innermost first: ["c:31", "b:21", …]. */
export function stackSig(nav: Navigator, pid?: number): string[] {
  return nav.stack(pid).frames.map((f) => `${f.mfa?.function ?? f.name}:${f.line}`);
}

export function moved(r: { status: string; index?: number }): number {
  if (r.status !== 'moved') throw new Error(`expected a move, got ${JSON.stringify(r)}`);
  return r.index!;
}
