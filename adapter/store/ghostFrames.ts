// What survives of evicted CALL events whose frames still enclose retained events (or are still open):
// MFA, caller, end, call site, depth — in typed arrays with a free list, so eviction allocates no objects.

type Field = 'mfa' | 'link' | 'match' | 'lineAt' | 'depth';

export class GhostFrames {
  private readonly slots = new Map<number, number>();
  private free: number[] = [];
  private cap = 0;
  private mfa = new Uint32Array(0);
  private depth = new Uint32Array(0);
  private link = new Float64Array(0);
  private match = new Float64Array(0);
  private lineAt = new Float64Array(0);
  private sweepAt = 256;

  get size(): number {
    return this.slots.size;
  }

  /** Remembers the evicted call g; `head` is the oldest retained index after its eviction. */
  add(g: number, mfa: number, link: number, match: number, lineAt: number, depth: number, head: number): void {
    if (this.slots.size >= this.sweepAt) this.sweep(head);
    let s = this.free.pop();
    if (s === undefined) {
      if (this.slots.size >= this.cap) this.grow();
      s = this.free.pop()!;
    }
    this.slots.set(g, s);
    this.mfa[s] = mfa;
    this.link[s] = link;
    this.match[s] = match;
    this.lineAt[s] = lineAt;
    this.depth[s] = depth;
  }

  slotOf(g: number): number {
    return this.slots.get(g) ?? -1;
  }

  get(g: number, field: Field, dflt: number): number {
    const s = this.slots.get(g);
    return s === undefined ? dflt : this[field][s];
  }

  setMatch(g: number, match: number): void {
    const s = this.slots.get(g);
    if (s !== undefined) this.match[s] = match;
  }

  /** Forgets frames that closed before `head`: no retained event refers to them any more. */
  private sweep(head: number): void {
    for (const [g, s] of this.slots) {
      const m = this.match[s];
      if (m !== -1 && m < head) {
        this.slots.delete(g);
        this.free.push(s);
      }
    }
    this.sweepAt = Math.max(256, this.slots.size * 2);
  }

  private grow(): void {
    const cap = Math.max(256, this.cap * 2);
    const f = (a: Float64Array) => { const r = new Float64Array(cap); r.set(a); return r; };
    const u = (a: Uint32Array) => { const r = new Uint32Array(cap); r.set(a); return r; };
    this.mfa = u(this.mfa);
    this.depth = u(this.depth);
    this.link = f(this.link);
    this.match = f(this.match);
    this.lineAt = f(this.lineAt);
    for (let s = cap - 1; s >= this.cap; s--) this.free.push(s);
    this.cap = cap;
  }
}
