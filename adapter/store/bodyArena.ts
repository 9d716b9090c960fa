// Event bodies (encoded EventBody bytes) packed back to back in large chunks, addressed by a monotonic
// virtual byte offset (chunk id × chunk size + offset). Chunks whose bodies were all evicted go back to a
// pool, so memory follows the retained bytes and steady-state ingest allocates nothing.

export class BodyArena {
  /** Chunks [firstId, chunkId] in order; live[i] has id firstId + i. */
  private readonly live: Uint8Array[] = [];
  private firstId = 0;
  private readonly pool: Uint8Array[] = [];
  /** Chunk being filled and the offset in it. */
  private chunkId = 0;
  private at = 0;

  constructor(readonly chunkBytes: number, readonly maxChunks: number) {}

  /**
   * Virtual chunk id a body of `len` bytes would go to (bodies never straddle chunks). The store
   * evicts until chunkFor(len) - chunkOf(oldest retained body) < maxChunks.
   */
  chunkFor(len: number): number {
    return this.at + len > this.chunkBytes && this.at > 0 ? this.chunkId + 1 : this.chunkId;
  }

  chunkOf(pos: number): number {
    return Math.floor(pos / this.chunkBytes);
  }

  /** Returns chunks older than the one holding `oldestPos` (the oldest retained body) to the pool. */
  release(oldestPos: number): void {
    const keep = Math.min(this.chunkOf(oldestPos), this.chunkId);
    while (this.firstId < keep && this.live.length > 0) {
      this.pool.push(this.live.shift()!);
      this.firstId++;
    }
  }

  /** Copies src[off, off + len) in (len <= chunkBytes); the caller has evicted enough. Returns the virtual offset. */
  append(src: Uint8Array, off: number, len: number): number {
    if (this.at + len > this.chunkBytes && this.at > 0) {
      this.chunkId++;
      this.at = 0;
    }
    const pos = this.chunkId * this.chunkBytes + this.at;
    if (len > 0) {
      const chunk = this.chunk(this.chunkId);
      const at = this.at;
      if (len <= 16) {
        // Tiny bodies: a byte loop beats the view subarray() allocates (measured: 3× slower at 89 bytes).
        for (let i = 0; i < len; i++) chunk[at + i] = src[off + i];
      } else {
        chunk.set(src.subarray(off, off + len), at);
      }
      this.at = at + len;
    }
    return pos;
  }

  private chunk(id: number): Uint8Array {
    if (this.live.length === 0) this.firstId = id;
    while (this.firstId + this.live.length <= id) this.live.push(this.pool.pop() ?? new Uint8Array(this.chunkBytes));
    return this.live[id - this.firstId];
  }

  /** A view (no copy) of a stored body; valid until its chunk is released. */
  view(pos: number, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const id = this.chunkOf(pos);
    const chunk = this.live[id - this.firstId];
    if (chunk === undefined) throw new Error(`body arena: chunk ${id} was released`);
    const at = pos - id * this.chunkBytes;
    return chunk.subarray(at, at + len);
  }

  /** Next write position (virtual). */
  get position(): number {
    return this.chunkId * this.chunkBytes + this.at;
  }

  allocatedBytes(): number {
    return (this.live.length + this.pool.length) * this.chunkBytes;
  }
}
