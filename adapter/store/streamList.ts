// An append-only list of global event indexes whose positions never change: evicted items leave the
// front and raise `oldest`, item i stays the i-th ever pushed (the webviews page by these positions).

/** An append-only list of global event indexes with stable positions: item i is the i-th ever pushed. */
export class StreamList {
  private buf = new Float64Array(64);
  private start = 0;
  private end = 0;
  /** Items that left the front (evicted): the first answerable stream index. */
  dropped = 0;

  get total(): number {
    return this.dropped + this.end - this.start;
  }

  get oldest(): number {
    return this.dropped;
  }

  push(g: number): void {
    if (this.end === this.buf.length) {
      const live = this.end - this.start;
      const next = live * 2 > this.buf.length ? new Float64Array(this.buf.length * 2) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf[this.end++] = g;
  }

  /** Global index of stream item i, or -1 when evicted or not recorded (yet). */
  at(i: number): number {
    const k = i - this.dropped;
    return k >= 0 && this.start + k < this.end ? this.buf[this.start + k] : -1;
  }

  last(): number {
    return this.end > this.start ? this.buf[this.end - 1] : -1;
  }

  /** The retained item just before global index g (items ascend), or -1. */
  before(g: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (this.buf[m] < g) lo = m + 1;
      else hi = m;
    }
    return lo > this.start ? this.buf[lo - 1] : -1;
  }

  /** Drops items whose events were evicted (global index below `head`). */
  trim(head: number): void {
    while (this.start < this.end && this.buf[this.start] < head) {
      this.start++;
      this.dropped++;
    }
  }
}
