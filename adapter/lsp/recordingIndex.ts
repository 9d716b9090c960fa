// Per-function indexes over the recording, built incrementally as the store commits events (never by
// scanning the whole recording per request): call/exception counts, the latest calls, returns and
// exceptions of every recorded function (by MFA id), functions by module, and the frame walks the
// language features need (LINE events of one frame, in O(log n) per step over nested calls).
import { Kind, type Mfa, type RecordingStore } from '../store';

/** How many recent CALL events are kept per function (hover shows a few of them). */
export const RECENT_CALLS = 16;

export interface FunctionStats {
  mfaId: number;
  mfa: Mfa;
  /** CALL events recorded so far (evicted ones included). */
  calls: number;
  exceptions: number;
  /** Latest retained or not events (global indexes; -1 = none). */
  lastCall: number;
  lastReturn: number;
  lastException: number;
}

interface Entry extends FunctionStats {
  /** Ring of the latest CALL indexes. */
  recent: Float64Array;
  recentN: number;
}

const CALL = Kind.CALL, RETURN = Kind.RETURN, EXCEPTION = Kind.EXCEPTION, LINE = Kind.LINE;

export class RecordingIndex {
  private entries: (Entry | undefined)[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly byModule = new Map<string, number[]>();
  private seenMfas = 1;
  /** Bumped on every ingest: lets callers cache per version. */
  version = 0;
  private readonly onCommitted = (c: { from: number; to: number }): void => this.ingest(c.from, c.to);

  /** `onModule` is told about every module the first time one of its functions is recorded. */
  constructor(readonly store: RecordingStore, private readonly onModule: (module: string) => void = () => undefined) {
    store.on('committed', this.onCommitted);
    this.ingest(store.head, store.tail);
  }

  dispose(): void {
    this.store.off('committed', this.onCommitted);
  }

  private ingest(from: number, to: number): void {
    const st = this.store;
    const c = st.cols;
    const mfas = st.interner.mfas;
    for (let id = this.seenMfas; id < mfas.length; id++) {
      const m = mfas[id];
      if (!m) continue;
      this.byKey.set(key(m.module, m.function, m.arity), id);
      let list = this.byModule.get(m.module);
      if (!list) {
        this.byModule.set(m.module, (list = []));
        this.onModule(m.module);
      }
      list.push(id);
    }
    this.seenMfas = mfas.length;
    const start = Math.max(from, st.head);
    const cap = c.cap;
    let s = start < to ? st.slot(start) - 1 : 0;
    for (let g = start; g < to; g++) {
      if (++s === cap) s = 0;
      const kind = c.kind[s];
      if (kind !== CALL && kind !== RETURN && kind !== EXCEPTION) continue;
      const id = c.mfa[s];
      if (id === 0) continue;
      const e = this.entries[id] ?? this.create(id);
      if (kind === CALL) {
        e.calls++;
        e.lastCall = g;
        e.recent[e.recentN++ % RECENT_CALLS] = g;
      } else if (kind === RETURN) e.lastReturn = g;
      else {
        e.exceptions++;
        e.lastException = g;
      }
    }
    this.version++;
  }

  private create(id: number): Entry {
    const mfa = this.store.interner.mfas[id]!;
    const e: Entry = { mfaId: id, mfa, calls: 0, exceptions: 0, lastCall: -1, lastReturn: -1, lastException: -1, recent: new Float64Array(RECENT_CALLS), recentN: 0 };
    this.entries[id] = e;
    return e;
  }

  /** Recorded modules (Erlang names, `Elixir.Bank.Account`). */
  modules(): string[] {
    return [...this.byModule.keys()];
  }

  mfaId(module: string, fn: string, arity: number): number {
    return this.byKey.get(key(module, fn, arity)) ?? 0;
  }

  stats(module: string, fn: string, arity: number): FunctionStats | undefined {
    const id = this.mfaId(module, fn, arity);
    return id > 0 ? this.entries[id] : undefined;
  }

  /** Retained CALL events of a function, newest first, at most `n`. */
  recentCalls(module: string, fn: string, arity: number, n = 5): number[] {
    const e = this.entries[this.mfaId(module, fn, arity)];
    if (!e) return [];
    const out: number[] = [];
    for (let k = 1; k <= Math.min(e.recentN, RECENT_CALLS) && out.length < n; k++) {
      const g = e.recent[(e.recentN - k) % RECENT_CALLS];
      if (this.store.has(g)) out.push(g);
    }
    return out;
  }

  /**
   * LINE events directly in the frame opened by CALL `call` (not in nested calls), oldest first, up to
   * `until` (inclusive) and at most `limit`. Nested calls are skipped with the process's depth tree.
   */
  frameLines(call: number, until = Infinity, limit = 200): number[] {
    const st = this.store;
    const k = st.correlator;
    if (!k.hasFrame(call)) return [];
    const depth = k.frameDepth(call);
    const end = k.frameEnd(call);
    const pid = st.has(call) ? st.pidOf(call) : -1;
    if (pid < 0) return [];
    const steps = st.process(pid).steps;
    const out: number[] = [];
    let pos = steps.lowerBound(call + 1) - 1;
    for (let n = 0; n < limit * 4 && out.length < limit; n++) {
      const p = steps.nextAtMost(pos, depth);
      if (p < 0) break;
      const g = steps.at(p);
      if (g > until || (end >= 0 && g >= end)) break;
      const s = st.slot(g);
      if (st.cols.link[s] !== call) break;
      if (st.cols.kind[s] === LINE) out.push(g);
      pos = p;
    }
    return out;
  }
}

function key(module: string, fn: string, arity: number): string {
  return `${module}\u0000${fn}\u0000${arity}`;
}
