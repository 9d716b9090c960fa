// The session's breakpoints: adapter-assigned ids, one set per source file plus the function
// breakpoints, sent to the agent as SetBreakpoints. Knows nothing of DAP.
import { elixirscope } from '../gen/wire';
import type { AgentConnection } from './agentConnection';

export interface BreakpointRequest {
  line?: number;
  function?: string;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface BreakpointResult {
  id: number;
  verified: boolean;
  line?: number;
  message?: string;
}

export class BreakpointBook {
  private nextId = 1;
  /** file ("" = function breakpoints) → id by request identity, so unchanged breakpoints keep their id. */
  private readonly ids = new Map<string, Map<string, number>>();
  readonly logPoints = new Map<number, string>();
  private readonly known = new Map<number, BreakpointRequest & { file: string }>();
  /** The last results per file, in request order, kept current by changed(). */
  private readonly files = new Map<string, FileBreakpoints>();

  /**
   * `placed(module)` is told the module of every breakpoint the agent verifies, when it does: a stop
   * there will need the module's source, and a short program (a test run) may be gone by the time
   * the Debug pane asks for the stack.
   */
  constructor(private readonly placed: (module: string) => void = () => undefined) {}

  /** The breakpoint behind a hit id (undefined for exception filter hits). */
  byId(id: number): (BreakpointRequest & { file: string }) | undefined {
    return this.known.get(id);
  }

  /** Replaces the breakpoints of `file` on the agent; resolves with one result per request, in order. */
  async set(agent: AgentConnection, file: string, requests: BreakpointRequest[], ebinDirs: string[]): Promise<BreakpointResult[]> {
    const previous = this.ids.get(file) ?? new Map<string, number>();
    const current = new Map<string, number>();
    const specs = requests.map((r) => {
      const key = JSON.stringify([r.line, r.function, r.condition, r.hitCondition, r.logMessage]);
      const id = previous.get(key) ?? current.get(key) ?? this.nextId++;
      current.set(key, id);
      this.known.set(id, { ...r, file });
      return { id, line: r.line ?? 0, function: r.function ?? '', condition: r.condition ?? '', hitCondition: r.hitCondition ?? '', logMessage: r.logMessage ?? '' };
    });
    for (const [, id] of previous) if (![...current.values()].includes(id)) this.known.delete(id);
    this.ids.set(file, current);
    const reply = await agent.request({ setBreakpoints: { file, breakpoints: specs, ebinDirs } });
    const states = new Map((reply.breakpoints?.breakpoints ?? []).map((s: elixirscope.BreakpointState.$Properties) => [s.id ?? 0, s]));
    for (const st of states.values()) this.tellPlaced(st);
    const results = specs.map((s) => {
      const st = states.get(s.id);
      return st ? toResult(st) : { id: s.id, verified: false, message: 'the agent did not report this breakpoint' };
    });
    this.files.set(file, { file, requests, results });
    return results;
  }

  /** Breakpoints whose state changed on their own (AgentMessage.breakpoints_changed), for those still set, each with its file's breakpoints as they now are. */
  changed(update: elixirscope.BreakpointStates): { result: BreakpointResult; file: FileBreakpoints }[] {
    const out: { result: BreakpointResult; file: FileBreakpoints }[] = [];
    for (const st of update.breakpoints ?? []) {
      const known = this.known.get(st.id ?? 0);
      const fileBps = known && this.files.get(known.file);
      const i = fileBps ? fileBps.results.findIndex((r) => r.id === st.id) : -1;
      if (!fileBps || i < 0) continue;
      const result = toResult(st);
      this.tellPlaced(st);
      fileBps.results[i] = result;
      out.push({ result, file: fileBps });
    }
    return out;
  }

  private tellPlaced(st: elixirscope.BreakpointState.$Properties): void {
    if (st.verified && st.module) this.placed(st.module);
  }
}

/** One file's breakpoints ("" = function breakpoints): the requests and their current results. */
export interface FileBreakpoints {
  file: string;
  requests: BreakpointRequest[];
  results: BreakpointResult[];
}

function toResult(st: elixirscope.BreakpointState.$Properties): BreakpointResult {
  return { id: st.id ?? 0, verified: !!st.verified, line: st.line || undefined, message: st.message || undefined };
}
