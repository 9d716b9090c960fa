// The recording: decoded agent batches go through the reorder window into a bounded ring of typed-array
// columns plus a body arena, correlated and indexed on commit. Emits historyDropped/committed/…; knows nothing of DAP.

import { EventEmitter } from 'events';
import { elixirscope } from '../gen/wire';
import { expandEtf } from '../terms/etf';
import { BatchInput } from './batchInput';
import { BodyArena } from './bodyArena';
import { RecordingLimits, ResolvedLimits, resolveLimits } from './config';
import { Correlator, RingAccess } from './correlator';
import { EventColumns } from './eventColumns';
import { GapBook } from './gaps';
import { Kind } from './eventKind';
import { Interner, ProcState } from './processes';
import { ReorderBuffer, StagedBatch } from './reorderBuffer';

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
  /** The agent reported events it lost or sampled (AgentMessage.gaps), now in `gaps`. */
  gaps: [elixirscope.Gaps.$Properties];
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
  private readonly input: BatchInput;
  readonly interner = new Interner();
  readonly correlator: Correlator;
  /** Where events are missing, per process (reported by the agent before the events that follow them). */
  readonly gaps = new GapBook();
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
  private readonly commitSlot = (s: number): void => this.commitOne(s);

  constructor(limits: RecordingLimits = {}) {
    super();
    this.limits = resolveLimits(limits);
    this.cols = new EventColumns(Math.min(this.limits.maxEvents, 4096));
    this.arena = new BodyArena(this.limits.chunkBytes, this.limits.maxChunks);
    this.correlator = new Correlator(this, this.interner);
    this.input = new BatchInput(this.interner);
  }

  // ───────────── ingest ─────────────

  /**
   * Ingests one agent frame: the raw bytes of an AgentMessage. Event batches are read by the fast
   * column reader straight into the recording and `undefined` is returned; any other message (hello,
   * reply, notice, stats) is decoded with the generated code and returned for the caller to handle.
   * A malformed batch is a 'protocolError' event, never an exception; undecodable other bytes throw.
   */
  ingest(frame: Uint8Array): elixirscope.AgentMessage | undefined {
    const r = this.input.fromFrame(frame);
    if (r.kind === 'other') return this.ingestGaps(r.message) ? undefined : r.message;
    this.accept(r);
    return undefined;
  }

  /** Ingests an already decoded AgentMessage (slower than raw bytes); returns whether it was an event batch. */
  ingestMessage(msg: elixirscope.AgentMessage.$Properties): boolean {
    if (this.ingestGaps(msg)) return false;
    if (!msg.events) return false;
    this.ingestBatch(msg.events);
    return true;
  }

  /** Takes AgentMessage.gaps (true), before the events that follow them are committed. */
  private ingestGaps(msg: elixirscope.AgentMessage.$Properties): boolean {
    if (!msg.gaps) return false;
    this.gaps.add(msg.gaps);
    this.emit('gaps', msg.gaps);
    return true;
  }

  /** Ingests one decoded EventBatch; returns how many events it staged (0 when rejected or empty). */
  ingestBatch(b: elixirscope.EventBatch.$Properties): number {
    const r = this.input.fromDecoded(b);
    return r.kind === 'batch' ? this.accept(r) : 0;
  }

  private accept(r: { dropped: number; staged?: StagedBatch; problem?: string }): number {
    if (r.dropped > 0) {
      this.agentDroppedTotal += r.dropped;
      this.emit('agentDropped', { dropped: r.dropped, droppedTotal: this.agentDroppedTotal });
    }
    if (r.problem !== undefined) {
      this.protocolErrors++;
      this.emit('protocolError', r.problem);
      return 0;
    }
    if (r.staged === undefined) return 0;
    this.stage(r.staged);
    return r.staged.n;
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
      if (this.tail > this.head) this.gaps.trim(this.cols.mono[this.headSlot]);
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
    p.applyInfo(info);
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
    // Terms captured whole travel as Term.etf: expanded here, the one place bodies are decoded.
    const body = expandEtf(elixirscope.EventBody.decode(bytes));
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

export { Kind };
