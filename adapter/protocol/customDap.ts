// Names and bodies of ElixirScope's custom DAP requests and events: the one definition shared by the
// adapter (sender/handler), the extension and the webviews. Plain data only: no vscode or DAP imports.

/** Custom DAP events the adapter sends (DAP `event` messages with these `event` names). */
export const CustomEvents = {
  /** Recording statistics, sent about once a second while a session records. */
  stats: 'elixirScope.stats',
  /** Startup progress (compiling, starting the node, instrumenting modules). */
  progress: 'elixirScope.progress',
  /** The node runs with the agent connected and configured: startup is over. */
  ready: 'elixirScope.ready',
} as const;

/** Custom DAP requests the adapter answers (DAP `request` messages with these `command` names). */
export const CustomRequests = {
  /** Stop all recording now: remove every trace pattern and probe, keep the recording so far. */
  emergencyStop: 'elixirScope.emergencyStop',
} as const;

export type CustomEventName = (typeof CustomEvents)[keyof typeof CustomEvents];
export type CustomRequestName = (typeof CustomRequests)[keyof typeof CustomRequests];

/**
 * How the agent is recording. `full`: every matching event; `sampling`: the rate limit was hit and
 * only a sample is kept; `stopped`: recording stopped (safety limit or emergency stop).
 */
export type RecordingMode = 'full' | 'sampling' | 'stopped';

export const RECORDING_MODES: readonly RecordingMode[] = ['full', 'sampling', 'stopped'];

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
}

export type EmergencyStopArguments = Record<string, never>;

export interface EmergencyStopResponseBody {
  /** False when nothing was recording (already stopped). */
  stopped: boolean;
  /** Trace patterns and probes removed by this request. */
  removed: number;
}

/** Event name → body type; lets senders and listeners agree at compile time. */
export interface CustomEventBodies {
  [CustomEvents.stats]: StatsEventBody;
  [CustomEvents.progress]: ProgressEventBody;
  [CustomEvents.ready]: ReadyEventBody;
}

/** Request command → arguments and response body types. */
export interface CustomRequestTypes {
  [CustomRequests.emergencyStop]: { arguments: EmergencyStopArguments; response: EmergencyStopResponseBody };
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
  };
}
