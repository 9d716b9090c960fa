// Staging area between decoded batches and the ring: holds events until the reorder window has passed
// and hands them over in (mono, uniq, seq) order, since several agent encoders interleave batches.

export interface StagedBatch {
  n: number;
  seq: ArrayLike<number>;
  mono: ArrayLike<number>;
  uniq: ArrayLike<number>;
  kind: ArrayLike<number>;
  hit: ArrayLike<number>;
  msgHash: ArrayLike<number>;
  callTag: ArrayLike<number>;
  body: ArrayLike<Uint8Array | undefined>;
  /** Batch-local indexes, mapped to global ids through pidMap/mfaMap (other = pid index + 1, 0 = none). */
  pid: ArrayLike<number>;
  mfa: ArrayLike<number>;
  other: ArrayLike<number>;
  pidMap: ArrayLike<number>;
  mfaMap: ArrayLike<number>;
}

const EMPTY: Uint8Array = new Uint8Array(0);

export class ReorderBuffer {
  private cap = 0;
  /** Slots [0, used) hold staged events; ord[ordStart, ordEnd) lists the pending ones in order. */
  private used = 0;
  seq = new Float64Array(0);
  mono = new Float64Array(0);
  uniq = new Float64Array(0);
  pid = new Uint32Array(0);
  kind = new Uint8Array(0);
  mfa = new Uint32Array(0);
  hit = new Uint32Array(0);
  other = new Uint32Array(0);
  msgHash = new Uint32Array(0);
  callTag = new Uint32Array(0);
  body: Uint8Array[] = [];
  private ord = new Int32Array(0);
  private ordStart = 0;
  private ordEnd = 0;
  private scratch = new Int32Array(0);
  /** Highest mono seen: the window is measured back from it. */
  maxMono = -Infinity;

  get pending(): number {
    return this.ordEnd - this.ordStart;
  }

