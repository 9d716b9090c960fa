// Content-Length framing, the base protocol of both DAP and LSP: header lines, a blank line, a JSON body.
// The decoder never throws and never gives up on a stream: bad input becomes a `malformed` item, and it
// resynchronises on the next header, so one bad message costs that message only.

export type Decoded =
  | { kind: 'message'; message: Record<string, unknown> }
  /** `excerpt`: the start of the bad input (at most EXCERPT_BYTES), to recover the id of a request to answer. */
  | { kind: 'malformed'; reason: string; excerpt: string };

const HEADER_END = Buffer.from('\r\n\r\n');
const EXCERPT_BYTES = 1024;
/** Kept when header-less junk is dropped: a header may have started at its end. */
const JUNK_TAIL_BYTES = 64;

export class ContentLengthDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the body being read; -1 while reading a header. */
  private bodyLength = -1;
  /** Inside input already reported as malformed: drop it silently until the next good header. */
  private inJunk = false;

  /**
   * `maxBodyBytes` may be changed between pushes (the language-server port raises it once the client
   * has authenticated). Headers longer than `maxHeaderBytes` are junk.
   */
  constructor(
    public maxBodyBytes: number,
    private readonly maxHeaderBytes = 8 * 1024,
  ) {}

  /** Adds a chunk; returns the messages it completed and the malformed input it revealed, in order. */
  push(chunk: Buffer): Decoded[] {
    const out: Decoded[] = [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength >= 0) {
        if (this.buffered < this.bodyLength) break;
        const body = this.take(this.bodyLength);
        this.bodyLength = -1;
        out.push(parseBody(body));
        continue;
      }
      const all = this.take(this.buffered);
      const end = all.indexOf(HEADER_END);
      if (end < 0) {
        if (all.length > this.maxHeaderBytes) {
          this.junk(out, `${all.length} bytes without a message header were dropped`, all);
          this.keep(all.subarray(all.length - JUNK_TAIL_BYTES));
        } else {
          this.keep(all);
        }
        break;
      }
      const header = all.subarray(0, end).toString('utf8');
      const rest = all.subarray(end + HEADER_END.length);
      this.keep(rest);
      this.onHeader(header, rest, out);
    }
    return out;
  }

  /** Bytes received but not yet decoded (a partial header or body). */
  get pending(): number {
    return this.buffered;
  }

  private onHeader(header: string, following: Buffer, out: Decoded[]): void {
    // The last Content-Length wins: anything before it (junk that ran into a good header) is dropped.
    const matches = [...header.matchAll(/Content-Length:[ \t]*([^\r\n]*)/gi)];
    const last = matches[matches.length - 1];
    const context = `${header}\r\n\r\n${following.subarray(0, EXCERPT_BYTES).toString('utf8')}`;
    if (!last) {
      this.junk(out, 'a message header without Content-Length was dropped', Buffer.from(context));
      return;
    }
    const value = last[1].trim();
    if (!/^\d{1,15}$/.test(value)) {
      this.junk(out, `a message header with an invalid Content-Length "${value.slice(0, 40)}" was dropped`, Buffer.from(context));
      return;
    }
    const length = Number(value);
    if (length > this.maxBodyBytes) {
      // Its body is skipped as junk up to the next header: never buffered whole.
      this.junk(out, `a message of ${length} bytes exceeds the ${this.maxBodyBytes}-byte limit and was dropped`, Buffer.from(context));
      return;
    }
    const before = header.slice(0, last.index).replace(/\r\n$/, '');
    if (before.trim() && !this.inJunk && !/^[A-Za-z-]+:[^\r\n]*(\r\n[A-Za-z-]+:[^\r\n]*)*$/.test(before)) {
      out.push({ kind: 'malformed', reason: `${Buffer.byteLength(before)} bytes before a message header were dropped`, excerpt: before.slice(0, EXCERPT_BYTES) });
    }
    this.inJunk = false;
    this.bodyLength = length;
  }

  /** Reports malformed input once, however long it runs on. */
  private junk(out: Decoded[], reason: string, excerpt: Buffer): void {
    if (!this.inJunk) out.push({ kind: 'malformed', reason, excerpt: excerpt.subarray(0, EXCERPT_BYTES).toString('utf8') });
    this.inJunk = true;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  /** Removes and returns the first n buffered bytes (one copy at most, when they span chunks). */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    this.keep(all.subarray(n));
    return all.subarray(0, n);
  }
}

function parseBody(body: Buffer): Decoded {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', reason: `a message body of ${body.length} bytes is not JSON (${(err as Error).message})`, excerpt: text.slice(0, EXCERPT_BYTES) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'a message body is not a JSON object', excerpt: text.slice(0, EXCERPT_BYTES) };
  }
  return { kind: 'message', message: value as Record<string, unknown> };
}
