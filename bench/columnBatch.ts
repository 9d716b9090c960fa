// Builds one column-oriented EventBatch frame (proto/elixir_scope.proto) for the synthetic benchmark
// workloads: every event pushes one value into each column; times derive from the sequence number.
import { elixirscope } from '../adapter/gen/wire';

export interface EventExtras {
  other?: number;
  msgHash?: number;
  callTag?: number;
  hit?: number;
}

export class ColumnBatch {
  private readonly c = {
    seq: [] as number[], mono: [] as number[], uniq: [] as number[], pid: [] as number[], kind: [] as number[],
    mfa: [] as number[], hit: [] as number[], body: [] as Uint8Array[], other: [] as number[], msgHash: [] as number[],
    callTag: [] as number[],
  };

  get length(): number {
    return this.c.seq.length;
  }

  /** Appends event `seq` (0.5 µs apart in agent time). */
  push(seq: number, pid: number, kind: number, mfa: number, body: Uint8Array, x: EventExtras = {}): void {
    const c = this.c;
    c.seq.push(seq);
    c.mono.push(1_000_000_000 + seq * 500);
    c.uniq.push(seq);
    c.pid.push(pid);
    c.kind.push(kind);
    c.mfa.push(mfa);
    c.hit.push(x.hit ?? 0);
    c.body.push(body);
    c.other.push(x.other ?? 0);
    c.msgHash.push(x.msgHash ?? 0);
    c.callTag.push(x.callTag ?? 0);
  }

  /** The encoded AgentMessage carrying this batch with its intern tables. */
  encode(pids: string[], mfas: elixirscope.Mfa.$Properties[]): Uint8Array {
    return elixirscope.AgentMessage.encode({ events: { ...this.c, pids, mfas, dropped: 0 } }).finish();
  }
}
