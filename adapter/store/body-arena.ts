// Event bodies (encoded EventBody bytes) packed back to back in large reusable chunks, addressed by a
// monotonic virtual byte offset, so retaining a body costs no JS object and eviction frees nothing.

export class BodyArena {
  private readonly chunks: (Uint8Array | undefined)[];
  /** Chunk being filled (virtual id; slot = id % maxChunks) and the offset in it. */
  private chunkId = 0;
  private at = 0;

  constructor(readonly chunkBytes: number, readonly maxChunks: number) {
    this.chunks = new Array(maxChunks).fill(undefined);
  }

  /**
   * Virtual chunk id a body of `len` bytes would go to (bodies never straddle chunks). The store
   * evicts until that chunk is free: chunkOf(oldest retained body) > id - maxChunks.
   */
  chunkFor(len: number): number {
    return this.at + len > this.chunkBytes && this.at > 0 ? this.chunkId + 1 : this.chunkId;
  }

  chunkOf(pos: number): number {
    return Math.floor(pos / this.chunkBytes);
  }

  /** Copies src[off, off + len) in (len <= chunkBytes); the caller has evicted enough. Returns the virtual offset. */
  append(src: Uint8Array, off: number, len: number): number {
    if (this.at + len > this.chunkBytes && this.at > 0) {
      this.chunkId++;
      this.at = 0;
    }
    const pos = this.chunkId * this.chunkBytes + this.at;
    if (len > 0) {
      const slot = this.chunkId % this.maxChunks;
      let chunk = this.chunks[slot];
      if (chunk === undefined) chunk = this.chunks[slot] = new Uint8Array(this.chunkBytes);
      const at = this.at;
      if (len <= 64) {
        // Small bodies: a loop beats subarray() + set().
        for (let i = 0; i < len; i++) chunk[at + i] = src[off + i];
      } else {
        chunk.set(src.subarray(off, off + len), at);
      }
      this.at = at + len;
    }
    return pos;
  }

  /** A view (no copy) of a stored body; valid until that body is overwritten. */
  view(pos: number, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const id = Math.floor(pos / this.chunkBytes);
    const chunk = this.chunks[id % this.maxChunks];
    if (chunk === undefined) throw new Error(`body arena: chunk ${id} not allocated`);
    const at = pos - id * this.chunkBytes;
    return chunk.subarray(at, at + len);
  }

  /** Next write position (virtual). */
  get position(): number {
    return this.chunkId * this.chunkBytes + this.at;
  }

  allocatedBytes(): number {
    let n = 0;
    for (const c of this.chunks) if (c !== undefined) n += c.length;
    return n;
  }
}
