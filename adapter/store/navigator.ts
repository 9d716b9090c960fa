// The time-travel cursor (runtime model, no DAP): step in/over/out and continue, each forward or
// reverse, per the semantics in adapter/store/README.md; forward movement at the live end waits for later events. Emits 'moved'.
//
// Waiting: a forward move with no target in the recording returns {status: 'waiting', settled}. The
// navigator re-runs the same query whenever the store commits events; when it finds the target it moves
// the cursor, emits 'moved' and resolves `settled`. A new move, goto, pause or cancelWait() cancels the
// wait (settled resolves {status: 'cancelled'}). The cursor does not move while waiting.

import { EventEmitter } from 'events';
import { Kind, isExit, isSteppable } from './eventKind';
import { Committed, HistoryDropped, RecordingStore } from './recordingStore';
import { FrameInfo, FrameScopes, MessageInfo, PositionScopes, RecordingView, StackInfo, StateInfo } from './views';
import { ProcState } from './processes';
import { ValueWatches, WatchHit } from './valueWatches';
import type { CrossedGaps } from './gaps';

export type StepKind = 'stepIn' | 'stepOver' | 'stepOut' | 'continue';
export type StopReason = 'step' | 'breakpoint' | 'entry' | 'pause' | 'goto' | 'evicted';

export interface MoveOptions {
  /** Move backwards in the recording. */
  reverse?: boolean;
  /** Process (global id) to step; default the cursor's. Its position is its latest event at or before the cursor. */
  pid?: number;
}

export interface Moved {
  status: 'moved';
  index: number;
  pid: number;
  reason: StopReason;
  /** Breakpoint id hit at the new position (0 = none). */
  hit: number;
  /** A continue stopped here because a watched value changed (reason 'breakpoint'). */
  watch?: WatchHit;
  /** The move went over events the agent did not record (store.gaps); absent when none. */
  gaps?: CrossedGaps;
}

/** Reverse movement with nothing earlier (first retained event of the process): the cursor stays. */
export interface AtBoundary {
  status: 'boundary';
  index: number;
  pid: number;
}

export interface Cancelled {
  status: 'cancelled';
}

export interface Waiting {
  status: 'waiting';
  settled: Promise<Moved | Cancelled>;
}

export type MoveResult = Moved | AtBoundary | Waiting;

export interface NavigatorEventMap {
  /** Every cursor move, including resolved waits ('step'/'breakpoint') and eviction of the cursor's event ('evicted'). */
  moved: [Moved];
  waiting: [{ kind: StepKind; pid: number }];
  cancelled: [];
}

interface PendingWait {
  kind: StepKind;
  pid: number;
  base: number;
  resolve: (r: Moved | Cancelled) => void;
}

export class Navigator extends EventEmitter<NavigatorEventMap> {
  readonly view: RecordingView;
  /** Values whose changes stop a continue, like breakpoint hits (data breakpoints). */
  readonly watches: ValueWatches;
  private cur = -1;
  private curPid = -1;
  private wait: PendingWait | undefined;
  private readonly onCommitted = (_c: Committed): void => this.retryWait();
  private readonly onDropped = (_d: HistoryDropped): void => this.cursorEvicted();
  private readonly onReleased = (id: number): void => {
    // Nothing of that process is left, and its id may be reused: a wait on it can never be answered.
    if (this.wait?.pid === id) this.cancelWait();
  };

  constructor(readonly store: RecordingStore) {
    super();
    this.view = new RecordingView(store);
    this.watches = new ValueWatches(store);
    store.on('committed', this.onCommitted);
    store.on('historyDropped', this.onDropped);
    store.on('processReleased', this.onReleased);
  }

  dispose(): void {
    this.cancelWait();
    this.store.off('committed', this.onCommitted);
    this.store.off('historyDropped', this.onDropped);
    this.store.off('processReleased', this.onReleased);
  }

  /** Global index of the cursor's event; -1 before the first event. */
  get cursor(): number {
    return this.cur;
  }

  /** Global process id of the cursor's event; -1 before the first event. */
  get pid(): number {
    return this.curPid;
  }

  get waiting(): boolean {
    return this.wait !== undefined;
  }

  stepIn(o: MoveOptions = {}): MoveResult {
    return this.move('stepIn', o);
  }

  stepOver(o: MoveOptions = {}): MoveResult {
    return this.move('stepOver', o);
  }

  stepOut(o: MoveOptions = {}): MoveResult {
    return this.move('stepOut', o);
  }

  continue(o: MoveOptions = {}): MoveResult {
    return this.move('continue', o);
  }

