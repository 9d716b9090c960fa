// The recording: decoded agent batches go through the reorder window into a bounded ring of typed-array
// columns plus a body arena, correlated and indexed on commit. Emits historyDropped/committed/…; knows nothing of DAP.

import { EventEmitter } from 'events';
import { elixirscope } from '../gen/wire';
import { BodyArena } from './body-arena';
import { RecordingLimits, ResolvedLimits, resolveLimits } from './config';
import { Correlator, RingAccess } from './correlator';
import { EventColumns } from './event-columns';
import { Kind } from './event-kind';
import { Interner, ProcState } from './processes';
import { ReorderBuffer } from './reorder-buffer';
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

const EMPTY = new Uint8Array(0);
/** bodyPos marker for a body that did not fit an arena chunk. */
const OVERSIZED = -1;
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
   * Ingests one agent frame (raw AgentMessage bytes, or an already decoded message). Event batches go
   * into the recording; the decoded message is returned either way so the caller can handle hello,
   * replies, notices and stats. Throws only on undecodable bytes (the caller reports a malformed frame).
   */
  ingest(frame: Uint8Array | elixirscope.AgentMessage): elixirscope.AgentMessage {
    const msg = frame instanceof Uint8Array ? elixirscope.AgentMessage.decode(frame) : frame;
    if (msg.events) this.ingestBatch(msg.events);
    return msg;
  }

  /** Ingests one EventBatch; returns how many events it staged (0 when the batch was rejected). */
  ingestBatch(b: elixirscope.EventBatch.$Properties): number {
    const n = b.seq?.length ?? 0;
    const dropped = toNumber(b.dropped ?? 0);
    if (dropped > 0) {
      this.agentDroppedTotal += dropped;
      this.emit('agentDropped', { dropped, droppedTotal: this.agentDroppedTotal });
    }
    if (n === 0) return 0;
    const problem = this.validate(b, n);
    if (problem !== undefined) {
      this.protocolErrors++;
      this.emit('protocolError', problem);
      return 0;
    }
    if (typeof b.seq![0] !== 'number' || typeof b.mono![0] !== 'number' || typeof b.uniq![0] !== 'number') {
      // Decoded elsewhere with Long objects: convert (slow path).
      b = { ...b, seq: b.seq!.map(toNumber), mono: b.mono!.map(toNumber), uniq: b.uniq!.map(toNumber) };
    }
    const pids = b.pids!;
    if (this.pidMap.length < pids.length) this.pidMap = new Uint32Array(pids.length * 2);
    for (let i = 0; i < pids.length; i++) this.pidMap[i] = this.interner.pidId(pids[i]);
    const mfas = b.mfas ?? [];
    if (this.mfaMap.length < mfas.length) this.mfaMap = new Uint32Array(mfas.length * 2);
    for (let i = 0; i < mfas.length; i++) this.mfaMap[i] = i === 0 ? 0 : this.interner.mfaId(mfas[i]);
    this.reorder.add({
      n,
      seq: b.seq!,
      mono: b.mono!,
      uniq: b.uniq!,
      kind: b.kind!,
      hit: orZeros(b.hit, n),
      msgHash: orZeros(b.msgHash, n),
      callTag: orZeros(b.callTag, n),
      body: b.body ?? [],
      pid: b.pid!,
      mfa: orZeros(b.mfa, n),
      other: orZeros(b.other, n),
      pidMap: this.pidMap,
      mfaMap: this.mfaMap,
    });
    this.commitUpTo(this.reorder.maxMono - this.limits.reorderWindowNs);
    if (this.reorder.pending > 0) this.armTimer();
    return n;
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

  private validate(b: elixirscope.EventBatch.$Properties, n: number): string | undefined {
    for (const [name, col] of [['mono', b.mono], ['uniq', b.uniq], ['pid', b.pid], ['kind', b.kind]] as const) {
      if (!col || col.length !== n) return `EventBatch column ${name} has ${col?.length ?? 0} entries, expected ${n}`;
    }
    for (const [name, col] of [['mfa', b.mfa], ['hit', b.hit], ['body', b.body], ['other', b.other], ['msg_hash', b.msgHash], ['call_tag', b.callTag]] as const) {
      if (col && col.length !== 0 && col.length !== n) return `EventBatch column ${name} has ${col.length} entries, expected ${n}`;
    }
    const np = b.pids?.length ?? 0;
    const nm = b.mfas?.length ?? 0;
    for (let i = 0; i < n; i++) {
      if (b.pid![i] >= np) return `EventBatch event ${i}: pid index ${b.pid![i]} outside the ${np}-entry pid table`;
      if (b.mfa && b.mfa.length && b.mfa[i] !== 0 && b.mfa[i] >= nm) return `EventBatch event ${i}: mfa index ${b.mfa[i]} outside the ${nm}-entry MFA table`;
      if (b.other && b.other.length && b.other[i] > np) return `EventBatch event ${i}: other ${b.other[i]} outside the pid table`;
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
    const body = r.body[s];
    let len = body.length;
    let oversized = false;
    if (len > this.arena.chunkBytes) {
      oversized = true;
      this.oversized++;
      len = 0;
    }
    const c = this.cols;
    if (this.tail - this.head >= c.cap) {
      if (c.cap < this.limits.maxEvents) {
        this.headSlot = c.grow(Math.min(this.limits.maxEvents, c.cap * 2), this.headSlot, this.tail - this.head);
      } else {
        this.evictOne();
      }
    }
    while (this.tail > this.head && !this.arena.fits(len, this.oldestBodyPos())) this.evictOne();
    const pos = this.arena.append(oversized ? EMPTY : body);
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
    c.bodyPos[sl] = oversized ? OVERSIZED : pos;
    c.bodyLen[sl] = oversized ? body.length : len;
    this.tail = g + 1;
    this.correlator.commit(g, sl, this.onProcessEvent);
  }

  private oldestBodyPos(): number {
    // Oversized markers hold no bytes; any retained event's position bounds the live span from below.
    for (let g = this.head; g < this.tail; g++) {
      const p = this.cols.bodyPos[this.slot(g)];
      if (p !== OVERSIZED) return p;
    }
    return this.arena.position;
  }

  private evictOne(): void {
    const g = this.head;
    const s = this.headSlot;
    this.correlator.evict(g, s);
    this.head = g + 1;
    this.headSlot = s + 1 === this.cols.cap ? 0 : s + 1;
    this.evictedTotal++;
    this.evictedNow++;
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
    return this.cols.bodyPos[this.slot(g)] === OVERSIZED;
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
    if (pos === OVERSIZED) return undefined;
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

function orZeros(col: ArrayLike<number> | null | undefined, n: number): ArrayLike<number> {
  return col && col.length === n ? col : zeros(n);
}

let zeroBuf = new Uint32Array(1024);
function zeros(n: number): Uint32Array {
  if (zeroBuf.length < n) zeroBuf = new Uint32Array(n * 2);
  return zeroBuf;
}

export { Kind };
