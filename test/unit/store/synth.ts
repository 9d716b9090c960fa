// Test helper: builds synthetic recordings event by event and encodes them as real AgentMessage frames
// with the generated protobuf code (the same bytes the agent sends).

import { elixirscope } from '../../../adapter/gen/wire';

type Term = elixirscope.Term.$Properties;
type Body = elixirscope.EventBody.$Properties;
type MfaT = [string, string, number];

export const t = {
  int: (i: number): Term => ({ int: i }),
  atom: (a: string): Term => ({ atom: a }),
  str: (s: string): Term => ({ binary: { data: Buffer.from(s) } }),
  tuple: (...items: Term[]): Term => ({ tuple: { items } }),
  list: (...items: Term[]): Term => ({ list: { items } }),
  map: (entries: Record<string, Term>): Term => ({ map: { entries: Object.entries(entries).map(([k, v]) => ({ key: { atom: k }, value: v })) } }),
};

export interface SynthEvent {
  pid: string;
  kind: elixirscope.EventKind;
  mfa?: MfaT;
  hit?: number;
  other?: string;
  msgHash?: number;
  callTag?: number;
  body?: Body;
  mono?: number;
}

const K = elixirscope.EventKind;

export class Synth {
  readonly events: SynthEvent[] = [];

  /** Appends an event; returns its position in `events` (= its global index when ingested in order from an empty store). */
  add(e: SynthEvent): number {
    this.events.push(e);
    return this.events.length - 1;
  }

  call(pid: string, mfa: MfaT, args: Term[] = [], opts: { bindings?: Record<string, Term>; line?: number; hit?: number } = {}): number {
    const bindings = Object.entries(opts.bindings ?? {}).map(([name, value]) => ({ name, value }));
    return this.add({ pid, kind: K.CALL, mfa, hit: opts.hit, body: { call: { args, bindings, line: opts.line ?? 0, clause: 1 } } });
  }

  ret(pid: string, mfa: MfaT, value: Term = t.atom('ok'), toCallerUnknown = false): number {
    return this.add({ pid, kind: K.RETURN, mfa, body: { return: { value, toCallerUnknown } } });
  }

  exc(pid: string, mfa: MfaT, reason: Term = t.atom('badarith'), cls = 'error'): number {
    return this.add({ pid, kind: K.EXCEPTION, mfa, body: { exception: { class: cls, reason } } });
  }

  line(pid: string, line: number, bindings: Record<string, Term> = {}, hit?: number): number {
    return this.add({ pid, kind: K.LINE, hit, body: { line: { line, file: 'lib/x.ex', bindings: Object.entries(bindings).map(([name, value]) => ({ name, value })) } } });
  }

  send(pid: string, to: string, message: Term, msgHash: number, callTag = 0): number {
    return this.add({ pid, kind: K.SEND, other: to, msgHash, callTag, body: { send: { to, message } } });
  }

  recv(pid: string, message: Term, msgHash: number): number {
    return this.add({ pid, kind: K.RECEIVE, msgHash, body: { receive: { message } } });
  }

  state(pid: string, version: number, callback: string, state: Term, message?: Term, hit?: number): number {
    return this.add({ pid, kind: K.STATE, hit, body: { state: { version, callback, state, message } } });
  }

  spawn(pid: string, child: string): number {
    return this.add({ pid, kind: K.SPAWN, other: child, body: { spawn: { child } } });
  }

  exit(pid: string, reason: Term = t.atom('normal')): number {
    return this.add({ pid, kind: K.EXIT, body: { exit: { reason } } });
  }

  proc(pid: string, meta: elixirscope.IProcessEvent): number {
    return this.add({ pid, kind: K.PROCESS, body: { process: meta } });
  }

  /** Encodes events [from, to) as one EventBatch; event i gets seq = i, mono = i * 1000 (unless set), uniq = i. */
  batch(from = 0, to = this.events.length, order?: number[]): elixirscope.EventBatch.$Properties {
    const idx = order ?? Array.from({ length: to - from }, (_, k) => from + k);
    const pids: string[] = [];
    const mfas: elixirscope.Mfa.$Properties[] = [{}];
    const pidIx = (p: string) => { let i = pids.indexOf(p); if (i < 0) { i = pids.length; pids.push(p); } return i; };
    const mfaIx = (m?: MfaT) => {
      if (!m) return 0;
      let i = mfas.findIndex((x) => x.module === m[0] && x.function === m[1] && x.arity === m[2]);
      if (i < 0) { i = mfas.length; mfas.push({ module: m[0], function: m[1], arity: m[2] }); }
      return i;
    };
    const b = { seq: [] as number[], mono: [] as number[], uniq: [] as number[], pid: [] as number[], kind: [] as number[], mfa: [] as number[], hit: [] as number[], body: [] as Uint8Array[], other: [] as number[], msgHash: [] as number[], callTag: [] as number[] };
    for (const i of idx) {
      const e = this.events[i];
      b.seq.push(i);
      b.mono.push(e.mono ?? i * 1000);
      b.uniq.push(i);
      b.pid.push(pidIx(e.pid));
      b.kind.push(e.kind);
      b.mfa.push(mfaIx(e.mfa));
      b.hit.push(e.hit ?? 0);
      b.body.push(elixirscope.EventBody.encode({ ...(e.body ?? {}), hits: e.hit ? [e.hit] : [] }).finish());
      b.other.push(e.other ? pidIx(e.other) + 1 : 0);
      b.msgHash.push(e.msgHash ?? 0);
      b.callTag.push(e.callTag ?? 0);
    }
    return { ...b, pids, mfas, dropped: 0 };
  }

  /** Encoded AgentMessage frames of `size` events each, covering [from, to). */
  frames(size = 64, from = 0, to = this.events.length): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = from; i < to; i += size) out.push(elixirscope.AgentMessage.encode({ events: this.batch(i, Math.min(to, i + size)) }).finish());
    return out;
  }
}

export const MOD = 'Elixir.Demo';
export const mfa = (fn: string, arity = 1, mod = MOD): MfaT => [mod, fn, arity];
