// The seam between the DAP session and what it debugs: the events a debug target emits and the
// operations the session calls. DebugRuntime (launch/attach a live node) implements it; a replay
// target over a saved recording and a multi-node target can too. Knows nothing of DAP.
import type { AttachConfig, LaunchConfig } from '../config/validate';
import type { elixirscope } from '../gen/wire';
import type { StatsEventBody } from '../protocol/customDap';
import type { Moved, Navigator, RecordingStore } from '../store';
import type { BreakpointBook, BreakpointRequest, BreakpointResult, FileBreakpoints } from './breakpointBook';
import type { Logger } from './log';
import type { ModuleCatalog } from './moduleCatalog';

/** What the runtime needs of a validated launch configuration (adapter/config is the one schema). */
export type LaunchOptions = Pick<LaunchConfig, 'projectDir' | 'task' | 'taskArgs' | 'env' | 'trace' | 'lineProbes' | 'recording'> & Partial<Pick<LaunchConfig, 'allowSideEffects'>>;

/** What the runtime needs of a validated attach configuration. */
export type AttachOptions = Pick<AttachConfig, 'node' | 'cookie' | 'trace' | 'recording'> & Partial<Pick<AttachConfig, 'allowSideEffects'>>;

/** What the client asked the session to debug; a target is made for exactly one. */
export type DebugTargetRequest = { request: 'launch'; options: LaunchOptions } | { request: 'attach'; options: AttachOptions };

export type OutputCategory = 'stdout' | 'stderr' | 'console' | 'important';

/** The once-a-second recording figures: what the session sends as the `elixirScope.stats` event. */
export type RecordingStats = StatsEventBody;

/** What a target tells the session; every event is optional for a target that has no such thing. */
export interface DebugTargetEvents {
  output: [text: string, category: OutputCategory];
  threadsChanged: [];
  notice: [elixirscope.Notice];
  stats: [RecordingStats];
  /** Start-up progress (compiling, starting the node, instrumenting modules). */
  progress: [message: string];
  /** Start-up finished: the agent records `tracedModules` modules, of these applications and patterns. */
  ready: [tracedModules: number, traced: { apps: string[]; patterns: string[] }];
  /** The cursor moved (a step, a hit reached while waiting, a pause). */
  moved: [Moved];
  /** A breakpoint's state changed on its own (a pending one verified when its module loaded). */
  breakpointChanged: [BreakpointResult, FileBreakpoints];
  /** The debugged program ended; the recording stays. */
  programExited: [code: number | null];
}

type Listener<K extends keyof DebugTargetEvents> = (...args: DebugTargetEvents[K]) => void;

/**
 * One debug target of one session. The recording (store) and its cursor (nav) are created once, with
 * the target, and never replaced: movement (every kind, either direction) is the navigator's.
 */
export interface DebugTarget {
  readonly store: RecordingStore;
  readonly nav: Navigator;
  /** The session's breakpoints by id (a stop names the one it hit). */
  readonly breakpoints: BreakpointBook;
  /** Where recorded modules' sources are (a stack frame's file and line). */
  readonly modules: Pick<ModuleCatalog, 'describe'>;
  /** A program is there to record from and evaluate on (false before it starts and once it ended). */
  readonly programRunning: boolean;

  on<K extends keyof DebugTargetEvents>(event: K, listener: Listener<K>): this;
  off<K extends keyof DebugTargetEvents>(event: K, listener: Listener<K>): this;

  /** Starts what the request says (launch, attach, open a recording); rejects with a ScopeFailure. */
  start(): Promise<void>;
  /** Replaces the breakpoints of a source file ("" = function breakpoints). */
  setBreakpoints(file: string, requests: BreakpointRequest[]): Promise<BreakpointResult[]>;
  setExceptionFilters(raised: boolean, crashes: boolean): Promise<void>;
  /** The client finished configuring: the program may run; the cursor waits for the first hit. */
  setConfigurationDone(): Promise<void>;
  /** Evaluates on the program (`pure`: allow-listed calls only); rejects with Errors.nodeGone when there is none. */
  evaluateOnNode(code: string, bindings?: elixirscope.Binding.$Properties[], opts?: { pure?: boolean; events?: number[] }): Promise<elixirscope.EvalResult>;
  /** Stops all recording at once; what is recorded stays. */
  emergencyStop(): Promise<void>;
  /** Ends the target (launch: the program; attach: detaches, the node runs on). Safe to call twice. */
  terminate(): Promise<void>;
}

/** What a target may use of the session's environment (injected: tests pass their own). */
export interface RuntimeEnvironment {
  readonly log: Logger;
}

/** Makes the session's target once launch/attach arguments are known; tests pass a fake one. */
export type DebugTargetFactory = (what: DebugTargetRequest, env: RuntimeEnvironment) => DebugTarget;
