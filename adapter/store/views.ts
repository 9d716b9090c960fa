// Read-only views over one position of the recording: the call stack, a frame's arguments and locals,
// the return value or exception, the GenServer state version current there and the message being handled.

import { elixirscope } from '../gen/wire';
import { Kind, isExit, kindName } from './eventKind';
import { Mfa, ProcState, formatMfa } from './processes';
import { RecordingStore } from './recordingStore';

type Term = elixirscope.Term.$Properties;
type Binding = elixirscope.Binding.$Properties;

export interface FrameInfo {
  /** Global index of the CALL that opened the frame (the frame's stable id); -1 for the process's top level. */
  call: number;
  mfa: Mfa | undefined;
  /** `Bank.Account.deposit/2`, or the process name for the top level. */
  name: string;
  depth: number;
  /** Current line of the frame (top frame: at the position; outer frames: the call site); 0 = unknown. */
  line: number;
  file: string;
  /** LINE (or, at function entry, CALL) event giving the line and locals; -1 = none. */
  lineEvent: number;
  /** The CALL event was evicted: name and caller are kept, arguments are gone. */
  evicted: boolean;
  /**
   * A frame nothing recorded (OTP internals, deps, the test runner): from the stack the VM took at a
   * breakpoint hit enclosing the position (call = -1, mfa set, file as the debug info has it).
   */
  untraced?: boolean;
}

export interface StackInfo {
  frames: FrameInfo[];
  /** Total frames (frames may be a page of it). */
  total: number;
  /** Older frames exist but nothing of them was retained. */
  truncated: boolean;
}

export interface ArgumentsInfo {
  args: Term[];
  bindings: Binding[];
  /** 1-based matched clause; 0 = unknown. */
  clause: number;
  /** The CALL was evicted, or its body too large to keep. */
  unavailable: boolean;
}

export interface FrameScopes {
  arguments?: ArgumentsInfo;
  locals: Binding[];
}

export interface StateInfo {
  /** STATE event holding this version. */
  index: number;
  version: number;
  callback: string;
  state: Term | undefined;
  message: Term | undefined;
  from: string;
}

export interface MessageInfo {
  message: Term | undefined;
  /** 'state': from the STATE event the callback produced (exact); 'receive': the oldest message received since the last state version (best effort while the callback runs). */
  source: 'state' | 'receive';
  index: number;
  callback: string;
}

export interface PositionScopes extends FrameScopes {
  index: number;
  kind: string;
  /** On a RETURN. */
  returnValue?: Term;
  /** On an EXCEPTION. */
  exception?: { class: string; reason: Term | undefined; stacktrace: Term | undefined };
  /** The event's own decoded body (message sent/received, spawn, exit, state…); undefined if too large. */
  body?: elixirscope.EventBody;
  /** The event's body was larger than an arena chunk and not kept: say so instead of showing nothing. */
  bodyTooLarge?: boolean;
  state?: StateInfo;
  message?: MessageInfo;
}

/** Correlated partners of an event (global indexes, -1 = none / not retained). */
export interface EventLinks {
  /** CALL ↔ RETURN/EXCEPTION/EXIT, SEND ↔ RECEIVE. */
  match: number;
  /** GenServer.call request ↔ reply (both SENDs). */
  peer: number;
  /** Enclosing frame's CALL (for a CALL: its caller's). */
  frame: number;
}

export interface EventInfo {
  index: number;
  seq: number;
  mono: number;
  pid: number;
  kind: number;
  kindName: string;
  mfa: Mfa | undefined;
  hit: number;
  depth: number;
  other: number;
}

const RECEIVE_SCAN_LIMIT = 10_000;

export class RecordingView {
  constructor(private readonly store: RecordingStore) {}

  event(g: number): EventInfo | undefined {
    const st = this.store;
    if (!st.has(g)) return undefined;
    const c = st.cols;
    const s = st.slot(g);
    return {
      index: g,
      seq: c.seq[s],
      mono: c.mono[s],
      pid: c.pid[s],
      kind: c.kind[s],
      kindName: kindName(c.kind[s]),
      mfa: st.interner.mfas[c.mfa[s]],
      hit: c.hit[s],
      depth: c.depth[s],
      other: c.other[s] - 1,
    };
  }

