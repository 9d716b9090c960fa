// Length-prefixed framing for the agent connection: 4-byte big-endian length, then the payload.
// Matches `{packet, 4}` on the Erlang side; frames over the cap are refused before buffering them.

export const DEFAULT_FRAME_CAP = 16 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  /** `frames`: the complete frames that preceded the oversized header in the same push. */
  constructor(readonly size: number, readonly cap: number, readonly frames: Buffer[] = []) {
    super(`frame of ${size} bytes exceeds the ${cap}-byte cap`);
  }
}

/** Accumulates socket chunks and yields complete frames without copying when a frame sits in one chunk. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** `cap` may be raised later: the agent port decodes the Hello under the small pre-authentication cap. */
  constructor(public cap: number = DEFAULT_FRAME_CAP) {}

  /**
   * Adds a chunk; returns the frames it completed. Throws FrameTooLargeError on an oversized header,
   * carrying the good frames that came before it so they are not lost.
   */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readUInt32BE(0);
      if (size > this.cap) throw new FrameTooLargeError(size, this.cap, frames);
      if (this.buffered < 4 + size) break;
      const frame = this.take(4 + size);
      frames.push(frame.subarray(4));
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

/** Prefixes a payload with its 4-byte big-endian length. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
