// Which clause of a recorded function ran, for calls the agent did not bind (only breakpoint hits
// carry CallEvent.clause/line): the captured arguments matched against the clause heads of the
// module's Elixir source, so a frame is located at that clause and its arguments get their names.
import * as fs from 'fs';
import type { elixirscope } from '../gen/wire';
import { callBindings } from '../lsp/features';
import { functionsOf, type SourceFunction } from '../lsp/clauseHeads';
import type { Mfa, RecordingStore } from '../store';

type Term = elixirscope.Term.$Properties;

export interface ClauseMatch {
  /** 1-based line of the clause head; 0 = unknown. */
  line: number;
  /** 1-based clause; 0 = unknown. */
  clause: number;
  /** The clause's named bindings (ignored `_names` left out, as the agent does). */
  bindings: { name: string; value: Term }[];
}

export class SourceClauses {
  private readonly files = new Map<string, { mtimeMs: number; fns: Map<string, SourceFunction> }>();
  /** Module → source file, learnt from the module catalog as frames are located. */
  readonly sources = new Map<string, string>();

  /** The clause heads of `mfa` in `file` (Elixir sources only), read once per file version. */
  functionOf(file: string, mfa: Mfa): SourceFunction | undefined {
    if (!/\.exs?$/.test(file)) return undefined;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return undefined;
    }
    let f = this.files.get(file);
    if (!f || f.mtimeMs !== st.mtimeMs) {
      const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
      f = { mtimeMs: st.mtimeMs, fns: new Map(functionsOf(lines).map((x) => [`${x.name}/${x.arity}`, x])) };
      this.files.set(file, f);
    }
    return f.fns.get(`${mfa.function}/${mfa.arity}`);
  }

  /**
   * The clause recorded CALL `g` of `mfa` went through: the agent's answer when it gave one, else the
   * first clause whose head matches the captured arguments (a guard this reader cannot decide does
   * not rule a clause out). Undefined when neither knows.
   */
  clauseOf(store: RecordingStore, g: number, mfa: Mfa, file = this.sources.get(mfa.module) ?? ''): ClauseMatch | undefined {
    const call = store.body(g)?.call;
    if (!call) return undefined;
    const src = file ? this.functionOf(file, mfa) : undefined;
    const agentLine = call.line ?? 0;
    const m = callBindings(store, g, mfa.module, src);
    if (!m) return agentLine > 0 ? { line: agentLine, clause: call.clause ?? 0, bindings: [] } : undefined;
    const bindings = [...m.bindings].filter(([name]) => !name.startsWith('_')).map(([name, value]) => ({ name, value }));
    const line = agentLine > 0 ? agentLine : src && m.clause >= 0 && src.clauses[m.clause] ? src.clauses[m.clause].line + 1 : 0;
    return { line, clause: m.clause + 1, bindings };
  }
}
