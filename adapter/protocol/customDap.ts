// Names and bodies of ElixirScope's custom DAP requests and events: the one definition shared by the
// adapter (sender/handler), the extension and the webviews. Plain data only: no vscode or DAP imports.
import type { MessageEvent, StateVersion, StreamName } from './webviewData';

/** Custom DAP events the adapter sends (DAP `event` messages with these `event` names). */
export const CustomEvents = {
  /** Recording statistics, sent about once a second while a session records. */
  stats: 'elixirScope.stats',
  /** Startup progress (compiling, starting the node, instrumenting modules). */
  progress: 'elixirScope.progress',
  /** The node runs with the agent connected and configured: startup is over. */
  ready: 'elixirScope.ready',
  /** A webview stream (state versions of one GenServer, or messages) grew, or recording ended; at most ~4/s. */
  streamGrew: 'elixirScope.streamGrew',
  /** The recording language server listens on 127.0.0.1:{port} (adapter/lsp); the extension connects to it. */
  languageServer: 'elixirScope.languageServer',
} as const;

/** Commands the recording language server puts in code lenses; the extension registers them. */
export const LanguageServerCommands = {
  /** Step the Debug pane to an event: arguments [GotoEventArguments, sessionId?], relayed as `elixirScope.gotoEvent`. */
  stepToEvent: 'elixirScope.stepToEvent',
} as const;

/** Custom DAP requests the adapter answers (DAP `request` messages with these `command` names). */
export const CustomRequests = {
  /** Stop all recording now: remove every trace pattern and probe, keep the recording so far. */
  emergencyStop: 'elixirScope.emergencyStop',
  /** A page of one GenServer's state versions (StateVersionsArguments → StateVersionsResponseBody). */
  stateVersions: 'elixirScope.stateVersions',
  /** A page of the recording's messages, spawns and exits (StreamRangeArguments → MessagesResponseBody). */
  messages: 'elixirScope.messages',
  /** GenServers with state versions, for a picker (no arguments → StateProcessesResponseBody). */
  stateProcesses: 'elixirScope.stateProcesses',
  /** Move the Debug pane's cursor to an event (GotoEventArguments); the adapter then sends `stopped` (reason goto). */
  gotoEvent: 'elixirScope.gotoEvent',
  /** Where the Debug pane's cursor is (no arguments → CursorResponseBody). */
  cursor: 'elixirScope.cursor',
} as const;

export type CustomEventName = (typeof CustomEvents)[keyof typeof CustomEvents];
export type CustomRequestName = (typeof CustomRequests)[keyof typeof CustomRequests];

/**
 * How the agent is recording (Stats.mode in the .proto). `full`: every matching event; `sampling`: the
 * rate limit was hit and only a sample is kept; `suspended`: the noisiest functions are not recorded
 * for a while; `stopped`: recording stopped (safety limit, emergency stop, the program ended).
 */
export type RecordingMode = 'full' | 'sampling' | 'suspended' | 'stopped';

export const RECORDING_MODES: readonly RecordingMode[] = ['full', 'sampling', 'suspended', 'stopped'];

export interface StatsEventBody {
  /** Events received from the agent per second, averaged over the last interval. */
  eventsPerSecond: number;
  /** Events currently held in the recording (ring buffer). */
  eventsKept: number;
  /** Events lost so far: evicted from the ring buffer or dropped by the agent's safety limits. */
  dropped: number;
  /** Events skipped by sampling so far. */
  sampled: number;
  mode: RecordingMode;
  /** The debugged program ended (or the agent went away): nothing more will be recorded; the recording stays. */
  ended?: boolean;
}

export interface ProgressEventBody {
  /** What is happening now, for a progress notification ("Compiling bank…"). */
  message: string;
  /** Completion in percent (0–100) when known. */
  percent?: number;
}

export interface ReadyEventBody {
  /** Modules the agent is tracing when startup ends. */
  tracedModules: number;
  /**
   * Applications recorded by default (no `trace` attribute, or `trace` naming the project's modules):
   * the project's own, umbrella children included; never dependencies, OTP or Elixir. Sorted.
   */
  tracedApps: string[];
  /** Module patterns from the `trace` attribute, as written (`Bank.*`, `:ets`). */
  tracedPatterns: string[];
}

export interface LanguageServerEventBody {
  /** Loopback TCP port of the recording language server (LSP over a plain socket). */
  port: number;
  /** Secret the client passes as `initializationOptions.token` in its `initialize` request. */
  token: string;
}

export type EmergencyStopArguments = Record<string, never>;

export interface EmergencyStopResponseBody {
  /** False when nothing was recording (already stopped). */
  stopped: boolean;
  /** Trace patterns and probes removed by this request. */
  removed: number;
}

// ───────────── Webview streams (state history, message sequence; see webviews/HOSTING.md) ─────────────
//
// Stream indexes: item i of a stream is the i-th item ever recorded in it, so indexes never change while
// the recording grows. When the ring buffer evicts old events, their items leave the front of the stream:
// `oldest` is the first index still answerable, a range below it is answered with fewer items or none
// (an empty page: the view stops asking), and `total` keeps counting evicted items. A host opening a view
// after eviction starts it at `oldest` (view index = stream index - oldest).

/** Arguments of `elixirScope.messages`: stream indexes [from, from + count). */
export interface StreamRangeArguments {
  from: number;
  count: number;
}

