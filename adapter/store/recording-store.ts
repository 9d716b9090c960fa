// The recording: decoded agent batches go through the reorder window into a bounded ring of typed-array
// columns plus a body arena, correlated and indexed on commit. Emits historyDropped/committed/…; knows nothing of DAP.

import { EventEmitter } from 'events';
import { elixirscope } from '../gen/wire';
import { BatchReader, MalformedFrame } from './batch-reader';
import { BodyArena } from './body-arena';
import { RecordingLimits, ResolvedLimits, resolveLimits } from './config';
import { Correlator, RingAccess } from './correlator';
import { EventColumns } from './event-columns';
import { Kind } from './event-kind';
import { Interner, ProcState } from './processes';
import { ReorderBuffer, StagedBatch } from './reorder-buffer';
import { toNumber } from './wire-numbers';

/** The oldest history was overwritten (ring full by events or bytes). */
export interface HistoryDropped {
  /** Events evicted by this ingest/flush. */
  evicted: number;
  evictedTotal: number;
  /** Oldest retained event (global index) and its agent time (ns), or -1 when empty. */
  oldestIndex: number;
  oldestMono: number;
}

/** The agent lost events before they reached us (EventBatch.dropped). */
export interface AgentLoss {
  dropped: number;
  droppedTotal: number;
}

/** Events [from, to) were committed (visible to navigation). */
export interface Committed {
  from: number;
  to: number;
}

export interface StoreEventMap {
  historyDropped: [HistoryDropped];
  agentDropped: [AgentLoss];
  committed: [Committed];
  /** A batch that violates the schema's invariants was dropped (the adapter logs it; no crash). */
  protocolError: [string];
  /** A process's naming metadata arrived or changed. */
  process: [ProcState];
  /** A process with nothing retained was forgotten; its id may be reused for another process. */
  processReleased: [number];
}

export interface StoreStats {
  retained: number;
  evictedTotal: number;
  agentDroppedTotal: number;
  /** Events that arrived after later events had been committed (appended at the end, see reorderWindowNs). */
  late: number;
  /** Bodies larger than an arena chunk: kept as "too large" markers, never silently. */
  oversizedBodies: number;
  protocolErrors: number;
  pending: number;
}

export interface MemoryReport {
  columns: number;
  arenaAllocated: number;
  /** Body bytes of retained events (virtual span of the arena in use). */
  arenaLive: number;
  indexes: number;
  total: number;
}

const BODY_CACHE = 512;

export class RecordingStore extends EventEmitter<StoreEventMap> implements RingAccess {
  readonly limits: ResolvedLimits;
  /** Retained events are global indexes [head, tail). */
  head = 0;
  tail = 0;
  private headSlot = 0;
  readonly cols: EventColumns;
  private readonly arena: BodyArena;
  private readonly reorder = new ReorderBuffer();
  private readonly reader = new BatchReader();
  readonly interner = new Interner();
  readonly correlator: Correlator;
  private evictedTotal = 0;
  private evictedNow = 0;
  private agentDroppedTotal = 0;
  private late = 0;
  private oversized = 0;
  private protocolErrors = 0;
  private lastMono = -Infinity;
  private lastUniq = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly bodyCache = new Map<number, elixirscope.EventBody>();
  private pidMap = new Uint32Array(64);
  private mfaMap = new Uint32Array(64);
  private readonly commitSlot = (s: number): void => this.commitOne(s);

  constructor(limits: RecordingLimits = {}) {
    super();
    this.limits = resolveLimits(limits);
    this.cols = new EventColumns(Math.min(this.limits.maxEvents, 4096));
    this.arena = new BodyArena(this.limits.chunkBytes, this.limits.maxChunks);
    this.correlator = new Correlator(this, this.interner);
  }

  // ───────────── ingest ─────────────

