// Per-process list of steppable events with their call depth and a 32-ary tree of minimum depths,
// so "next/previous event of this process at depth <= L" (step over/out) is O(log n) however many calls lie between.

import { IndexList } from './indexList';

const B = 5; // log2 of the fan-out
const F = 1 << B;

export class StepIndex extends IndexList {
  private dep: Uint32Array;
  /** lv[k][b] = min depth over positions [b << B(k+1), (b+1) << B(k+1)) that were pushed. */
  private lv: Uint32Array[] = [];

  constructor(initial = 32) {
    super(initial);
    this.dep = new Uint32Array(initial);
    this.grown(initial);
  }

  depthAt(pos: number): number {
    return this.dep[pos];
  }

  pushStep(g: number, depth: number): void {
    const p = this.push(g);
    this.dep[p] = depth;
    for (let k = 0; k < this.lv.length; k++) {
      const sh = B * (k + 1);
      const b = p >>> sh;
      const level = this.lv[k];
      if ((p & ((1 << sh) - 1)) === 0 || depth < level[b]) level[b] = depth;
      // Not a new block and not a new minimum here: the levels above already hold something <= depth.
      else break;
    }
  }

  /** First position in (pos, end) whose depth <= L, or -1. */
  nextAtMost(pos: number, L: number): number {
    const dep = this.dep;
    const end = this.end;
    let p = Math.max(pos + 1, this.start);
    const lim = Math.min(end, (p | (F - 1)) + 1);
    for (; p < lim; p++) if (dep[p] <= L) return p;
    const top = this.lv.length - 1;
    for (let k = 0; k <= top && p < end; k++) {
      const sh = B * (k + 1);
      const parentEnd = k === top ? end : Math.min(end, ((p >>> (sh + B)) + 1) * (1 << (sh + B)));
      const level = this.lv[k];
      const bEnd = ((parentEnd - 1) >>> sh) + 1;
      for (let b = p >>> sh; b < bEnd; b++) if (level[b] <= L) return this.descendForward(k, b, L);
      p = parentEnd;
    }
    if (top < 0) for (; p < end; p++) if (dep[p] <= L) return p;
    return -1;
  }

  /** Last position in [start, pos) whose depth <= L, or -1. */
  prevAtMost(pos: number, L: number): number {
    const dep = this.dep;
    const start = this.start;
    let p = Math.min(pos, this.end) - 1;
    if (p < start) return -1;
    const lim = Math.max(start, p & ~(F - 1));
    for (; p >= lim; p--) if (dep[p] <= L) return p;
    if (p < start) return -1;
    const top = this.lv.length - 1;
    for (let k = 0; k <= top; k++) {
      const sh = B * (k + 1);
      const aligned = p + 1; // multiple of 1 << sh
      const parentStart = k === top ? 0 : Math.floor(aligned / (1 << (sh + B))) * (1 << (sh + B));
      const level = this.lv[k];
      for (let b = (aligned >>> sh) - 1; b >= parentStart >>> sh; b--) {
        if ((b + 1) * (1 << sh) <= start) return -1;
        if (level[b] <= L) return this.descendBackward(k, b, L);
      }
      p = parentStart - 1;
      if (p < start) return -1;
    }
    if (top < 0) for (; p >= start; p--) if (dep[p] <= L) return p;
    return -1;
  }

  private descendForward(k: number, b: number, L: number): number {
    while (k > 0) {
      k--;
      const level = this.lv[k];
      let c = b << B;
      const cEnd = c + F;
      while (c < cEnd && level[c] > L) c++;
      b = c;
    }
    const lim = Math.min(this.end, (b << B) + F);
    for (let p = b << B; p < lim; p++) if (this.dep[p] <= L) return p;
    return -1;
  }

  private descendBackward(k: number, b: number, L: number): number {
    while (k > 0) {
      k--;
      const level = this.lv[k];
      let c = (b << B) + F - 1;
      const cStart = b << B;
      while (c > cStart && level[c] > L) c--;
      b = c;
    }
    const lo = Math.max(this.start, b << B);
    for (let p = Math.min(this.end - 1, (b << B) + F - 1); p >= lo; p--) if (this.dep[p] <= L) return p;
    return -1;
  }

  override bytes(): number {
    let n = super.bytes() + this.dep.byteLength;
    for (const l of this.lv) n += l.byteLength;
    return n;
  }

  protected override shifted(by: number, n: number): void {
    this.dep.copyWithin(0, by, by + n);
    this.rebuild(n);
  }

  protected override grown(cap: number): void {
    if (this.dep.length !== cap) {
      const d = new Uint32Array(cap);
      d.set(this.dep.subarray(0, Math.min(this.dep.length, cap)));
      this.dep = d;
    }
    // Enough levels that the top one has at most F blocks.
    this.lv = [];
    for (let sh = B; (cap >>> sh) > 0; sh += B) {
      this.lv.push(new Uint32Array(Math.ceil(cap / (1 << sh))).fill(0xffffffff));
      if (cap >>> sh <= F) break;
    }
    this.rebuild(this.end);
  }

  private rebuild(n: number): void {
    for (let k = 0; k < this.lv.length; k++) {
      const sh = B * (k + 1);
      const level = this.lv[k];
      level.fill(0xffffffff);
      for (let p = 0; p < n; p++) {
        const b = p >>> sh;
        if (this.dep[p] < level[b]) level[b] = this.dep[p];
      }
    }
  }
}
