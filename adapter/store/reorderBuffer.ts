// Staging area between decoded batches and the ring: holds events until the reorder window has passed
// and hands them over in (mono, uniq, seq) order, since several agent encoders interleave batches.
// Bodies stay in the frames they arrived in (kept alive while any of their events is pending).

export interface StagedBatch {
  n: number;
  seq: ArrayLike<number>;
  mono: ArrayLike<number>;
  uniq: ArrayLike<number>;
  kind: ArrayLike<number>;
  hit: ArrayLike<number>;
  msgHash: ArrayLike<number>;
  callTag: ArrayLike<number>;
  /** Batch-local indexes, mapped to global ids through pidMap/mfaMap (other = pid index + 1, 0 = none). */
  pid: ArrayLike<number>;
  mfa: ArrayLike<number>;
  other: ArrayLike<number>;
  pidMap: ArrayLike<number>;
  mfaMap: ArrayLike<number>;
  /** Body i is buf[bodyOff[i], bodyOff[i] + bodyLen[i]). */
  buf: Uint8Array;
  bodyOff: ArrayLike<number>;
  bodyLen: ArrayLike<number>;
}

export class ReorderBuffer {
  private cap = 0;
  /** Slots [0, used) hold staged events; ord[ordStart, ordEnd) lists the pending ones in order (ordEnd = used). */
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
  frame = new Uint32Array(0);
  bodyOff = new Uint32Array(0);
  bodyLen = new Uint32Array(0);
  private ord = new Int32Array(0);
  private ordStart = 0;
  private ordEnd = 0;
  private scratch = new Int32Array(0);
  private remap = new Int32Array(0);
  /** Frames holding pending bodies: frames[i] has id frameBase + i and frameLeft[i] pending events. */
  private frames: Uint8Array[] = [];
  private frameLeft: number[] = [];
  private frameBase = 0;
  /** Highest mono seen: the window is measured back from it. */
  maxMono = -Infinity;

  get pending(): number {
    return this.ordEnd - this.ordStart;
  }

  /** The frame buffer holding the body of slot s. */
  bufOf(s: number): Uint8Array {
    return this.frames[this.frame[s] - this.frameBase];
  }

  /** Stages one batch. */
  add(b: StagedBatch): void {
    const n = b.n;
    if (n === 0) return;
    this.ensure(n);
    const fid = this.frameBase + this.frames.length;
    this.frames.push(b.buf);
    this.frameLeft.push(n);
    const s0 = this.used;
    let sorted = true;
    const pidMap = b.pidMap;
    const mfaMap = b.mfaMap;
    let maxMono = this.maxMono;
    for (let i = 0; i < n; i++) {
      const s = s0 + i;
      const mono = b.mono[i];
      this.seq[s] = b.seq[i];
      this.mono[s] = mono;
      this.uniq[s] = b.uniq[i];
      this.pid[s] = pidMap[b.pid[i]];
      this.kind[s] = b.kind[i];
      const m = b.mfa[i];
      this.mfa[s] = m === 0 ? 0 : mfaMap[m];
      this.hit[s] = b.hit[i];
      const o = b.other[i];
      this.other[s] = o === 0 ? 0 : pidMap[o - 1] + 1;
      this.msgHash[s] = b.msgHash[i];
      this.callTag[s] = b.callTag[i];
      this.frame[s] = fid;
      this.bodyOff[s] = b.bodyOff[i];
      this.bodyLen[s] = b.bodyLen[i];
      if (sorted && i > 0 && this.before(s, s - 1)) sorted = false;
      if (mono > maxMono) maxMono = mono;
    }
    this.maxMono = maxMono;
    this.used += n;
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
   * Hands pending events with mono <= threshold to `sink` in order (slot numbers; read the columns and
   * bufOf(slot) during the call), and forgets them. Returns how many.
   */
  drain(threshold: number, sink: (slot: number) => void): number {
    const ord = this.ord;
    let i = this.ordStart;
    const end = this.ordEnd;
    while (i < end && this.mono[ord[i]] <= threshold) {
      const s = ord[i++];
      sink(s);
      this.frameLeft[this.frame[s] - this.frameBase]--;
    }
    const count = i - this.ordStart;
    this.ordStart = i;
    // Release frames whose events were all committed (oldest first).
    let k = 0;
    while (k < this.frames.length && this.frameLeft[k] === 0) k++;
    if (k > 0) {
      this.frames.splice(0, k);
      this.frameLeft.splice(0, k);
      this.frameBase += k;
    }
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
   * Room for n more slots. Pending events are compacted in place to the front (in slot order, so
   * copying forward is safe) and the arrays grow only when pending events fill a quarter of them
   * (so compaction runs rarely): no garbage in steady state.
   */
  private ensure(n: number): void {
    if (this.used + n <= this.cap) return;
    const live = this.ordEnd - this.ordStart;
    if (live > 0) {
      if (this.remap.length < this.used) this.remap = new Int32Array(this.cap);
      const remap = this.remap;
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
    this.ordStart = 0;
    this.ordEnd = live;
    this.used = live;
    if (live + n > this.cap >> 2) this.resize(Math.max(4096, (live + n) * 4));
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
    this.frame[to] = this.frame[from];
    this.bodyOff[to] = this.bodyOff[from];
    this.bodyLen[to] = this.bodyLen[from];
  }

  private resize(newCap: number): void {
    const used = this.used;
    const f64 = (a: Float64Array) => { const r = new Float64Array(newCap); r.set(a.subarray(0, used)); return r; };
    const u32 = (a: Uint32Array) => { const r = new Uint32Array(newCap); r.set(a.subarray(0, used)); return r; };
    this.seq = f64(this.seq);
    this.mono = f64(this.mono);
    this.uniq = f64(this.uniq);
    this.pid = u32(this.pid);
    const kind = new Uint8Array(newCap);
    kind.set(this.kind.subarray(0, used));
    this.kind = kind;
    this.mfa = u32(this.mfa);
    this.hit = u32(this.hit);
    this.other = u32(this.other);
    this.msgHash = u32(this.msgHash);
    this.callTag = u32(this.callTag);
    this.frame = u32(this.frame);
    this.bodyOff = u32(this.bodyOff);
    this.bodyLen = u32(this.bodyLen);
    const ord = new Int32Array(newCap);
    ord.set(this.ord.subarray(0, this.ordEnd));
    this.ord = ord;
    this.cap = newCap;
  }
}
