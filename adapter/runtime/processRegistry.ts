// Processes seen in the recording, with stable thread ids and the names the Debug pane shows:
// "<callback module> <registered name> <pid>", e.g. "Bank.Account {:account, :b} <0.123.0>".
import { elixirscope } from '../gen/wire';

export interface ProcessEntry {
  id: number;
  pid: string;
  registeredName?: string;
  callbackModule?: string;
  viaName?: string;
  ranProjectCode: boolean;
}

const CODE_KINDS = new Set<number>([elixirscope.EventKind.CALL, elixirscope.EventKind.RETURN, elixirscope.EventKind.LINE, elixirscope.EventKind.STATE]);

/** Elixir's spelling of an Erlang module name: "Elixir.Bank.Account" → "Bank.Account", "lists" → ":lists". */
export function moduleDisplayName(mod: string): string {
  return mod.startsWith('Elixir.') ? mod.slice('Elixir.'.length) : `:${mod}`;
}

export class ProcessRegistry {
  private readonly byPid = new Map<string, ProcessEntry>();
  private readonly byId = new Map<number, ProcessEntry>();
  private nextId = 1;

  /** Records the processes of a batch; returns true when the thread list changed. */
  ingest(batch: elixirscope.EventBatch): boolean {
    let changed = false;
    const kinds = batch.kind;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      const pid = batch.pids[batch.pid[i]];
      if (pid === undefined) continue;
      const entry = this.entry(pid);
      if (CODE_KINDS.has(kind) && !entry.ranProjectCode) {
        entry.ranProjectCode = true;
        changed = true;
      }
      if (kind === elixirscope.EventKind.PROCESS) {
        const body = elixirscope.EventBody.decode(batch.body[i]);
        const p = body.process;
        if (p) {
          entry.registeredName = p.registeredName || entry.registeredName;
          entry.callbackModule = p.callbackModule || entry.callbackModule;
          entry.viaName = p.viaName || entry.viaName;
          changed = changed || entry.ranProjectCode;
        }
      }
    }
    return changed;
  }

  /** Processes that ran project code, in order of first appearance. */
  threads(): ProcessEntry[] {
    return [...this.byId.values()].filter((e) => e.ranProjectCode);
  }

  byThreadId(id: number): ProcessEntry | undefined {
    return this.byId.get(id);
  }

  byPidString(pid: string): ProcessEntry | undefined {
    return this.byPid.get(pid);
  }

  static displayName(e: ProcessEntry): string {
    const parts: string[] = [];
    if (e.callbackModule) parts.push(moduleDisplayName(e.callbackModule));
    const name = e.registeredName ? (e.registeredName.startsWith('Elixir.') ? moduleDisplayName(e.registeredName) : `:${e.registeredName}`) : e.viaName;
    if (name && name !== parts[0]) parts.push(name);
    parts.push(e.pid);
    return parts.join(' ');
  }

  private entry(pid: string): ProcessEntry {
    let e = this.byPid.get(pid);
    if (!e) {
      e = { id: this.nextId++, pid, ranProjectCode: false };
      this.byPid.set(pid, e);
      this.byId.set(e.id, e);
    }
    return e;
  }
}
