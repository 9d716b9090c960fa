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
  /** 'gen_server' | 'gen_statem' when the callback module is recorded, else ''. */
  behaviour = '';
  initialCall = '';
  viaName = '';
  /** Pid string of the spawning process ('' = unknown). Strings, not ids: ids of gone processes are reused. */
  parent = '';
  spawnIndex = -1;
  exitIndex = -1;
  /** Pid strings of linked processes. */
  readonly links = new Set<string>();
  /** Slot freed (see Interner.release); a new process may take the id. */
  released = false;
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
  /** Staged and retained events that refer to each pid id (as their process or as `other`). */
  private refs = new Int32Array(64);
  private readonly free: number[] = [];
  /** Processes forgotten so far. */
  released = 0;
  private readonly mfaIds = new Map<string, number>();
  /** mfas[0] is "none". */
  readonly mfas: (Mfa | undefined)[] = [undefined];

  pidId(pid: string): number {
    let id = this.pidIds.get(pid);
    if (id === undefined) {
      id = this.free.pop() ?? this.procs.length;
      this.pidIds.set(pid, id);
      this.procs[id] = new ProcState(id, pid);
      if (id >= this.refs.length) {
        const r = new Int32Array(this.refs.length * 2);
        r.set(this.refs);
        this.refs = r;
      }
      this.refs[id] = 0;
    }
    return id;
  }

  ref(id: number): void {
    this.refs[id]++;
  }

  /** Drops one reference; true when nothing refers to the process any more. */
  unref(id: number): boolean {
    return --this.refs[id] === 0;
  }

  /**
   * Whether a process nothing refers to can be forgotten without losing anything the user could still
   * see: it exited, or it has no open frames and no naming metadata.
   */
  releasable(id: number): boolean {
    const p = this.procs[id];
    if (p.released || this.refs[id] !== 0) return false;
    return p.exitIndex >= 0 || (p.stack.length === 0 && !p.registeredName && !p.callbackModule && !p.initialCall && !p.viaName);
  }

  /** Forgets a process (its id may be reused), so long sessions with many short-lived processes stay bounded. */
  release(id: number): void {
    const p = this.procs[id];
    this.pidIds.delete(p.pid);
    const dead = new ProcState(id, p.pid);
    dead.released = true;
    this.procs[id] = dead;
    this.free.push(id);
    this.released++;
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
