// Correlates events incrementally as they are committed, writing its results into the ring's columns:
// call ↔ return/exception, per-process stacks and depths, send ↔ receive, GenServer.call request ↔ reply,
// state chains, lineage; and keeps all of it consistent as the oldest events are evicted.
//
// Column meanings (g = global event index, -1 = none):
//   depth[g]  frame depth of the event: CALL = depth of the callee; RETURN/EXCEPTION = depth of the
//             (lowest) frame it closes; other kinds = depth of the current frame; EXIT = 0.
//   link[g]   CALL: the caller's CALL; other kinds: the CALL of the frame the event is in (RETURN: the frame it closes).
//   match[g]  CALL: the RETURN/EXCEPTION/EXIT closing it (-1 while open); RETURN/EXCEPTION: the CALL;
//             SEND: the paired RECEIVE (negative while unpaired); RECEIVE: the paired SEND.
//   peer[g]   SEND with a call tag: the request's reply, or the reply's request.
//   lineAt[g] the latest LINE event in the current frame (for CALL: in the caller, i.e. the call site).

import { EventColumns } from './eventColumns';
import { IndexList } from './indexList';
import { Kind, steppableTable } from './eventKind';
import { Interner, ProcState } from './processes';

import { GhostFrames } from './ghostFrames';

export interface RingAccess {
  readonly head: number;
  readonly tail: number;
  readonly cols: EventColumns;
  slot(g: number): number;
}

// Module-local copies: hot code reads these on every event (imported bindings go through accessors).
const CALL = Kind.CALL, RETURN = Kind.RETURN, EXCEPTION = Kind.EXCEPTION, LINE = Kind.LINE, SEND = Kind.SEND, RECEIVE = Kind.RECEIVE;
const SPAWN = Kind.SPAWN, EXIT = Kind.EXIT, STATE = Kind.STATE, LINK = Kind.LINK, UNLINK = Kind.UNLINK, PROCESS = Kind.PROCESS;
const STEPPABLE = steppableTable();

export class Correlator {
  private readonly ghosts = new GhostFrames();
  /**
   * Unreceived sends per receiver (global pid id) by msg_hash, oldest first; a bare number when only one
   * waits (no array per send). Keys stay small integers (phash2 < 2^27) so the maps box nothing.
   */
  private readonly sendQueues: Map<number, number | number[]>[] = [];
  /** Unreceived sends whose receiver is unknown (sent to a name or alias we could not resolve), by msg_hash. */
  private readonly anyReceiver = new Map<number, number | number[]>();
  /** Unanswered GenServer.call requests by call tag. */
  private readonly callTags = new Map<number, number>();
  readonly hits = new IndexList();

  constructor(private readonly ring: RingAccess, private readonly interner: Interner) {}