  move(kind: StepKind, o: MoveOptions = {}): MoveResult {
    this.cancelWait();
    const pid = o.pid ?? this.curPid;
    if (pid >= 0 && this.store.interner.procs[pid] === undefined) throw new RangeError(`unknown process id ${pid}`);
    const base = this.baseFor(pid);
    if (o.reverse) {
      const watch = kind === 'continue' && base >= 0 ? this.watches.prev(this.cur) : undefined;
      const bt = this.backwardTarget(kind, pid, base);
      // The later of the previous hit and the previous change; without an earlier hit the backward
      // target is the process's first event, and a change before the cursor is a better stop.
      const t = watch && (bt < 0 || watch.index >= bt || this.store.cols.hit[this.store.slot(bt)] === 0) ? watch.index : bt;
      if (t === -1 || t === this.cur) return { status: 'boundary', index: this.cur, pid: this.curPid };
      const from = kind === 'continue' ? this.cur : base;
      if (watch && t === watch.index) return this.land(t, 'breakpoint', watch, from);
      return this.land(t, kind === 'continue' ? (this.store.cols.hit[this.store.slot(t)] !== 0 ? 'breakpoint' : 'entry') : 'step', undefined, from);
    }
    const found = this.forward(kind, pid, base);
    if (found) return found;
    let resolve!: (r: Moved | Cancelled) => void;
    const settled = new Promise<Moved | Cancelled>((r) => (resolve = r));
    this.wait = { kind, pid, base, resolve };
    this.emit('waiting', { kind, pid });
    return { status: 'waiting', settled };
  }

  /** Puts the cursor on event g (e.g. chosen in a webview). */
  goto(g: number, reason: StopReason = 'goto'): Moved | undefined {
    if (!this.store.has(g)) return undefined;
    this.cancelWait();
    return this.land(g, reason);
  }

  /** Stops waiting and puts the cursor on the latest event (of `pid`, or of any process). */
  pause(pid?: number): Moved | undefined {
    this.cancelWait();
    const st = this.store;
    let t = -1;
    if (pid !== undefined) t = st.process(pid).steps.last();
    else for (let g = st.tail - 1; g >= st.head && t === -1; g--) if (isSteppable(st.kind(g))) t = g;
    return t >= 0 ? this.land(t, 'pause') : undefined;
  }

  cancelWait(): void {
    const w = this.wait;
    if (!w) return;
    this.wait = undefined;
    w.resolve({ status: 'cancelled' });
    this.emit('cancelled');
  }

  // ───────────── views at the cursor ─────────────

  /** Position of `pid` at the cursor's time: its latest event at or before the cursor (-1 if none). */
  positionOf(pid = this.curPid): number {
    if (pid < 0 || this.cur < 0) return -1;
    return pid === this.curPid ? this.cur : this.store.process(pid).steps.atOrBefore(this.cur);
  }

  stack(pid = this.curPid, start = 0, levels = Infinity): StackInfo {
    const g = this.positionOf(pid);
    return g >= 0 ? this.view.stack(g, start, levels) : { frames: [], total: 0, truncated: false };
  }

  scopes(pid = this.curPid): PositionScopes | undefined {
    const g = this.positionOf(pid);
    return g >= 0 ? this.view.scopes(g) : undefined;
  }

  frameScopes(frame: FrameInfo): FrameScopes {
    return this.view.frameScopes(frame);
  }

  state(pid = this.curPid): StateInfo | undefined {
    return pid >= 0 && this.cur >= 0 ? this.view.stateAt(this.cur, pid) : undefined;
  }

  message(pid = this.curPid): MessageInfo | undefined {
    return pid >= 0 && this.cur >= 0 ? this.view.messageAt(this.cur, pid) : undefined;
  }

  threads(): ProcState[] {
    return this.view.processes();
  }

  // ───────────── targets ─────────────

  /** Where `pid` stands at the cursor; -1 if it has no event at or before the cursor. */
  private baseFor(pid: number): number {
    if (pid < 0 || this.cur < 0) return -1;
    return this.positionOf(pid);
  }

  private forwardTarget(kind: StepKind, pid: number, base: number): number {
    const st = this.store;
    if (kind === 'continue') return st.correlator.hits.next(Math.max(base, this.cur, st.head - 1));
    if (base < 0) return this.firstAfter(pid, this.cur);
    const steps = st.process(pid).steps;
    const pos = steps.lowerBound(base + 1) - 1;
    if (kind === 'stepIn') return pos + 1 < steps.end ? steps.at(pos + 1) : -1;
    const s = st.slot(base);
    const bk = st.cols.kind[s];
    const depth = st.cols.depth[s];
    if (kind === 'stepOut') {
      const k = st.correlator;
      const frame = bk === Kind.CALL ? base : isExit(bk) ? k.frameParent(st.cols.link[s]) : st.cols.link[s];
      if (frame !== -1) {
        const end = k.frameEnd(frame);
        return end > base ? end : -1;
      }
      // Not inside any recorded frame: like step over.
    }
    const level = isExit(bk) ? Math.max(0, depth - 1) : depth;
    const p = steps.nextAtMost(pos, level);
    return p >= 0 ? steps.at(p) : -1;
  }

