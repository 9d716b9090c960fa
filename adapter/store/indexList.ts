// A growable, append-only, sorted list of global event indexes whose oldest entries fall off as the
// ring buffer evicts; used for the hit list, per-process state versions and (subclassed) steps.

export class IndexList {
  protected idx: Float64Array;
  /** Live entries are positions [start, end). */
  start = 0;
  end = 0;

  constructor(initial = 16) {
    this.idx = new Float64Array(initial);
  }

  get length(): number {
    return this.end - this.start;
  }

  at(pos: number): number {
    return this.idx[pos];
  }

  first(): number {
    return this.end > this.start ? this.idx[this.start] : -1;
  }

  last(): number {
    return this.end > this.start ? this.idx[this.end - 1] : -1;
  }

  push(g: number): number {
    if (this.end === this.idx.length) this.makeRoom();
    const p = this.end++;
    this.idx[p] = g;
    return p;
  }

  /** Drops entries below `head` (evicted events). Entries leave in order, so this is O(dropped). */
  evictBelow(head: number): void {
    while (this.start < this.end && this.idx[this.start] < head) this.start++;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Position of the first live entry >= g (end when none). */
  lowerBound(g: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idx[mid] < g) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First entry > g, or -1. */
  next(g: number): number {
    const p = this.lowerBound(g + 1);
    return p < this.end ? this.idx[p] : -1;
  }

  /** Last entry < g, or -1. */
  prev(g: number): number {
    const p = this.lowerBound(g) - 1;
    return p >= this.start ? this.idx[p] : -1;
  }

  /** Last entry <= g, or -1. */
  atOrBefore(g: number): number {
    return this.prev(g + 1);
  }

  bytes(): number {
    return this.idx.byteLength;
  }

  /**
   * Either slides live entries to the front (when at least a quarter is dead) or grows the arrays.
   */
  protected makeRoom(): void {
    if (this.start >= this.idx.length >> 2 && this.start > 0) {
      const n = this.end - this.start;
      this.idx.copyWithin(0, this.start, this.end);
      this.shifted(this.start, n);
      this.start = 0;
      this.end = n;
    } else {
      // 1.5×: with the quarter rule above, capacity stays within 2× of the live entries.
      const bigger = new Float64Array(Math.ceil(this.idx.length * 1.5));
      bigger.set(this.idx.subarray(0, this.end));
      this.idx = bigger;
      this.grown(this.idx.length);
    }
  }

  /** Subclass hook: live entries moved left by `by` positions. */
  protected shifted(_by: number, _n: number): void {}
  /** Subclass hook: capacity is now `cap`. */
  protected grown(_cap: number): void {}
}