  /** Correlates event g (already written at slot s). */
  commit(g: number, s: number, onProcessEvent: (p: ProcState, g: number) => void): void {
    const c = this.ring.cols;
    const kind = c.kind[s];
    const p = this.interner.procs[c.pid[s]];
    const stack = p.stack;
    const L = stack.length;
    const top = L > 0 ? stack[L - 1] : -1;
    const curLine = L > 0 ? p.stackLine[L - 1] : p.line0;
    c.match[s] = -1;
    c.peer[s] = -1;
    switch (kind) {
      case CALL:
        c.depth[s] = L + 1;
        c.link[s] = top;
        c.lineAt[s] = curLine;
        stack.push(g);
        p.stackMfa.push(c.mfa[s]);
        p.stackLine.push(-1);
        break;
      case RETURN:
      case EXCEPTION: {
        if (L === 0) {
          // Its call happened before recording began.
          c.depth[s] = 0;
          c.link[s] = -1;
          c.lineAt[s] = curLine;
          break;
        }
        // The frame it closes: the topmost with the same MFA; frames above it were elided tail calls
        // (or unwound by the exception) and close with it. Unknown MFA closes the top frame.
        const mfa = c.mfa[s];
        let j = L - 1;
        if (mfa !== 0 && p.stackMfa[j] !== mfa) {
          let k = j - 1;
          while (k >= 0 && p.stackMfa[k] !== mfa) k--;
          if (k >= 0) j = k;
        }
        c.depth[s] = j + 1;
        c.link[s] = stack[j];
        c.match[s] = stack[j];
        c.lineAt[s] = p.stackLine[j];
        for (let i = j; i < L; i++) this.setMatch(stack[i], g);
        stack.length = j;
        p.stackMfa.length = j;
        p.stackLine.length = j;
        break;
      }
      case LINE:
        c.depth[s] = L;
        c.link[s] = top;
        c.lineAt[s] = g;
        if (L > 0) p.stackLine[L - 1] = g;
        else p.line0 = g;
        break;
      case EXIT:
        // The process is gone: every open frame ends here.
        for (let i = 0; i < L; i++) this.setMatch(stack[i], g);
        stack.length = 0;
        p.stackMfa.length = 0;
        p.stackLine.length = 0;
        c.depth[s] = 0;
        c.link[s] = -1;
        c.lineAt[s] = -1;
        p.exitIndex = g;
        break;
      default:
        c.depth[s] = L;
        c.link[s] = top;
        c.lineAt[s] = curLine;
    }
    switch (kind) {
      case SEND: {
        // The receiver: `other`; for a GenServer reply sent to an alias (OTP 24+), the requester.
        let receiver = c.other[s] - 1;
        const tag = c.callTag[s];
        if (tag !== 0) {
          const req = this.callTags.get(tag);
          if (req !== undefined && req >= this.ring.head && c.pid[this.ring.slot(req)] !== c.pid[s]) {
            const rs = this.ring.slot(req);
            c.peer[s] = req;
            c.peer[rs] = g;
            this.callTags.delete(tag);
            if (receiver < 0) receiver = c.pid[rs];
          } else {
            this.callTags.set(tag, g);
          }
        }
        const h = c.msgHash[s];
        if (h !== 0) {
          // Unmatched sends keep their queue in `match` (-2 - receiver; -1 = the unknown-receiver queue)
          // so eviction finds it even after the request that named the receiver is gone.
          const m = receiver >= 0 ? this.queuesOf(receiver) : this.anyReceiver;
          c.match[s] = receiver >= 0 ? -2 - receiver : -1;
          const q = m.get(h);
          if (q === undefined) m.set(h, g);
          else if (typeof q === 'number') m.set(h, [q, g]);
          else q.push(g);
        }
        break;
      }
      case RECEIVE: {
        const h = c.msgHash[s];
        if (h !== 0) {
          let snd = this.takeOldest(this.queuesOf(c.pid[s]), h);
          if (snd < 0) snd = this.takeOldest(this.anyReceiver, h);
          if (snd >= 0) {
            c.match[s] = snd;
            c.match[this.ring.slot(snd)] = g;
          }
        }
        break;
      }
      case STATE:
        p.states.push(g);
        break;
      case SPAWN: {
        const other = c.other[s];
        if (other !== 0) {
          const child = this.interner.procs[other - 1];
          child.parent = p.pid;
          child.spawnIndex = g;
        }
        break;
      }
      case LINK:
      case UNLINK: {
        const other = c.other[s];
        if (other !== 0) {
          const peer = this.interner.procs[other - 1];
          if (kind === LINK) {
            p.links.add(peer.pid);
            peer.links.add(p.pid);
          } else {
            p.links.delete(peer.pid);
            peer.links.delete(p.pid);
          }
        }
        break;
      }
      case PROCESS:
        onProcessEvent(p, g);
        break;
    }
    if (STEPPABLE[kind & 15] === 1) p.steps.pushStep(g, c.depth[s]);
    if (c.hit[s] !== 0) this.hits.push(g);
  }

