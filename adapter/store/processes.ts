// Interned processes and MFAs: batches carry per-batch pid/MFA tables; the store keeps one global id
// per pid string and per MFA, and one ProcState per process (thread naming, lineage, live call stack, indexes).

import { IndexList } from './index-list';
import { StepIndex } from './step-index';

export interface Mfa {
  module: string;
  function: string;
  arity: number;
}

export class ProcState {
  registeredName = '';
  callbackModule = '';
  initialCall = '';
  viaName = '';
  /** Global id of the spawning process, or -1. */
  parent = -1;
  spawnIndex = -1;
  exitIndex = -1;
  readonly links = new Set<number>();
  /** Open frames at the live end: global index of each CALL, its MFA id, and its latest LINE event (-1). */
  readonly stack: number[] = [];
  readonly stackMfa: number[] = [];
  readonly stackLine: number[] = [];
  /** Latest LINE event outside any recorded frame. */
  line0 = -1;
  readonly steps = new StepIndex();
  readonly states = new IndexList();

  constructor(readonly id: number, readonly pid: string) {}

  /** `Bank.Account :b <0.123.0>`: callback module, registered or via name when known, pid. */
  get name(): string {
    const parts: string[] = [];
    if (this.callbackModule) parts.push(elixirModule(this.callbackModule));
    if (this.registeredName) parts.push(atomName(this.registeredName));
    else if (this.viaName) parts.push(this.viaName);
    parts.push(this.pid);
    return parts.join(' ');
  }
}

/** `Elixir.Bank.Account` → `Bank.Account`; Erlang modules print as atoms (`:gen_server`). */
export function elixirModule(m: string): string {
  return m.startsWith('Elixir.') ? m.slice(7) : `:${m}`;
}

/** A registered name as Elixir prints the atom: module-like names bare, others with a colon. */
export function atomName(a: string): string {
  return a.startsWith('Elixir.') ? a.slice(7) : `:${a}`;
}

export function formatMfa(m: Mfa | undefined): string {
  if (m === undefined) return '?';
  return `${elixirModule(m.module)}.${m.function}/${m.arity}`;
}

export class Interner {
  private readonly pidIds = new Map<string, number>();
  readonly procs: ProcState[] = [];
  private readonly mfaIds = new Map<string, number>();
  /** mfas[0] is "none". */
  readonly mfas: (Mfa | undefined)[] = [undefined];

  pidId(pid: string): number {
    let id = this.pidIds.get(pid);
    if (id === undefined) {
      id = this.procs.length;
      this.pidIds.set(pid, id);
      this.procs.push(new ProcState(id, pid));
    }
    return id;
  }

  lookupPid(pid: string): number | undefined {
    return this.pidIds.get(pid);
  }

  mfaId(m: { module?: string | null; function?: string | null; arity?: number | null } | undefined): number {
    if (!m) return 0;
    const module = m.module ?? '';
    const fn = m.function ?? '';
    const arity = m.arity ?? 0;
    if (module === '' && fn === '') return 0;
    const key = `${module}\u0000${fn}\u0000${arity}`;
    let id = this.mfaIds.get(key);
    if (id === undefined) {
      id = this.mfas.length;
      this.mfaIds.set(key, id);
      this.mfas.push({ module, function: fn, arity });
    }
    return id;
  }
}
