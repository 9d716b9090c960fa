// Event bodies (encoded EventBody bytes) packed back to back in large reusable chunks, addressed by a
// monotonic virtual byte offset, so retaining a body costs no JS object and eviction frees nothing.

export class BodyArena {
  private readonly chunks: (Uint8Array | undefined)[];
  /** Virtual offset where the next body goes; only grows. */
  private writePos = 0;

  constructor(readonly chunkBytes: number, readonly maxChunks: number) {
    this.chunks = new Array(maxChunks).fill(undefined);
  }

  /** Virtual offset a body of `len` bytes would start at (bodies never straddle two chunks). */
  placement(len: number): number {
    const within = this.writePos % this.chunkBytes;
    return within + len > this.chunkBytes ? this.writePos + (this.chunkBytes - within) : this.writePos;
  }

  /** Whether a body of `len` bytes can be written while the oldest live body starts at `oldestPos`. */
  fits(len: number, oldestPos: number): boolean {
    const end = this.placement(len) + len;
    return Math.floor(Math.max(end - 1, 0) / this.chunkBytes) - Math.floor(oldestPos / this.chunkBytes) < this.maxChunks;
  }

  /** Copies `src` in; the caller has evicted enough (see fits). Returns the virtual offset. */
  append(src: Uint8Array): number {
    const len = src.length;
    const pos = this.placement(len);
    if (len > 0) {
      const id = Math.floor(pos / this.chunkBytes);
      const slot = id % this.maxChunks;
      let chunk = this.chunks[slot];
      if (chunk === undefined) chunk = this.chunks[slot] = new Uint8Array(this.chunkBytes);
      const at = pos - id * this.chunkBytes;
      if (len <= 32) {
        // Small bodies: a loop beats set()'s call overhead.
        for (let i = 0; i < len; i++) chunk[at + i] = src[i];
      } else {
        chunk.set(src, at);
      }
    }
    this.writePos = pos + len;
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

  /** Next write position (virtual); the oldest position when the store is empty. */
  get position(): number {
    return this.writePos;
  }

  allocatedBytes(): number {
    let n = 0;
    for (const c of this.chunks) if (c !== undefined) n += c.length;
    return n;
  }
}