  links(g: number): EventLinks {
    const st = this.store;
    if (!st.has(g)) return { match: -1, peer: -1, frame: -1 };
    const s = st.slot(g);
    const keep = (x: number) => (st.has(x) ? x : -1);
    return { match: keep(st.cols.match[s]), peer: keep(st.cols.peer[s]), frame: st.cols.link[s] };
  }

  /** Stack of g's process at g, innermost first; `start`/`levels` page it. */
  stack(g: number, start = 0, levels = Infinity): StackInfo {
    const st = this.store;
    if (!st.has(g)) return { frames: [], total: 0, truncated: false };
    const s = st.slot(g);
    const kind = st.cols.kind[s];
    let call = kind === Kind.CALL ? g : st.cols.link[s];
    let lineEvent = kind === Kind.CALL || kind === Kind.LINE ? g : st.cols.lineAt[s];
    const k = st.correlator;
    const withHit = this.hitStack(call, lineEvent);
    if (withHit) return { frames: withHit.frames.slice(start, start + levels), total: withHit.frames.length, truncated: withHit.truncated };
    const total = call === -1 ? 1 : k.frameDepth(call);
    const frames: FrameInfo[] = [];
    let i = 0;
    while (call !== -1 && k.hasFrame(call) && frames.length < levels) {
      if (i++ >= start) frames.push(this.frame(call, lineEvent));
      lineEvent = k.frameCallSite(call);
      call = k.frameParent(call);
    }
    if (total === 1 && frames.length === 0 && call === -1 && start === 0 && levels > 0) {
      // Events outside any recorded call (e.g. state versions in gen_server's loop) still need a frame.
      // A line probe's event names its function even when its calls are not recorded (a test body).
      const p = st.process(st.cols.pid[s]);
      const lineMfa = lineEvent >= 0 && st.has(lineEvent) && st.cols.kind[st.slot(lineEvent)] === Kind.LINE ? st.interner.mfas[st.cols.mfa[st.slot(lineEvent)]] : undefined;
      frames.push({ call: -1, mfa: lineMfa, name: lineMfa ? formatMfa(lineMfa) : topLevelName(p), depth: 0, ...this.lineOf(lineEvent), lineEvent, evicted: false });
    }
    return { frames, total: Math.max(total, frames.length), truncated: call !== -1 && !k.hasFrame(call) };
  }

  /**
   * The whole stack when a breakpoint hit with a captured stack (CallEvent.stack) encloses the
   * position: the recorded frames down to the hit, then the hit's captured callers, where each one
   * that is a recorded frame shows as that frame and the others as untraced frames. Undefined when
   * no enclosing frame carries a stack (only hits do; the `hit` column says which without decoding).
   */
  private hitStack(call: number, lineEvent: number): { frames: FrameInfo[]; truncated: boolean } | undefined {
    const st = this.store;
    const k = st.correlator;
    const chain: { call: number; lineEvent: number }[] = [];
    let hitAt = -1;
    let stack: elixirscope.StackEntry.$Properties[] = [];
    for (let c = call, le = lineEvent; c !== -1 && k.hasFrame(c); le = k.frameCallSite(c), c = k.frameParent(c)) {
      chain.push({ call: c, lineEvent: le });
      if (hitAt < 0 && st.has(c) && st.cols.hit[st.slot(c)] !== 0) {
        const s = st.body(c)?.call?.stack;
        if (s && s.length > 0) {
          hitAt = chain.length - 1;
          stack = s;
        }
      }
    }
    if (hitAt < 0) return undefined;
    const last = chain[chain.length - 1];
    const truncated = last !== undefined && k.frameParent(last.call) !== -1 && !k.hasFrame(k.frameParent(last.call));
    const frames = chain.slice(0, hitAt + 1).map((f) => this.frame(f.call, f.lineEvent));
    const rest = chain.slice(hitAt + 1);
    let r = 0;
    for (const e of stack) {
      const same = (f: { call: number }) => {
        const m = st.interner.mfas[k.frameMfa(f.call)];
        return !!m && m.module === e.module && m.function === e.function && m.arity === e.arity;
      };
      // A recorded caller that is not in the captured stack (an elided tail call) keeps its place.
      const j = rest.findIndex((f, idx) => idx >= r && same(f));
      if (j >= 0) {
        for (; r <= j; r++) frames.push(this.frame(rest[r].call, rest[r].lineEvent));
        continue;
      }
      const mfa: Mfa = { module: e.module ?? '', function: e.function ?? '', arity: e.arity ?? 0 };
      frames.push({ call: -1, mfa, name: formatMfa(mfa), depth: 0, line: e.line ?? 0, file: e.file ?? '', lineEvent: -1, evicted: false, untraced: true });
    }
    for (; r < rest.length; r++) frames.push(this.frame(rest[r].call, rest[r].lineEvent));
    return { frames, truncated };
  }

