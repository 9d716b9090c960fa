// Interned processes and MFAs: batches carry per-batch pid/MFA tables; the store keeps one global id
// per pid string and per MFA, and one ProcState per process (thread naming, lineage, live call stack, indexes).

import { IndexList } from './indexList';
import { StepIndex } from './stepIndex';

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
  /** 'test' (an ExUnit test process) | 'task' | 'agent' | ''. */
  kind = '';
  /** `Elixir.Mod:fun/2`: the user code the process runs (test function, Task/Agent/spawn fun or MFA, the module
   *  behind a wrapper behaviour such as GenStage, else its first recorded function); '' = unknown. */
  entry = '';
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

  /**
   * What the process is, then its registered or via name, then its pid: `Bank.Account :b <0.123.0>`,
   * `GenStage GenStageTest.Counter <0.130.0>`, `MyTest test "adds" <0.140.0>`, `Task fn in MyTest."test x"/1 <0.141.0>`,
   * `Agent Shorty.init/0 <0.150.0>`, `Shorty.work/1 <0.151.0>`. A bare pid only when nothing at all is known.
   */
  get name(): string {
    const parts: string[] = [];
    const what = this.what();
    if (what) parts.push(what);
    if (this.registeredName) parts.push(atomName(this.registeredName));
    else if (this.viaName) parts.push(this.viaName);
    parts.push(this.pid);
    return parts.join(' ');
  }

  private what(): string {
    const entry = parseMfa(this.entry);
    if (this.kind === 'test' && entry) return `${elixirModule(entry.module)} ${testName(entry.function)}`;
    if (this.kind === 'agent' || this.callbackModule === 'Elixir.Agent.Server') return entry ? `Agent ${formatCode(entry)}` : 'Agent';
    if (this.kind === 'task') return entry ? `Task ${formatCode(entry)}` : 'Task';
    if (this.callbackModule) {
      const cb = elixirModule(this.callbackModule);
      // A wrapper behaviour (GenStage, ConsumerSupervisor) runs the user's module: init/1 of another module.
      const inner = entry && entry.function === 'init' && entry.arity === 1 && entry.module !== this.callbackModule ? elixirModule(entry.module) : '';
      return inner ? `${cb} ${inner}` : cb;
    }
    if (entry) return formatCode(entry);
    const initial = parseMfa(this.initialCall);
    // proc_lib's and spawn's own entry points say nothing about the process.
    if (initial && !/^(proc_lib|erlang|gen)$/.test(initial.module)) return formatCode(initial);
    return '';
  }

  /** Takes the non-empty fields of a ProcessEvent (a later one, e.g. after a registration, renames the process). */
  applyInfo(info: ProcessInfo): void {
    if (info.registeredName) this.registeredName = info.registeredName;
    if (info.callbackModule) this.callbackModule = info.callbackModule;
    if (info.behaviour) this.behaviour = info.behaviour;
    if (info.initialCall) this.initialCall = info.initialCall;
    if (info.viaName) this.viaName = info.viaName;
    if (info.kind) this.kind = info.kind;
    if (info.entry) this.entry = info.entry;
  }
}

/** The fields of a ProcessEvent (as decoded: absent or null when empty). */
export interface ProcessInfo {
  registeredName?: string | null;
  callbackModule?: string | null;
  behaviour?: string | null;
  initialCall?: string | null;
  viaName?: string | null;
  kind?: string | null;
  entry?: string | null;
}

/** `Elixir.Mod:fun/2` → {module, function, arity}; the function name may hold spaces, `:` and `/` (test names). */
export function parseMfa(s: string): Mfa | undefined {
  const m = /^([^:]+):(.+)\/(\d+)$/.exec(s);
  return m ? { module: m[1], function: m[2], arity: Number(m[3]) } : undefined;
}

/** An ExUnit test function's name as written: `test adds` → `test "adds"`; other names quoted whole. */
function testName(f: string): string {
  const m = /^(test|doctest|property) (.*)$/s.exec(f);
  return m ? `${m[1]} ${JSON.stringify(m[2])}` : JSON.stringify(f);
}

/** A function as Elixir shows it: `Shorty.work/1`, `MyTest."test x"/1`; an anonymous function as `fn in` its definer. */
export function formatCode(m: Mfa): string {
  const anon = /^-(.+)\/(\d+)-fun-\d+-$/.exec(m.function);
  if (anon) return `fn in ${elixirModule(m.module)}.${functionName(anon[1])}/${anon[2]}`;
  return `${elixirModule(m.module)}.${functionName(m.function)}/${m.arity}`;
}

function functionName(f: string): string {
  return /^[a-z_][a-zA-Z0-9_]*[?!]?$/.test(f) ? f : JSON.stringify(f);
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
    return p.exitIndex >= 0 || (p.stack.length === 0 && !p.registeredName && !p.callbackModule && !p.initialCall && !p.viaName && !p.kind && !p.entry);
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
