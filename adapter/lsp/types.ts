// What the recording language server needs from the debug runtime: the recording, its cursor and
// what the agent knows about modules. A DebugTarget satisfies RecordingSource as it is (structurally).
import type { BreakpointRequest, BreakpointResult } from '../runtime/breakpointBook';
import type { Navigator, RecordingStore } from '../store';

/** What the agent said about a module (DescribeModules), as ModuleCatalog keeps it. */
export interface ModuleDescription {
  module: string;
  /** Absolute source path ("" when unknown). */
  source: string;
  /** "name/arity" → first clause's head line (1-based). */
  functionLines: ReadonlyMap<string, number>;
  /** "name/arity" → last line of the last clause (FunctionInfo.last_line), when the catalog keeps it. */
  functionLastLines?: ReadonlyMap<string, number>;
  error?: string;
}

export interface ModuleDescriber {
  /** Resolves with what the agent knows about `module` (undefined when it cannot be asked now). */
  describe(module: string): Promise<ModuleDescription | undefined>;
}

/** The runtime as the language server sees it: its store and navigator are created once, with it. */
export interface RecordingSource {
  readonly store: RecordingStore;
  readonly nav: Navigator;
  readonly modules: ModuleDescriber;
}

export type { BreakpointRequest, BreakpointResult };