  private frame(call: number, lineEvent: number): FrameInfo {
    const k = this.store.correlator;
    const mfa = this.store.interner.mfas[k.frameMfa(call)];
    let at = this.lineOf(lineEvent);
    // No line event in the frame yet: the head of the clause that ran, when the CALL knows it.
    if (at.line === 0 && lineEvent !== call && this.store.has(call)) at = this.lineOf(call);
    return { call, mfa, name: formatMfa(mfa), depth: k.frameDepth(call), ...at, lineEvent, evicted: !this.store.has(call) };
  }

  private lineOf(ev: number): { line: number; file: string } {
    const b = ev >= 0 ? this.store.body(ev) : undefined;
    if (b?.line) return { line: b.line.line ?? 0, file: b.line.file ?? '' };
    if (b?.call) return { line: b.call.line ?? 0, file: '' };
    return { line: 0, file: '' };
  }

  /** Arguments of the frame's call and the locals of its current line. */
  frameScopes(frame: FrameInfo): FrameScopes {
    const out: FrameScopes = { locals: [] };
    if (frame.call !== -1) {
      const call = this.store.body(frame.call)?.call;
      out.arguments = call
        ? { args: call.args ?? [], bindings: call.bindings ?? [], clause: call.clause ?? 0, unavailable: false }
        : { args: [], bindings: [], clause: 0, unavailable: true };
    }
    if (frame.lineEvent >= 0 && frame.lineEvent !== frame.call) out.locals = this.store.body(frame.lineEvent)?.line?.bindings ?? [];
    return out;
  }

  /** Everything the Debug pane shows for position g (top frame). */
  scopes(g: number): PositionScopes | undefined {
    const st = this.store;
    if (!st.has(g)) return undefined;
    const kind = st.kind(g);
    const top = this.stack(g, 0, 1).frames[0];
    const out: PositionScopes = { index: g, kind: kindName(kind), ...(top ? this.frameScopes(top) : { locals: [] }) };
    const body = st.body(g);
    out.body = body;
    if (st.bodyOversized(g)) out.bodyTooLarge = true;
    if (kind === Kind.RETURN && body?.return) out.returnValue = body.return.value ?? undefined;
    if (kind === Kind.EXCEPTION && body?.exception) {
      out.exception = { class: body.exception.class ?? '', reason: body.exception.reason ?? undefined, stacktrace: body.exception.stacktrace ?? undefined };
    }
    if (isExit(kind) && top && top.call === g) delete out.arguments;
    out.state = this.stateAt(g);
    out.message = this.messageAt(g);
    return out;
  }

  /** The GenServer state version current at g for process `pid` (default: g's). */
  stateAt(g: number, pid = this.store.pidOf(g)): StateInfo | undefined {
    const p = this.store.process(pid);
    const idx = p.states.atOrBefore(g);
    return idx >= 0 ? this.stateInfo(idx) : undefined;
  }

  private stateInfo(idx: number): StateInfo | undefined {
    const b = this.store.body(idx)?.state;
    if (!b) return undefined;
    return { index: idx, version: b.version ?? 0, callback: b.callback ?? '', state: b.state ?? undefined, message: b.message ?? undefined, from: b.from ?? '' };
  }