  private backwardTarget(kind: StepKind, pid: number, base: number): number {
    const st = this.store;
    if (base < 0) return -1;
    const steps = st.process(pid).steps;
    if (kind === 'continue') {
      const h = st.correlator.hits.prev(this.cur);
      return h >= 0 ? h : steps.first();
    }
    const pos = steps.lowerBound(base);
    if (kind === 'stepIn') return pos - 1 >= steps.start ? steps.at(pos - 1) : -1;
    const s = st.slot(base);
    const bk = st.cols.kind[s];
    if (kind === 'stepOut') {
      // Back to the entry of the current frame (link); from an entry, to the caller's entry (also link).
      const target = st.cols.link[s];
      if (target !== -1 && st.has(target)) return target;
      return steps.first() === base ? -1 : steps.first();
    }
    const depth = st.cols.depth[s];
    const level = bk === Kind.CALL ? Math.max(0, depth - 1) : depth;
    const p = steps.prevAtMost(pos, level);
    if (p >= 0) return steps.at(p);
    // Nothing at this level retained (frame began before the recording): the earliest event of the process.
    return steps.first() === base ? -1 : steps.first();
  }

  /** First steppable event after g, of `pid` (or of any process when pid < 0). */
  private firstAfter(pid: number, g: number): number {
    const st = this.store;
    if (pid >= 0) return st.process(pid).steps.next(g);
    for (let e = Math.max(g + 1, st.head); e < st.tail; e++) if (isSteppable(st.kind(e))) return e;
    return -1;
  }

  /** Lands on the forward target of `kind` (the nearer of a hit and a watched change for continue), if any. */
  private forward(kind: StepKind, pid: number, base: number): Moved | undefined {
    const t = this.forwardTarget(kind, pid, base);
    const watch = kind === 'continue' && this.watches.size > 0 ? this.watches.next(Math.max(base, this.cur, this.store.head - 1)) : undefined;
    const from = kind === 'continue' ? this.cur : base;
    if (watch && (t < 0 || watch.index <= t)) return this.land(watch.index, 'breakpoint', watch, from);
    return t >= 0 ? this.land(t, kind === 'continue' ? 'breakpoint' : 'step', undefined, from) : undefined;
  }

  /** `from`: where the move started (the stepped process's position; the cursor for continue), for gaps. */
  private land(g: number, reason: StopReason, watch?: WatchHit, from = -1): Moved {
    const st = this.store;
    this.cur = g;
    this.curPid = st.pidOf(g);
    const m: Moved = { status: 'moved', index: g, pid: this.curPid, reason, hit: st.cols.hit[st.slot(g)] };
    if (watch) m.watch = watch;
    if (from >= 0 && from !== g && st.has(from) && !st.gaps.empty) {
      // A continue jumps across processes: other processes' losses in between count too.
      const crossed = st.gaps.crossed(st.process(this.curPid).pid, st.cols.mono[st.slot(from)], st.cols.mono[st.slot(g)], reason !== 'step');
      if (crossed) m.gaps = crossed;
    }
    this.emit('moved', m);
    return m;
  }

  private retryWait(): void {
    const w = this.wait;
    if (!w) return;
    const base = w.base >= this.store.head ? w.base : this.baseFor(w.pid);
    const pending = w;
    this.wait = undefined; // land() inside forward() must not see a wait in progress
    const m = this.forward(pending.kind, pending.pid, base);
    if (!m) {
      this.wait = pending;
      return;
    }
    pending.resolve(m);
  }

  /** The cursor's event was overwritten: snap to the oldest retained event of the same process. */
  private cursorEvicted(): void {
    const st = this.store;
    if (this.cur < 0 || this.cur >= st.head) return;
    let t = this.curPid >= 0 ? st.process(this.curPid).steps.first() : -1;
    if (t < 0) t = this.firstAfter(-1, st.head - 1);
    if (t < 0) {
      this.cur = -1;
      this.curPid = -1;
      return;
    }
    if (this.wait) this.wait.base = t;
    this.land(t, 'evicted');
  }
}