  /** Called before event g (the oldest) leaves the ring; `head` is then g + 1. */
  evict(g: number, s: number): void {
    const c = this.ring.cols;
    const kind = c.kind[s];
    const p = this.interner.procs[c.pid[s]];
    if (kind === CALL) {
      const m = c.match[s];
      if (m === -1 || m > g) this.ghosts.add(g, c.mfa[s], c.link[s], m, c.lineAt[s], c.depth[s], g + 1);
    } else if (kind === SEND) {
      const m = c.match[s];
      if (m < 0 && c.msgHash[s] !== 0) {
        const queues = m === -1 ? this.anyReceiver : this.queuesOf(-2 - m);
        const q = queues.get(c.msgHash[s]);
        if (q === g || (typeof q === 'object' && q[0] === g)) this.takeOldest(queues, c.msgHash[s]);
      }
      const tag = c.callTag[s];
      if (tag !== 0 && this.callTags.get(tag) === g) this.callTags.delete(tag);
    }
    if (STEPPABLE[kind & 15] === 1) p.steps.evictBelow(g + 1);
    if (kind === STATE) p.states.evictBelow(g + 1);
    if (c.hit[s] !== 0) this.hits.evictBelow(g + 1);
  }

  /** A process was released: drop what is keyed by its id. */
  forgetProcess(pid: number): void {
    const m = this.sendQueues[pid];
    if (m !== undefined) m.clear();
  }

  private queuesOf(pid: number): Map<number, number | number[]> {
    let m = this.sendQueues[pid];
    if (m === undefined) {
      while (this.sendQueues.length <= pid) this.sendQueues.push(new Map());
      m = this.sendQueues[pid];
    }
    return m;
  }

  private takeOldest(m: Map<number, number | number[]>, h: number): number {
    const q = m.get(h);
    if (q === undefined) return -1;
    if (typeof q === 'number') {
      m.delete(h);
      return q;
    }
    const g = q.shift()!;
    if (q.length === 1) m.set(h, q[0]);
    return g;
  }

  private setMatch(call: number, g: number): void {
    if (call >= this.ring.head) this.ring.cols.match[this.ring.slot(call)] = g;
    else this.ghosts.setMatch(call, g);
  }

  // ── ghost-aware accessors for CALL events (frames), usable for evicted calls still on a stack ──

  hasFrame(call: number): boolean {
    return call >= this.ring.head ? call < this.ring.tail : this.ghosts.slotOf(call) >= 0;
  }

  frameMfa(call: number): number {
    if (call >= this.ring.head) return this.ring.cols.mfa[this.ring.slot(call)];
    return this.ghosts.get(call, 'mfa', 0);
  }

  frameParent(call: number): number {
    if (call >= this.ring.head) return this.ring.cols.link[this.ring.slot(call)];
    return this.ghosts.get(call, 'link', -1);
  }

  frameEnd(call: number): number {
    if (call >= this.ring.head) return this.ring.cols.match[this.ring.slot(call)];
    return this.ghosts.get(call, 'match', -1);
  }

  /** The caller's latest LINE when this call was made (the call site), or -1. */
  frameCallSite(call: number): number {
    if (call >= this.ring.head) return this.ring.cols.lineAt[this.ring.slot(call)];
    return this.ghosts.get(call, 'lineAt', -1);
  }

  frameDepth(call: number): number {
    if (call >= this.ring.head) return this.ring.cols.depth[this.ring.slot(call)];
    return this.ghosts.get(call, 'depth', 0);
  }

  /** Bookkeeping sizes, for tests and the memory report. */
  sizes(): { ghosts: number; sendQueues: number; callTags: number } {
    let sendQueues = this.anyReceiver.size;
    for (const m of this.sendQueues) sendQueues += m.size;
    return { ghosts: this.ghosts.size, sendQueues, callTags: this.callTags.size };
  }
}