/**
 * Arguments of `elixirScope.stateVersions`: one of `key` (as returned by an earlier answer: stable across
 * restarts of a registered GenServer), `pid` (`<0.123.0>`) or `threadId` (the Debug pane's thread).
 */
export interface StateVersionsArguments extends StreamRangeArguments {
  key?: string;
  pid?: string;
  threadId?: number;
}

/** Answer of the stream requests: items at stream indexes from..from+items.length-1. */
export interface StreamRangeResponse<T> {
  total: number;
  from: number;
  items: T[];
  /** First stream index still in the recording (0 until the ring buffer evicts). */
  oldest: number;
  /** True while the program runs and records: more items may come (announced by `elixirScope.streamGrew`). */
  live: boolean;
}

export interface StateVersionsResponseBody extends StreamRangeResponse<StateVersion> {
  /**
   * The versions stream: `name:<registered or via name>` (all incarnations of a registered GenServer,
   * restarts included) or `pid:<0.123.0>`; '' when the process has no state versions (yet).
   */
  key: string;
  /** Panel heading: `Bank.Ledger`, `Bank.Account <0.123.0>`. */
  title: string;
}

export type MessagesResponseBody = StreamRangeResponse<MessageEvent>;

export interface StateProcessInfo {
  key: string;
  title: string;
  /** The latest incarnation's pid and its Debug pane thread id (0 when it is no longer a thread). */
  pid: string;
  threadId: number;
  total: number;
}

export interface StateProcessesResponseBody {
  processes: StateProcessInfo[];
}

export interface GotoEventArguments {
  /** A `seq` of a StateVersion or MessageEvent (or a `receiveSeq`): the recording's global event index. */
  seq: number;
}

export interface GotoEventResponseBody {
  /** False when the event is no longer in the recording (evicted). */
  moved: boolean;
}

export interface CursorResponseBody {
  /** Global event index of the Debug pane's cursor, null before the first stop. */
  seq: number | null;
  pid: string | null;
  threadId: number | null;
}

export interface StreamGrewEventBody {
  stream: StreamName;
  /** New total of the stream (versions: of the stream `key`). */
  total: number;
  /** For `versions`: the stream key (see StateVersionsResponseBody.key). */
  key?: string;
  /** False once the program exited or recording stopped: nothing more will be appended. */
  live: boolean;
}

/** Event name → body type; lets senders and listeners agree at compile time. */
export interface CustomEventBodies {
  [CustomEvents.stats]: StatsEventBody;
  [CustomEvents.progress]: ProgressEventBody;
  [CustomEvents.ready]: ReadyEventBody;
  [CustomEvents.streamGrew]: StreamGrewEventBody;
  [CustomEvents.languageServer]: LanguageServerEventBody;
}

/** Request command → arguments and response body types. */
export interface CustomRequestTypes {
  [CustomRequests.emergencyStop]: { arguments: EmergencyStopArguments; response: EmergencyStopResponseBody };
  [CustomRequests.stateVersions]: { arguments: StateVersionsArguments; response: StateVersionsResponseBody };
  [CustomRequests.messages]: { arguments: StreamRangeArguments; response: MessagesResponseBody };
  [CustomRequests.stateProcesses]: { arguments: Record<string, never>; response: StateProcessesResponseBody };
  [CustomRequests.gotoEvent]: { arguments: GotoEventArguments; response: GotoEventResponseBody };
  [CustomRequests.cursor]: { arguments: Record<string, never>; response: CursorResponseBody };
}

export type CustomRequestArguments<K extends CustomRequestName> = CustomRequestTypes[K]['arguments'];
export type CustomResponseBody<K extends CustomRequestName> = CustomRequestTypes[K]['response'];

/** Sends a custom event with the body its name takes (the adapter's sendCustomEvent). */
export type CustomEventSender = <K extends CustomEventName>(name: K, body: CustomEventBodies[K]) => void;

/** What sends a DAP request and resolves with the response body: a vscode.DebugSession, a view host's transport. */
export interface CustomRequester {
  customRequest(command: string, args?: unknown): PromiseLike<unknown>;
}

/** A custom request with the arguments its name takes, resolving with the response body it answers with. */
export async function customRequest<K extends CustomRequestName>(to: CustomRequester, name: K, args: CustomRequestArguments<K>): Promise<CustomResponseBody<K>> {
  return (await to.customRequest(name, args)) as CustomResponseBody<K>;
}

const eventNames: ReadonlySet<string> = new Set(Object.values(CustomEvents));

/** True for the name of one of ElixirScope's custom events (as opposed to other custom events). */
export function isCustomEventName(name: string): name is CustomEventName {
  return eventNames.has(name);
}

/**
 * Reads a stats body defensively: the extension may talk to an older or newer adapter, so a body that
 * does not have the expected shape yields undefined instead of garbage on the status bar.
 */
export function parseStatsBody(body: unknown): StatsEventBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const nums = ['eventsPerSecond', 'eventsKept', 'dropped', 'sampled'] as const;
  if (!nums.every((k) => typeof b[k] === 'number' && Number.isFinite(b[k]))) return undefined;
  if (!RECORDING_MODES.includes(b.mode as RecordingMode)) return undefined;
  return {
    eventsPerSecond: b.eventsPerSecond as number,
    eventsKept: b.eventsKept as number,
    dropped: b.dropped as number,
    sampled: b.sampled as number,
    mode: b.mode as RecordingMode,
    ...(b.ended === true ? { ended: true } : {}),
  };
}