  /**
   * Ingests one agent frame: the raw bytes of an AgentMessage. Event batches are read by the fast
   * column reader straight into the recording and `undefined` is returned; any other message (hello,
   * reply, notice, stats) is decoded with the generated code and returned for the caller to handle.
   * Throws on undecodable bytes (the caller reports a malformed frame and goes on).
   */
  ingest(frame: Uint8Array): elixirscope.AgentMessage | undefined {
    let isBatch: boolean;
    try {
      isBatch = this.reader.read(frame);
    } catch (e) {
      if (e instanceof MalformedFrame) {
        this.protocolErrors++;
        this.emit('protocolError', `malformed EventBatch: ${e.message}`);
        return undefined;
      }
      throw e;
    }
    if (!isBatch) return elixirscope.AgentMessage.decode(frame);
    const r = this.reader;
    const n = r.n;
    const cnt = r.count;
    const problem = this.validateColumns(n, [cnt[1], cnt[2], cnt[3], cnt[4]], [cnt[5], cnt[6], cnt[11], cnt[7], cnt[8], cnt[9]], r.pids.length, r.mfas.length, r.pid, r.mfa, cnt[5] === n, r.other, cnt[7] === n);
    if (r.dropped > 0) this.noteAgentDropped(r.dropped);
    if (n === 0) return undefined;
    if (problem !== undefined) {
      this.protocolErrors++;
      this.emit('protocolError', problem);
      return undefined;
    }
    this.mapTables(r.pids, r.mfas);
    // Absent proto3 columns are all zeros.
    const z = zeros(n);
    this.stage({
      n,
      seq: r.seq,
      mono: r.mono,
      uniq: r.uniq,
      kind: r.kind,
      hit: cnt[6] === n ? r.hit : z,
      msgHash: cnt[8] === n ? r.msgHash : z,
      callTag: cnt[9] === n ? r.callTag : z,
      pid: r.pid,
      mfa: cnt[5] === n ? r.mfa : z,
      other: cnt[7] === n ? r.other : z,
      pidMap: this.pidMap,
      mfaMap: this.mfaMap,
      buf: frame,
      bodyOff: cnt[11] === n ? r.bodyOff : z,
      bodyLen: cnt[11] === n ? r.bodyLen : z,
    });
    return undefined;
  }

  /** Ingests an already decoded AgentMessage (slower than raw bytes); returns whether it was an event batch. */
  ingestMessage(msg: elixirscope.AgentMessage.$Properties): boolean {
    if (!msg.events) return false;
    this.ingestBatch(msg.events);
    return true;
  }

  /** Ingests one decoded EventBatch; returns how many events it staged (0 when rejected). */
  ingestBatch(b: elixirscope.EventBatch.$Properties): number {
    const n = b.seq?.length ?? 0;
    const dropped = toNumber(b.dropped ?? 0);
    if (dropped > 0) this.noteAgentDropped(dropped);
    if (n === 0) return 0;
    const len = (c: ArrayLike<unknown> | null | undefined) => c?.length ?? 0;
    const problem = this.validateColumns(n, [len(b.mono), len(b.uniq), len(b.pid), len(b.kind)], [len(b.mfa), len(b.hit), len(b.body), len(b.other), len(b.msgHash), len(b.callTag)], len(b.pids), len(b.mfas), b.pid ?? [], b.mfa ?? [], len(b.mfa) === n, b.other ?? [], len(b.other) === n);
    if (problem !== undefined) {
      this.protocolErrors++;
      this.emit('protocolError', problem);
      return 0;
    }
    const num = (c: ArrayLike<unknown>) => (typeof c[0] === 'number' ? (c as ArrayLike<number>) : Array.from(c, toNumber));
    // Bodies into one buffer (one allocation per batch), like a frame.
    const bodies = b.body ?? [];
    let total = 0;
    for (const x of bodies) total += x.length;
    const buf = new Uint8Array(total);
    const off = new Uint32Array(n);
    const blen = new Uint32Array(n);
    let at = 0;
    for (let i = 0; i < bodies.length; i++) {
      buf.set(bodies[i], at);
      off[i] = at;
      blen[i] = bodies[i].length;
      at += bodies[i].length;
    }
    this.mapTables(b.pids ?? [], b.mfas ?? []);
    const orZ = (c: number[] | null | undefined) => (c && c.length === n ? c : zeros(n));
    this.stage({
      n,
      seq: num(b.seq!),
      mono: num(b.mono!),
      uniq: num(b.uniq!),
      kind: b.kind!,
      hit: orZ(b.hit),
      msgHash: orZ(b.msgHash),
      callTag: orZ(b.callTag),
      pid: b.pid!,
      mfa: orZ(b.mfa),
      other: orZ(b.other),
      pidMap: this.pidMap,
      mfaMap: this.mfaMap,
      buf,
      bodyOff: off,
      bodyLen: blen,
    });
    return n;
  }

  private noteAgentDropped(dropped: number): void {
    this.agentDroppedTotal += dropped;
    this.emit('agentDropped', { dropped, droppedTotal: this.agentDroppedTotal });
  }

  private mapTables(pids: string[], mfas: elixirscope.Mfa.$Properties[]): void {
    if (this.pidMap.length < pids.length) this.pidMap = new Uint32Array(pids.length * 2);
    for (let i = 0; i < pids.length; i++) this.pidMap[i] = this.interner.pidId(pids[i]);
    if (this.mfaMap.length < mfas.length) this.mfaMap = new Uint32Array(mfas.length * 2);
    for (let i = 0; i < mfas.length; i++) this.mfaMap[i] = i === 0 ? 0 : this.interner.mfaId(mfas[i]);
  }

