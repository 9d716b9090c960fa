// Value watches over a recording (runtime model, no DAP): "stop where `state.balance` of this process
// changes". A watch names a process and a path into its GenServer state; a change is a state version
// whose value at the path differs from the version before it. The navigator's continue stops at the
// nearest change in its direction, as at a breakpoint hit.
//
// Values are compared by their rendering (the path's term formatted in full), so a field whose
// capture was cut the same way twice reads as unchanged. A path that does not resolve in a version
// (the key is missing, the state is another shape) has the value "absent": appearing and
// disappearing are changes too. Scans are bounded (MAX_SCAN versions per query) so a huge recording
// never freezes a step, and a forward query asked again from the same place (waiting at the live
// end) resumes where the previous one stopped.

import type { elixirscope } from '../gen/wire';
import { evaluatePath } from '../terms/pathEval';
import { formatTerm } from '../terms/format';
import type { RecordingStore } from './recordingStore';

export interface ValueWatch {
  /** Id the stop reports (a DAP data breakpoint id). */
  id: number;
  /** Global process id whose state is watched. */
  pid: number;
  /** Path from the state, as a hover expression rooted at `state` (`state.balance`, `elem(state, 1)`). */
  path: string;
}

export interface WatchHit {
  /** The STATE event where the value changed. */
  index: number;
  id: number;
  before: string;
  after: string;
}

const ABSENT = '(absent)';
const MAX_SCAN = 100_000;

export class ValueWatches {
  private watches: ValueWatch[] = [];
  /** Per watch: a forward scan from `from` found no change up to state event `last` (value `value`). */
  private readonly frontier = new Map<ValueWatch, { from: number; last: number; value: string }>();

  constructor(private readonly store: RecordingStore) {}

  get size(): number {
    return this.watches.length;
  }

  /** Replaces every watch. */
  set(watches: ValueWatch[]): void {
    this.watches = [...watches];
    this.frontier.clear();
  }

  /** The earliest change strictly after event g, over all watches. */
  next(g: number): WatchHit | undefined {
    let best: WatchHit | undefined;
    for (const w of this.watches) {
      const h = this.scan(w, g, +1);
      if (h && (!best || h.index < best.index)) best = h;
    }
    return best;
  }

  /** The latest change strictly before event g, over all watches. */
  prev(g: number): WatchHit | undefined {
    let best: WatchHit | undefined;
    for (const w of this.watches) {
      const h = this.scan(w, g, -1);
      if (h && (!best || h.index > best.index)) best = h;
    }
    return best;
  }

  /** The value of the watched path at the state version in force at event g ("(absent)" when none). */
  valueAt(w: ValueWatch, g: number): string {
    const p = this.store.process(w.pid);
    const v = p.states.atOrBefore(g);
    return v >= 0 ? this.valueOf(w, v) : ABSENT;
  }

  private scan(w: ValueWatch, g: number, dir: 1 | -1): WatchHit | undefined {
    if (this.store.interner.procs[w.pid] === undefined) return undefined;
    const states = this.store.process(w.pid).states;
    if (dir > 0) {
      // Waiting at the live end re-asks with the same g after every commit: resume where the last
      // scan stopped instead of decoding the same versions again.
      const f = this.frontier.get(w);
      const resume = f && f.from === g && this.store.has(f.last) ? f : undefined;
      let prevValue = resume?.value;
      let pos = states.lowerBound((resume ? resume.last : g) + 1);
      let last = -1;
      for (let n = 0; pos < states.end && n < MAX_SCAN; pos++, n++) {
        const v = states.at(pos);
        const before = prevValue ?? (pos > states.start ? this.valueOf(w, states.at(pos - 1)) : undefined);
        const after = this.valueOf(w, v);
        if (before !== undefined && before !== after) return { index: v, id: w.id, before, after };
        prevValue = after;
        last = v;
      }
      if (last >= 0 && prevValue !== undefined) this.frontier.set(w, { from: g, last, value: prevValue });
      return undefined;
    }
    let pos = states.lowerBound(g) - 1;
    let afterValue: string | undefined;
    for (let n = 0; pos > states.start && n < MAX_SCAN; pos--, n++) {
      const after = afterValue ?? this.valueOf(w, states.at(pos));
      const before = this.valueOf(w, states.at(pos - 1));
      if (before !== after) return { index: states.at(pos), id: w.id, before, after };
      afterValue = before;
    }
    return undefined;
  }

  private valueOf(w: ValueWatch, stateEvent: number): string {
    const state = this.store.body(stateEvent)?.state?.state as elixirscope.Term.$Properties | undefined;
    if (!state) return ABSENT;
    try {
      return formatTerm(evaluatePath(w.path, new Map([['state', state]])), { syntax: 'elixir' });
    } catch {
      return ABSENT;
    }
  }
}
