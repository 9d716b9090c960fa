// Fast path for the hot frame type: reads an AgentMessage{events: EventBatch} straight from the frame
// bytes into reusable typed arrays (bodies stay in the frame as offset/length), allocating no per-event
// objects. Field numbers come from the generated encoder at load time, so the .proto stays the one schema;
// test/unit/store/batchReader.test.ts checks this reader against the generated decoder.

import { elixirscope } from '../gen/wire';

/** Field number of the first field in an encoding made by the generated code. */
function fieldOf(bytes: Uint8Array): number {
  let v = 0;
  let shift = 0;
  for (let i = 0; ; i++) {
    const b = bytes[i];
    v |= (b & 0x7f) << shift;
    if (b < 0x80) return v >>> 3;
    shift += 7;
  }
}

const EB = elixirscope.EventBatch;
const F_EVENTS = fieldOf(elixirscope.AgentMessage.encode({ events: {} }).finish());

/**
 * The batch's numeric columns; the index is the column id. Each names the reader's array it is read into
 * (depth goes to scratch: the correlator computes its own) and a batch that makes the generated encoder
 * write its field. Columns up to C_UNIQ are 64-bit (Float64Array); the others are read as 32-bit.
 */
const NUMERIC_COLUMNS = [
  ['seq', { seq: [1] }], ['mono', { mono: [1] }], ['uniq', { uniq: [1] }], ['pid', { pid: [1] }], ['kind', { kind: [1] }],
  ['mfa', { mfa: [1] }], ['hit', { hit: [1] }], ['other', { other: [1] }], ['msgHash', { msgHash: [1] }], ['callTag', { callTag: [1] }],
  ['scratch', { depth: [1] }],
] as const satisfies readonly (readonly [string, elixirscope.EventBatch.$Properties])[];

// Column ids: the numeric ones above, then the others.
const C_SEQ = 0, C_UNIQ = 2;
const C_BODY = NUMERIC_COLUMNS.length, C_PIDS = C_BODY + 1, C_MFAS = C_BODY + 2, C_DROPPED = C_BODY + 3;
const fieldToColumn = new Int8Array(64).fill(-1);
const probe: [number, elixirscope.EventBatch.$Properties][] = [
  ...NUMERIC_COLUMNS.map(([, props], col): [number, elixirscope.EventBatch.$Properties] => [col, props]),
  [C_BODY, { body: [new Uint8Array(1)] }], [C_PIDS, { pids: ['x'] }], [C_MFAS, { mfas: [{ arity: 1 }] }], [C_DROPPED, { dropped: 1 }],
];
for (const [col, props] of probe) {
  const f = fieldOf(EB.encode(props).finish());
  if (f >= 64) throw new Error(`batch-reader: field ${f} out of range; extend the table`);
  fieldToColumn[f] = col;
}

type NumericArray = (typeof NUMERIC_COLUMNS)[number][0];

const TWO32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

export class MalformedFrame extends Error {}

export class BatchReader {
  /** Events in the last batch read. */
  n = 0;
  seq = new Float64Array(1024);
  mono = new Float64Array(1024);
  uniq = new Float64Array(1024);
  pid = new Uint32Array(1024);
  kind = new Uint32Array(1024);
  mfa = new Uint32Array(1024);
  hit = new Uint32Array(1024);
  other = new Uint32Array(1024);
  msgHash = new Uint32Array(1024);
  callTag = new Uint32Array(1024);
  bodyOff = new Uint32Array(1024);
  bodyLen = new Uint32Array(1024);
  /** Entries per column in the last batch (a proto3 column may be absent when every value is 0). */
  readonly count = new Uint32Array(C_DROPPED + 1);
  pids: string[] = [];
  mfas: elixirscope.Mfa[] = [];
  dropped = 0;
  /** The frame the body offsets point into. */
  buf: Uint8Array = new Uint8Array(0);

  private pos = 0;
  private end = 0;

