// DAP data breakpoints ("Break on Value Change") over the recording: which variables can be watched
// (values inside a GenServer State scope), their data ids, and the ids and paths of the watches
// handed to the navigator (store/valueWatches.ts stops continue where a watched value changes).
import { DebugProtocol } from '@vscode/debugprotocol';
import type { ProcState, ValueWatch } from '../store';
import type { VariableTable } from './variables';

/** Data breakpoint ids start here, apart from the source/function breakpoint ids the BreakpointBook gives. */
const FIRST_ID = 1_000_000;

export class DataBreakpoints {
  /** Ids by data id, kept while the same value stays watched across setDataBreakpoints. */
  private readonly ids = new Map<string, number>();
  private paths = new Map<number, string>();

  /** dataBreakpointInfo: a data id for child `name` of container `ref`, when it is inside a GenServer State. */
  info(vars: VariableTable, threads: readonly ProcState[], args: DebugProtocol.DataBreakpointInfoArguments): DebugProtocol.DataBreakpointInfoResponse['body'] {
    const w = args.variablesReference !== undefined ? vars.watchable(args.variablesReference, args.name) : undefined;
    if (!w) return { dataId: null, description: 'Only values inside a GenServer or gen_statem State scope can be watched for changes' };
    const thread = threads.find((t) => t.id === w.pid)?.name ?? `process ${w.pid + 1}`;
    return { dataId: JSON.stringify(w), description: `${w.path} of ${thread}`, accessTypes: ['write'], canPersist: false };
  }

  /** setDataBreakpoints: the watches to give the navigator, and the DAP breakpoints to answer with. */
  set(requested: DebugProtocol.DataBreakpoint[]): { watches: ValueWatch[]; breakpoints: DebugProtocol.Breakpoint[] } {
    const watches: ValueWatch[] = [];
    const breakpoints = requested.map((b): DebugProtocol.Breakpoint => {
      const parsed = parseDataId(b.dataId);
      if (!parsed) return { verified: false, message: `not a value ElixirScope can watch: ${b.dataId}` };
      const id = this.ids.get(b.dataId) ?? FIRST_ID + this.ids.size;
      this.ids.set(b.dataId, id);
      watches.push({ id, ...parsed });
      return { id, verified: true, message: `stops where ${parsed.path} changes` };
    });
    this.paths = new Map(watches.map((w) => [w.id, w.path]));
    return { watches, breakpoints };
  }

  /** The watched path of a data breakpoint id (for the stop description). */
  get watchPaths(): ReadonlyMap<number, string> {
    return this.paths;
  }
}

function parseDataId(dataId: string): { pid: number; path: string } | undefined {
  try {
    const { pid, path } = JSON.parse(dataId) as { pid: unknown; path: unknown };
    return typeof pid === 'number' && typeof path === 'string' ? { pid, path } : undefined;
  } catch {
    return undefined;
  }
}
