// Turns agent input (raw frames via the fast reader, or batches decoded by the generated code) into
// validated StagedBatches with batch-local pid/MFA indexes mapped to the store's global ids.

import { elixirscope } from '../gen/wire';
import { BatchReader, MalformedFrame } from './batchReader';
import { Interner } from './processes';
import { StagedBatch } from './reorderBuffer';
import { toNumber } from './wireNumbers';

export type BatchInputResult =
  | { kind: 'other'; message: elixirscope.AgentMessage }
  | { kind: 'batch'; dropped: number; staged?: StagedBatch; problem?: string };

let zeroBuf = new Uint32Array(1024);
/** A shared all-zero column (absent proto3 columns are all zeros); never written. */
function zeros(n: number): Uint32Array {
  if (zeroBuf.length < n) zeroBuf = new Uint32Array(n * 2);
  return zeroBuf;
}

export class BatchInput {
  private readonly reader = new BatchReader();
  private pidMap = new Uint32Array(64);
  private mfaMap = new Uint32Array(64);

  constructor(private readonly interner: Interner) {}

  /** Raw AgentMessage bytes. Undecodable non-batch bytes throw (from the generated decoder). */
  fromFrame(frame: Uint8Array): BatchInputResult {
    const r = this.reader;
    try {
      if (!r.read(frame)) return { kind: 'other', message: elixirscope.AgentMessage.decode(frame) };
    } catch (e) {
      if (e instanceof MalformedFrame) return { kind: 'batch', dropped: 0, problem: `malformed EventBatch: ${e.message}` };
      throw e;
    }
    const n = r.n;
    const cnt = r.count;
    if (n === 0) return { kind: 'batch', dropped: r.dropped };
    const problem = validate(n, [cnt[1], cnt[2], cnt[3], cnt[4]], [cnt[5], cnt[6], cnt[11], cnt[7], cnt[8], cnt[9]], r.pids.length, r.mfas.length, r.pid, cnt[5] === n ? r.mfa : undefined, cnt[7] === n ? r.other : undefined);
    if (problem !== undefined) return { kind: 'batch', dropped: r.dropped, problem };
    this.mapTables(r.pids, r.mfas);
    const z = zeros(n);
    const staged: StagedBatch = {
      n,
      seq: r.seq,
      mono: r.mono,
      uniq: r.uniq,
      kind: r.kind,
      hit: cnt[6] === n ? r.hit : z,
      msgHash: cnt[8] === n ? r.msgHash : z,
      callTag: cnt[9] === n ? r.callTag : z,
      pid: r.pid,
      mfa: cnt[5] === n ? r.mfa : z,
      other: cnt[7] === n ? r.other : z,
      pidMap: this.pidMap,
      mfaMap: this.mfaMap,
      // A plain Uint8Array view: its subarray() is cheaper than a Buffer's (bodies are copied by range).
      buf: frame instanceof Buffer ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength) : frame,
      bodyOff: cnt[11] === n ? r.bodyOff : z,
      bodyLen: cnt[11] === n ? r.bodyLen : z,
    };
    return { kind: 'batch', dropped: r.dropped, staged };
  }

  /** A batch decoded by the generated code (one copy of the bodies into a frame-like buffer). */
  fromDecoded(b: elixirscope.EventBatch.$Properties): BatchInputResult {
    const n = b.seq?.length ?? 0;
    const dropped = toNumber(b.dropped ?? 0);
    if (n === 0) return { kind: 'batch', dropped };
    const len = (c: ArrayLike<unknown> | null | undefined) => c?.length ?? 0;
    const problem = validate(n, [len(b.mono), len(b.uniq), len(b.pid), len(b.kind)], [len(b.mfa), len(b.hit), len(b.body), len(b.other), len(b.msgHash), len(b.callTag)], len(b.pids), len(b.mfas), b.pid ?? [], len(b.mfa) === n ? b.mfa! : undefined, len(b.other) === n ? b.other! : undefined);
    if (problem !== undefined) return { kind: 'batch', dropped, problem };
    const num = (c: ArrayLike<unknown>) => (typeof c[0] === 'number' ? (c as ArrayLike<number>) : Array.from(c, toNumber));
    const bodies = b.body ?? [];
    let total = 0;
    for (const x of bodies) total += x.length;
    const buf = new Uint8Array(total);
    const off = new Uint32Array(n);
    const blen = new Uint32Array(n);
    let at = 0;
    for (let i = 0; i < bodies.length; i++) {
      buf.set(bodies[i], at);
      off[i] = at;
      blen[i] = bodies[i].length;
      at += bodies[i].length;
    }
    this.mapTables(b.pids ?? [], b.mfas ?? []);
    const orZ = (c: number[] | null | undefined) => (c && c.length === n ? c : zeros(n));
    const staged: StagedBatch = {
      n,
      seq: num(b.seq!),
      mono: num(b.mono!),
      uniq: num(b.uniq!),
      kind: b.kind!,
      hit: orZ(b.hit),
      msgHash: orZ(b.msgHash),
      callTag: orZ(b.callTag),
      pid: b.pid!,
      mfa: orZ(b.mfa),
      other: orZ(b.other),
      pidMap: this.pidMap,
      mfaMap: this.mfaMap,
      buf,
      bodyOff: off,
      bodyLen: blen,
    };
    return { kind: 'batch', dropped, staged };
  }

  private mapTables(pids: string[], mfas: elixirscope.Mfa.$Properties[]): void {
    if (this.pidMap.length < pids.length) this.pidMap = new Uint32Array(pids.length * 2);
    for (let i = 0; i < pids.length; i++) this.pidMap[i] = this.interner.pidId(pids[i]);
    if (this.mfaMap.length < mfas.length) this.mfaMap = new Uint32Array(mfas.length * 2);
    for (let i = 0; i < mfas.length; i++) this.mfaMap[i] = i === 0 ? 0 : this.interner.mfaId(mfas[i]);
  }
}

/** The schema's invariants: required columns have n entries, optional ones n or none, indexes in range. */
function validate(n: number, required: number[], optional: number[], np: number, nm: number, pid: ArrayLike<number>, mfa: ArrayLike<number> | undefined, other: ArrayLike<number> | undefined): string | undefined {
  const reqNames = ['mono', 'uniq', 'pid', 'kind'];
  const optNames = ['mfa', 'hit', 'body', 'other', 'msg_hash', 'call_tag'];
  for (let i = 0; i < required.length; i++) if (required[i] !== n) return `EventBatch column ${reqNames[i]} has ${required[i]} entries, expected ${n}`;
  for (let i = 0; i < optional.length; i++) if (optional[i] !== 0 && optional[i] !== n) return `EventBatch column ${optNames[i]} has ${optional[i]} entries, expected ${n}`;
  for (let i = 0; i < n; i++) {
    if (pid[i] >= np) return `EventBatch event ${i}: pid index ${pid[i]} outside the ${np}-entry pid table`;
    if (mfa !== undefined && mfa[i] !== 0 && mfa[i] >= nm) return `EventBatch event ${i}: mfa index ${mfa[i]} outside the ${nm}-entry MFA table`;
    if (other !== undefined && other[i] > np) return `EventBatch event ${i}: other ${other[i]} outside the pid table`;
  }
  return undefined;
}