  /** Stages one batch. */
  add(b: StagedBatch): void {
    const n = b.n;
    if (n === 0) return;
    this.ensure(n);
    const s0 = this.used;
    let sorted = true;
    for (let i = 0; i < n; i++) {
      const s = s0 + i;
      this.seq[s] = b.seq[i];
      this.mono[s] = b.mono[i];
      this.uniq[s] = b.uniq[i];
      this.pid[s] = b.pidMap[b.pid[i]];
      this.kind[s] = b.kind[i];
      const m = b.mfa[i];
      this.mfa[s] = m === 0 ? 0 : b.mfaMap[m];
      this.hit[s] = b.hit[i];
      const o = b.other[i];
      this.other[s] = o === 0 ? 0 : b.pidMap[o - 1] + 1;
      this.msgHash[s] = b.msgHash[i];
      this.callTag[s] = b.callTag[i];
      this.body[s] = b.body[i] ?? EMPTY;
      if (sorted && i > 0 && this.before(s, s - 1)) sorted = false;
      if (b.mono[i] > this.maxMono) this.maxMono = b.mono[i];
    }
    this.used += n;
    // New slots in order.
    let fresh = this.scratchOf(n);
    for (let i = 0; i < n; i++) fresh[i] = s0 + i;
    if (!sorted) fresh = fresh.sort((x, y) => (this.before(x, y) ? -1 : this.before(y, x) ? 1 : 0));
    // Merge with the pending order: usually the batch is entirely later (plain append).
    const ord = this.ord;
    let ins = this.ordEnd;
    if (ins > this.ordStart && this.before(fresh[0], ord[ins - 1])) {
      let lo = this.ordStart;
      let hi = this.ordEnd;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.before(fresh[0], ord[mid])) hi = mid;
        else lo = mid + 1;
      }
      ins = lo;
    }
    if (ins === this.ordEnd) {
      ord.set(fresh, ins);
    } else {
      const tail = ord.slice(ins, this.ordEnd);
      let i = 0;
      let j = 0;
      let w = ins;
      while (i < tail.length && j < n) ord[w++] = this.before(fresh[j], tail[i]) ? fresh[j++] : tail[i++];
      while (i < tail.length) ord[w++] = tail[i++];
      while (j < n) ord[w++] = fresh[j++];
    }
    this.ordEnd += n;
  }

  /**
   * Hands pending events with mono <= threshold to `sink` in order (slot numbers; read the columns),
   * and forgets them. Returns how many.
   */
  drain(threshold: number, sink: (slot: number) => void): number {
    const ord = this.ord;
    let i = this.ordStart;
    const end = this.ordEnd;
    while (i < end && this.mono[ord[i]] <= threshold) {
      const s = ord[i++];
      sink(s);
      this.body[s] = EMPTY; // release the frame buffer the body view points into
    }
    const count = i - this.ordStart;
    this.ordStart = i;
    if (this.ordStart === this.ordEnd) this.ordStart = this.ordEnd = this.used = 0;
    return count;
  }

  /** (mono, uniq, seq) of slot x strictly before slot y. */
  private before(x: number, y: number): boolean {
    const mx = this.mono[x];
    const my = this.mono[y];
    if (mx !== my) return mx < my;
    const ux = this.uniq[x];
    const uy = this.uniq[y];
    if (ux !== uy) return ux < uy;
    return this.seq[x] < this.seq[y];
  }

  private scratchOf(n: number): Int32Array {
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, 1024));
    return this.scratch.subarray(0, n);
  }

  /**
   * Room for n more slots. Pending events are compacted in place to the front (slot order, so
   * copying forward is safe) and the arrays grow only when pending events fill half of them: no
   * garbage in steady state.
   */
  private ensure(n: number): void {
    if (this.used + n <= this.cap) return;
    const live = this.ordEnd - this.ordStart;
    if (live > 0) {
      const remap = this.remapOf(this.used);
      remap.fill(-1, 0, this.used);
      for (let i = this.ordStart; i < this.ordEnd; i++) remap[this.ord[i]] = 0;
      let w = 0;
      for (let s = 0; s < this.used; s++) {
        if (remap[s] < 0) continue;
        if (w !== s) this.moveSlot(s, w);
        remap[s] = w++;
      }
      for (let i = this.ordStart; i < this.ordEnd; i++) this.ord[i - this.ordStart] = remap[this.ord[i]];
    }
    for (let s = live; s < this.used; s++) this.body[s] = EMPTY;
    this.ordStart = 0;
    this.ordEnd = live;
    this.used = live;
    if (live + n > this.cap >> 1) this.resize(Math.max(1024, (live + n) * 2));
  }

  private moveSlot(from: number, to: number): void {
    this.seq[to] = this.seq[from];
    this.mono[to] = this.mono[from];
    this.uniq[to] = this.uniq[from];
    this.pid[to] = this.pid[from];
    this.kind[to] = this.kind[from];
    this.mfa[to] = this.mfa[from];
    this.hit[to] = this.hit[from];
    this.other[to] = this.other[from];
    this.msgHash[to] = this.msgHash[from];
    this.callTag[to] = this.callTag[from];
    this.body[to] = this.body[from];
  }

  private remap = new Int32Array(0);
  private remapOf(n: number): Int32Array {
    if (this.remap.length < n) this.remap = new Int32Array(n);
    return this.remap;
  }

  private resize(newCap: number): void {
    const f64 = (a: Float64Array) => { const r = new Float64Array(newCap); r.set(a.subarray(0, this.used)); return r; };
    const u32 = (a: Uint32Array) => { const r = new Uint32Array(newCap); r.set(a.subarray(0, this.used)); return r; };
    this.seq = f64(this.seq);
    this.mono = f64(this.mono);
    this.uniq = f64(this.uniq);
    this.pid = u32(this.pid);
    const kind = new Uint8Array(newCap);
    kind.set(this.kind.subarray(0, this.used));
    this.kind = kind;
    this.mfa = u32(this.mfa);
    this.hit = u32(this.hit);
    this.other = u32(this.other);
    this.msgHash = u32(this.msgHash);
    this.callTag = u32(this.callTag);
    for (let i = this.body.length; i < newCap; i++) this.body.push(EMPTY);
    const ord = new Int32Array(newCap);
    ord.set(this.ord.subarray(0, this.ordEnd));
    this.ord = ord;
    this.cap = newCap;
  }
}