  /** Reads one frame; false if it is not an event batch (decode it with the generated code). Throws MalformedFrame. */
  read(frame: Uint8Array): boolean {
    this.buf = frame;
    this.pos = 0;
    this.end = frame.length;
    let batchStart = -1;
    let batchEnd = -1;
    while (this.pos < this.end) {
      const tag = this.varint32();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === F_EVENTS && wt === 2) {
        const len = this.varint32();
        batchStart = this.pos;
        batchEnd = this.pos + len;
        if (batchEnd > this.end) throw new MalformedFrame('EventBatch runs past the end of the frame');
        this.pos = batchEnd;
      } else if (wt === 2 || wt === 0 || wt === 1 || wt === 5) {
        // Another oneof member: not an event batch.
        return false;
      } else {
        throw new MalformedFrame(`unexpected wire type ${wt}`);
      }
    }
    if (batchStart < 0) return false;
    this.readBatch(batchStart, batchEnd);
    return true;
  }

  private readBatch(start: number, end: number): void {
    this.count.fill(0);
    this.pids = [];
    this.mfas = [];
    this.dropped = 0;
    this.pos = start;
    const buf = this.buf;
    while (this.pos < end) {
      const tag = this.varint32();
      const wt = tag & 7;
      const col = fieldToColumn[tag >>> 3] ?? -1;
      if (col === C_BODY || col === C_PIDS || col === C_MFAS) {
        if (wt !== 2) throw new MalformedFrame('length-delimited field with a wrong wire type');
        const len = this.varint32();
        const a = this.pos;
        const b = a + len;
        if (b > end) throw new MalformedFrame('field runs past the end of the batch');
        if (col === C_BODY) {
          const i = this.count[C_BODY]++;
          if (i >= this.bodyOff.length) this.grow(i + 1);
          this.bodyOff[i] = a;
          this.bodyLen[i] = len;
        } else if (col === C_PIDS) {
          // Frames from sockets are Buffers: toString(range) makes no intermediate view.
          this.pids.push(Buffer.isBuffer(buf) ? buf.toString('utf8', a, b) : utf8.decode(buf.subarray(a, b)));
        } else {
          this.mfas.push(elixirscope.Mfa.decode(buf.subarray(a, b)));
        }
        this.pos = b;
      } else if (col === C_DROPPED) {
        if (wt !== 0) throw new MalformedFrame('dropped: wrong wire type');
        this.dropped = this.varint64();
      } else if (col >= 0) {
        if (wt === 2) {
          const len = this.varint32();
          const b = this.pos + len;
          if (b > end) throw new MalformedFrame('packed column runs past the end of the batch');
          const need = this.count[col] + len;
          if (need > this.seq.length) this.grow(need);
          const arr = this.column(col);
          let i = this.count[col];
          if (col <= C_UNIQ) while (this.pos < b) arr[i++] = this.varint64();
          else while (this.pos < b) arr[i++] = this.varint32();
          if (this.pos !== b) throw new MalformedFrame('packed column ends inside a varint');
          this.count[col] = i;
        } else if (wt === 0) {
          const i = this.count[col]++;
          if (i >= this.seq.length) this.grow(i + 1);
          this.column(col)[i] = col <= C_UNIQ ? this.varint64() : this.varint32();
        } else {
          throw new MalformedFrame('numeric column with a wrong wire type');
        }
      } else {
        this.skip(wt, end);
      }
    }
    this.n = this.count[C_SEQ];
  }

  /** The array of numeric column `col` (< C_BODY). */
  private column(col: number): Float64Array | Uint32Array {
    return this[NUMERIC_COLUMNS[col][0]];
  }

  private scratch = new Uint32Array(1024);

  private grow(need: number): void {
    let cap = this.seq.length;
    while (cap < need) cap *= 2;
    const arrays = this as unknown as Record<NumericArray | 'bodyOff' | 'bodyLen', Float64Array | Uint32Array>;
    for (const name of [...NUMERIC_COLUMNS.map(([array]) => array), 'bodyOff', 'bodyLen'] as const) {
      const grown = arrays[name] instanceof Float64Array ? new Float64Array(cap) : new Uint32Array(cap);
      grown.set(arrays[name]);
      arrays[name] = grown;
    }
  }

  /** A varint's low 32 bits (uint32/enum fields; the rest of a longer varint is skipped). */
  private varint32(): number {
    const buf = this.buf;
    let p = this.pos;
    let b = buf[p++];
    let v = b & 0x7f;
    if (b >= 0x80) {
      b = buf[p++]; v |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = buf[p++]; v |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = buf[p++]; v |= (b & 0x7f) << 21;
          if (b >= 0x80) {
            b = buf[p++]; v |= (b & 0x0f) << 28;
            while (b >= 0x80) {
              if (p >= this.end) throw new MalformedFrame('truncated varint');
              b = buf[p++];
            }
          }
        }
      }
    }
    if (p > this.end) throw new MalformedFrame('truncated varint');
    this.pos = p;
    return v >>> 0;
  }

  /** A 64-bit varint as a JS number (exact below 2^53; int64 negatives from their two's complement). */
  private varint64(): number {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 0;
    let shift = 0;
    for (; shift < 28; shift += 7) {
      b = buf[p++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        if (p > this.end) throw new MalformedFrame('truncated varint');
        this.pos = p;
        return lo >>> 0;
      }
    }
    b = buf[p++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    for (shift = 3; b >= 0x80 && shift < 32; shift += 7) {
      b = buf[p++];
      hi |= (b & 0x7f) << shift;
    }
    if (p > this.end || b >= 0x80) throw new MalformedFrame('bad 64-bit varint');
    this.pos = p;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO32 + (~lo >>> 0) + 1);
    return (hi >>> 0) * TWO32 + (lo >>> 0);
  }

  private skip(wt: number, end: number): void {
    switch (wt) {
      case 0: this.varint64(); break;
      case 1: this.pos += 8; break;
      case 2: { const len = this.varint32(); this.pos += len; break; }
      case 5: this.pos += 4; break;
      default: throw new MalformedFrame(`unknown wire type ${wt}`);
    }
    if (this.pos > end) throw new MalformedFrame('field runs past the end of the batch');
  }
}
