// Source files and function line ranges of recorded modules, asked of the agent lazily (one batched
// DescribeModules per burst of stack requests) and cached for the session. An answer without a
// source (a module not loaded yet, e.g. a test module before ExUnit loads its file) is asked again
// after RETRY_MS.
import { elixirscope } from '../gen/wire';
import type { AgentConnection } from './agentConnection';

export interface ModuleSource {
  module: string;
  source: string;
  language: 'elixir' | 'erlang';
  /** "name/arity" → first head line. */
  functionLines: Map<string, number>;
  /** "name/arity" → last line of its last clause. */
  functionLastLines: Map<string, number>;
  error: string;
}

/** How long an answer without a source is kept before the module is asked about again. */
export const RETRY_MS = 2000;

export class ModuleCatalog {
  private readonly known = new Map<string, Promise<ModuleSource | undefined>>();
  /** module → when its sourceless answer may be asked again. */
  private readonly retryAt = new Map<string, number>();
  private pending = new Map<string, (m: ModuleSource | undefined) => void>();
  private scheduled = false;

  constructor(
    private readonly agent: () => AgentConnection | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves with what the agent knows about `module` (undefined when the node is gone). */
  describe(module: string): Promise<ModuleSource | undefined> {
    let p = this.known.get(module);
    const retry = this.retryAt.get(module);
    if (p && retry !== undefined && this.now() >= retry) {
      p = undefined;
      this.retryAt.delete(module);
    }
    if (!p) {
      p = new Promise((resolve) => this.pending.set(module, resolve));
      this.known.set(module, p);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    }
    return p;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const agent = this.agent();
    const answer = (m: string, info: ModuleSource | undefined) => {
      const resolve = batch.get(m);
      if (!resolve) return;
      batch.delete(m);
      if (!info?.source) this.retryAt.set(m, this.now() + RETRY_MS);
      resolve(info);
    };
    if (!agent?.isOpen) {
      for (const m of [...batch.keys()]) {
        this.known.delete(m); // ask again if a node comes back (attach)
        answer(m, undefined);
      }
      return;
    }
    try {
      const reply = await agent.request({ describeModules: { modules: [...batch.keys()] } });
      for (const info of reply.modules?.modules ?? []) answer(info.module ?? '', toSource(info));
    } catch {
      /* answered below */
    }
    for (const m of [...batch.keys()]) answer(m, undefined); // the modules not answered above
  }
}

function toSource(info: elixirscope.ModuleInfo.$Properties): ModuleSource {
  const functionLines = new Map<string, number>();
  const functionLastLines = new Map<string, number>();
  for (const f of info.functions ?? []) {
    functionLines.set(`${f.name}/${f.arity}`, f.line ?? 0);
    functionLastLines.set(`${f.name}/${f.arity}`, f.lastLine ?? 0);
  }
  return {
    module: info.module ?? '',
    source: info.source ?? '',
    language: info.language === 'erlang' ? 'erlang' : 'elixir',
    functionLines,
    functionLastLines,
    error: info.error ?? '',
  };
}