  private stage(b: StagedBatch): void {
    // Count references per process (staged events included) so gone processes can be forgotten.
    const it = this.interner;
    for (let i = 0; i < b.n; i++) {
      it.ref(b.pidMap[b.pid[i]]);
      const o = b.other[i];
      if (o !== 0) it.ref(b.pidMap[o - 1]);
    }
    this.reorder.add(b);
    this.commitUpTo(this.reorder.maxMono - this.limits.reorderWindowNs);
    if (this.reorder.pending > 0) this.armTimer();
  }

  /** Commits every pending event now (end of input, idle, tests). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.commitUpTo(Infinity);
  }

  /** Stops the flush timer; the recording stays readable. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.removeAllListeners();
  }

  /**
   * Checks a batch against the schema's invariants: required columns have n entries, optional ones n
   * or none, table indexes are in range.
   */
  private validateColumns(n: number, required: number[], optional: number[], np: number, nm: number, pid: ArrayLike<number>, mfa: ArrayLike<number>, hasMfa: boolean, other: ArrayLike<number>, hasOther: boolean): string | undefined {
    const reqNames = ['mono', 'uniq', 'pid', 'kind'];
    const optNames = ['mfa', 'hit', 'body', 'other', 'msg_hash', 'call_tag'];
    for (let i = 0; i < required.length; i++) if (required[i] !== n) return `EventBatch column ${reqNames[i]} has ${required[i]} entries, expected ${n}`;
    for (let i = 0; i < optional.length; i++) if (optional[i] !== 0 && optional[i] !== n) return `EventBatch column ${optNames[i]} has ${optional[i]} entries, expected ${n}`;
    for (let i = 0; i < n; i++) {
      if (pid[i] >= np) return `EventBatch event ${i}: pid index ${pid[i]} outside the ${np}-entry pid table`;
      if (hasMfa && mfa[i] !== 0 && mfa[i] >= nm) return `EventBatch event ${i}: mfa index ${mfa[i]} outside the ${nm}-entry MFA table`;
      if (hasOther && other[i] > np) return `EventBatch event ${i}: other ${other[i]} outside the pid table`;
    }
    return undefined;
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.limits.flushDelayMs === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.commitUpTo(Infinity);
    }, this.limits.flushDelayMs);
    this.timer.unref?.();
  }

  private commitUpTo(threshold: number): void {
    const from = this.tail;
    this.evictedNow = 0;
    this.reorder.drain(threshold, this.commitSlot);
    if (this.evictedNow > 0) {
      this.emit('historyDropped', {
        evicted: this.evictedNow,
        evictedTotal: this.evictedTotal,
        oldestIndex: this.tail > this.head ? this.head : -1,
        oldestMono: this.tail > this.head ? this.cols.mono[this.headSlot] : -1,
      });
    }
    if (this.tail > from) this.emit('committed', { from, to: this.tail });
  }

  /** Moves staged event s (reorder slot) into the ring and correlates it. */
  private commitOne(s: number): void {
    const r = this.reorder;
    const mono = r.mono[s];
    const uniq = r.uniq[s];
    if (mono < this.lastMono || (mono === this.lastMono && uniq < this.lastUniq)) this.late++;
    else {
      this.lastMono = mono;
      this.lastUniq = uniq;
    }
    const fullLen = r.bodyLen[s];
    let len = fullLen;
    if (len > this.arena.chunkBytes) {
      // Kept as a marker (bodyLen > chunkBytes, no bytes): visible in views, never silent.
      this.oversized++;
      len = 0;
    }
    const c = this.cols;
    if (this.tail - this.head >= c.cap) {
      if (c.cap < this.limits.maxEvents) {
        // Grow 4× (fewer big copies), up to the limit.
        this.headSlot = c.grow(Math.min(this.limits.maxEvents, c.cap * 4), this.headSlot, this.tail - this.head);
      } else {
        this.evictOne();
      }
    }
    // Bytes: only when the body opens a new chunk can that chunk still hold retained bodies.
    const chunk = this.arena.chunkFor(len);
    const maxChunks = this.arena.maxChunks;
    if (chunk !== this.arena.chunkFor(0)) {
      while (this.tail > this.head && chunk - this.arena.chunkOf(c.bodyPos[this.headSlot]) >= maxChunks) this.evictOne();
      this.arena.release(this.oldestBodyPos());
    }
    const pos = this.arena.append(r.bufOf(s), r.bodyOff[s], len);
    const g = this.tail;
    const sl = this.slot(g);
    c.seq[sl] = r.seq[s];
    c.mono[sl] = mono;
    c.pid[sl] = r.pid[s];
    c.kind[sl] = r.kind[s];
    c.mfa[sl] = r.mfa[s];
    c.hit[sl] = r.hit[s];
    c.other[sl] = r.other[s];
    c.msgHash[sl] = r.msgHash[s];
    c.callTag[sl] = r.callTag[s];
    c.bodyPos[sl] = pos;
    c.bodyLen[sl] = fullLen;
    this.tail = g + 1;
    this.correlator.commit(g, sl, this.onProcessEvent);
  }

  private oldestBodyPos(): number {
    return this.tail > this.head ? this.cols.bodyPos[this.headSlot] : this.arena.position;
  }

  private evictOne(): void {
    const g = this.head;
    const s = this.headSlot;
    this.correlator.evict(g, s);
    const c = this.cols;
    if (this.interner.unref(c.pid[s])) this.maybeRelease(c.pid[s]);
    if (c.other[s] !== 0 && this.interner.unref(c.other[s] - 1)) this.maybeRelease(c.other[s] - 1);
    this.head = g + 1;
    this.headSlot = s + 1 === this.cols.cap ? 0 : s + 1;
    this.evictedTotal++;
    this.evictedNow++;
  }

  private maybeRelease(id: number): void {
    if (!this.interner.releasable(id)) return;
    this.interner.release(id);
    this.correlator.forgetProcess(id);
    this.emit('processReleased', id);
  }

  private readonly onProcessEvent = (p: ProcState, g: number): void => {
    const body = this.body(g);
    const info = body?.process;
    if (!info) return;
    if (info.registeredName) p.registeredName = info.registeredName;
    if (info.callbackModule) p.callbackModule = info.callbackModule;
    if (info.initialCall) p.initialCall = info.initialCall;
    if (info.viaName) p.viaName = info.viaName;
    this.emit('process', p);
  };

  // ───────────── reading ─────────────

  /** Ring slot of a retained global index. */
  slot(g: number): number {
    const s = this.headSlot + (g - this.head);
    return s >= this.cols.cap ? s - this.cols.cap : s;
  }

  has(g: number): boolean {
    return g >= this.head && g < this.tail && Number.isInteger(g);
  }

  get size(): number {
    return this.tail - this.head;
  }

  kind(g: number): number {
    return this.cols.kind[this.slot(g)];
  }

  pidOf(g: number): number {
    return this.cols.pid[this.slot(g)];
  }

  depth(g: number): number {
    return this.cols.depth[this.slot(g)];
  }

  process(id: number): ProcState {
    return this.interner.procs[id];
  }

  /** Global id of a pid string ("<0.123.0>"), if it appeared. */
  pidId(pid: string): number | undefined {
    return this.interner.lookupPid(pid);
  }

  /** Whether the body of g was too large to keep. */
  bodyOversized(g: number): boolean {
    return this.cols.bodyLen[this.slot(g)] > this.arena.chunkBytes;
  }

  /**
   * The decoded EventBody of a retained event (cached for the few events a view touches), or undefined
   * when g is not retained or its body was too large to keep.
   */
  body(g: number): elixirscope.EventBody | undefined {
    if (!this.has(g)) return undefined;
    const cached = this.bodyCache.get(g);
    if (cached !== undefined) return cached;
    const s = this.slot(g);
    const pos = this.cols.bodyPos[s];
    if (this.cols.bodyLen[s] > this.arena.chunkBytes) return undefined;
    // Copy: decoded `bytes` fields are views into the buffer, and arena chunks get reused.
    const bytes = this.arena.view(pos, this.cols.bodyLen[s]).slice();
    const body = elixirscope.EventBody.decode(bytes);
    if (this.bodyCache.size >= BODY_CACHE) this.bodyCache.delete(this.bodyCache.keys().next().value!);
    this.bodyCache.set(g, body);
    return body;
  }

  stats(): StoreStats {
    return {
      retained: this.size,
      evictedTotal: this.evictedTotal,
      agentDroppedTotal: this.agentDroppedTotal,
      late: this.late,
      oversizedBodies: this.oversized,
      protocolErrors: this.protocolErrors,
      pending: this.reorder.pending,
    };
  }

  memory(): MemoryReport {
    const columns = this.cols.bytes();
    const arenaAllocated = this.arena.allocatedBytes();
    const arenaLive = this.size > 0 ? this.arena.position - this.oldestBodyPos() : 0;
    let indexes = this.correlator.hits.bytes();
    for (const p of this.interner.procs) indexes += p.steps.bytes() + p.states.bytes();
    return { columns, arenaAllocated, arenaLive, indexes, total: columns + arenaAllocated + indexes };
  }
}

let zeroBuf = new Uint32Array(1024);
function zeros(n: number): Uint32Array {
  if (zeroBuf.length < n) zeroBuf = new Uint32Array(n * 2);
  return zeroBuf;
}

export { Kind };
