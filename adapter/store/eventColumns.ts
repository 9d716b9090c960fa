// The ring buffer proper: one typed array per event attribute, addressed by slot. Global event index g
// (never reused) maps to a slot; growth doubles capacity up to maxEvents and re-lays retained events.

export class EventColumns {
  cap: number;
  seq!: Float64Array;
  mono!: Float64Array;
  pid!: Uint32Array;
  kind!: Uint8Array;
  mfa!: Uint32Array;
  hit!: Uint32Array;
  /** The other process (global pid id + 1; 0 = none). */
  other!: Uint32Array;
  msgHash!: Uint32Array;
  callTag!: Uint32Array;
  /** Virtual arena offset of the body. */
  bodyPos!: Float64Array;
  bodyLen!: Uint32Array;
  /** Correlator output, see correlator.ts. */
  depth!: Uint32Array;
  match!: Float64Array;
  link!: Float64Array;
  peer!: Float64Array;
  lineAt!: Float64Array;

  constructor(initialCap: number) {
    this.cap = initialCap;
    this.allocate(initialCap);
  }

  private allocate(cap: number): void {
    this.seq = new Float64Array(cap);
    this.mono = new Float64Array(cap);
    this.pid = new Uint32Array(cap);
    this.kind = new Uint8Array(cap);
    this.mfa = new Uint32Array(cap);
    this.hit = new Uint32Array(cap);
    this.other = new Uint32Array(cap);
    this.msgHash = new Uint32Array(cap);
    this.callTag = new Uint32Array(cap);
    this.bodyPos = new Float64Array(cap);
    this.bodyLen = new Uint32Array(cap);
    this.depth = new Uint32Array(cap);
    this.match = new Float64Array(cap);
    this.link = new Float64Array(cap);
    this.peer = new Float64Array(cap);
    this.lineAt = new Float64Array(cap);
  }

  /**
   * Re-lays `count` retained events that start at slot `headSlot` into arrays of `newCap`, starting at
   * slot 0. Returns the new head slot (0).
   */
  grow(newCap: number, headSlot: number, count: number): number {
    const old = { ...this } as EventColumns;
    const oldCap = this.cap;
    this.allocate(newCap);
    this.cap = newCap;
    const firstRun = Math.min(count, oldCap - headSlot);
    const copy = <T extends Float64Array | Uint32Array | Uint8Array>(dst: T, src: T): void => {
      dst.set(src.subarray(headSlot, headSlot + firstRun) as never, 0);
      if (count > firstRun) dst.set(src.subarray(0, count - firstRun) as never, firstRun);
    };
    copy(this.seq, old.seq);
    copy(this.mono, old.mono);
    copy(this.pid, old.pid);
    copy(this.kind, old.kind);
    copy(this.mfa, old.mfa);
    copy(this.hit, old.hit);
    copy(this.other, old.other);
    copy(this.msgHash, old.msgHash);
    copy(this.callTag, old.callTag);
    copy(this.bodyPos, old.bodyPos);
    copy(this.bodyLen, old.bodyLen);
    copy(this.depth, old.depth);
    copy(this.match, old.match);
    copy(this.link, old.link);
    copy(this.peer, old.peer);
    copy(this.lineAt, old.lineAt);
    return 0;
  }

  bytes(): number {
    return this.cap * (8 + 8 + 4 + 1 + 4 + 4 + 4 + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 8 + 8);
  }
}