  /**
   * The message the GenServer `pid` (default: g's) is handling at g, when it is one: never one that
   * arrives after g (between a state version and the next message, nothing is being handled).
   */
  messageAt(g: number, pid = this.store.pidOf(g)): MessageInfo | undefined {
    const st = this.store;
    const p = st.process(pid);
    if (p.states.length === 0) return undefined;
    const own = st.has(g) && st.kind(g) === Kind.STATE && st.pidOf(g) === pid ? g : -1;
    if (own >= 0) return this.handledBy(own);
    // Since the last version: the first message received or callback entered, at or before g.
    const prev = p.states.atOrBefore(g);
    const steps = p.steps;
    const lim = Math.min(steps.end, steps.lowerBound(prev + 1) + RECEIVE_SCAN_LIMIT);
    let started = -1;
    for (let i = steps.lowerBound(prev + 1); i < lim && steps.at(i) <= g; i++) {
      const e = steps.at(i);
      const kind = st.kind(e);
      if (kind === Kind.RECEIVE) {
        started = e;
        break;
      }
      if (kind === Kind.CALL && st.depth(e) === 1 && started < 0) started = e;
    }
    if (started < 0) return undefined;
    const next = p.states.next(g);
    if (next >= 0) return this.handledBy(next);
    // The callback has not returned yet: the oldest message received since the last version.
    if (st.kind(started) === Kind.RECEIVE) return { message: st.body(started)?.receive?.message ?? undefined, source: 'receive', index: started, callback: '' };
    return undefined;
  }

  private handledBy(stateIndex: number): MessageInfo | undefined {
    const s = this.stateInfo(stateIndex);
    if (s && s.callback !== 'init' && s.callback !== 'initial') return { message: s.message, source: 'state', index: stateIndex, callback: s.callback };
    return undefined;
  }

  /**
   * What a SEND or RECEIVE is in OTP terms: a GenServer.call request or its reply (paired by call
   * tag), a cast, or a plain message. Decodes the message only when the tag does not tell.
   */
  messageRole(g: number): 'call' | 'reply' | 'cast' | 'info' | undefined {
    const st = this.store;
    if (!st.has(g)) return undefined;
    const s = st.slot(g);
    const kind = st.cols.kind[s];
    if (kind !== Kind.SEND && kind !== Kind.RECEIVE) return undefined;
    const send = kind === Kind.SEND ? g : st.cols.match[s];
    if (send >= 0 && st.has(send)) {
      const ss = st.slot(send);
      if (st.cols.callTag[ss] !== 0) {
        const peer = st.cols.peer[ss];
        return peer >= 0 && peer < send ? 'reply' : 'call';
      }
    }
    const body = st.body(g);
    const msg = kind === Kind.SEND ? body?.send?.message : body?.receive?.message;
    const tag = msg?.tuple?.items?.[0]?.atom;
    return tag === '$gen_cast' ? 'cast' : tag === '$gen_call' ? 'call' : 'info';
  }

  /** Breakpoint hits (global indexes) in [from, to), at most `limit`, oldest first. */
  hits(from = this.store.head, to = this.store.tail, limit = 1000): number[] {
    const h = this.store.correlator.hits;
    const out: number[] = [];
    for (let p = h.lowerBound(from); p < h.end && h.at(p) < to && out.length < limit; p++) out.push(h.at(p));
    return out;
  }

  /** STATE events (global indexes) of a process, oldest first: the state-diff timeline. */
  stateIndexes(pid: number, limit = 10_000): number[] {
    const l = this.store.process(pid).states;
    const out: number[] = [];
    for (let p = Math.max(l.start, l.end - limit); p < l.end; p++) out.push(l.at(p));
    return out;
  }

  /** Threads: every process with retained events. */
  processes(): ProcState[] {
    return this.store.interner.procs.filter((p) => p.steps.length > 0);
  }
}

function topLevelName(p: ProcState): string {
  return p.initialCall ? `${p.name} (${p.initialCall})` : p.name;
}
