// Data model and message union shared by the webviews (state history, message sequence) and their host
// (extension panels fed by custom DAP requests). Plain JSON-serializable data: no vscode, DAP or generated code.

// ───────────── Terms ─────────────

/** What a rendered term node is. `truncated` stands for a part the agent cut (depth/size limit). */
export type TermKind =
  | 'map' | 'struct' | 'list' | 'tuple' | 'keyword'
  | 'atom' | 'int' | 'float' | 'string' | 'charlist' | 'binary' | 'bitstring'
  | 'pid' | 'port' | 'ref' | 'fun'
  | 'truncated' | 'other';

/**
 * A captured term as the adapter renders it: the whole text in Elixir syntax plus, for containers, its
 * children, so the views diff structure, never text. Keys of children are rendered keys: `balance` for an
 * atom key of a map/struct, `"k"` for a string key, `[0]` for list elements, `{0}` for tuple elements.
 */
export interface TermView {
  kind: TermKind;
  /** The term in Elixir syntax (`%Bank.Account{balance: 90, id: :b, ops: 17}`), possibly shortened with `…`. */
  text: string;
  /** Children of maps, structs, lists, tuples and keyword lists, in display order. Absent for scalars. */
  children?: TermChild[];
  /** Children the agent did not capture (size limit): shown as "… N more", never silently hidden. */
  omitted?: number;
}

/** One entry of a container: rendered key (unique within its parent) and value. */
export interface TermChild {
  key: string;
  value: TermView;
}

// ───────────── Gaps ─────────────

/**
 * Events the recording does not have, just before a version or message: the agent lost or sampled them
 * (counted, never silent). The views draw a marker row between that item and the one before it.
 */
export interface GapMarker {
  /** Events not recorded (of the view's process for a version; of any process for a message). */
  count: number;
  /** What and why, e.g. `1,204 events of this process not recorded (the agent was overloaded)`. */
  text: string;
}

// ───────────── State history ─────────────

/** The callback whose return produced a state version; `initial` = state of a process already running when recording began. */
export type StateCallback = 'init' | 'handle_call' | 'handle_cast' | 'handle_info' | 'handle_continue' | 'initial';

/** One GenServer state version (state versions are steps of the recording: adapter/store/README.md). */
export interface StateVersion {
  /** Recording sequence number of the state event: `moveCursor` with it puts the Debug pane there. */
  seq: number;
  /** Nanoseconds since the recording started (strict_monotonic_timestamp based). */
  time: number;
  pid: string;
  /** Display name, as threads are named: `Bank.Account {:account, :b} <0.123.0>`. */
  process: string;
  /** 0 for the first version of this pid, then +1 per callback return. */
  version: number;
  callback: StateCallback;
  /** The message handled by the callback (`{:withdraw, 105}`); absent for `initial`. */
  message?: TermView;
  /** Display name of the caller for `handle_call` (`Bank.Demo <0.150.0>`). */
  from?: string;
  state: TermView;
  /** Events of this process not recorded between the previous version and this one. */
  gapBefore?: GapMarker;
}

// ───────────── Messages ─────────────

/**
 * `call`: a GenServer.call request ($gen_call); `reply`: its reply; `cast`: $gen_cast; `info`: any other
 * message; `spawn`: `from` spawned `to` (message = the spawned MFA); `exit`: `from` exited (message =
 * reason; `to` = the linked/monitoring process that got the signal, or `from` itself when none).
 */
export type MessageKind = 'call' | 'reply' | 'cast' | 'info' | 'spawn' | 'exit';

export interface MessageEvent {
  /** Sequence number of the send (or of the spawn/exit event); `moveCursor` target for the sending side. */
  seq: number;
  /** Nanoseconds since recording start, of the send. */
  time: number;
  kind: MessageKind;
  /** Pids as `<0.123.0>`. */
  from: string;
  to: string;
  /** Display names as threads are named. */
  fromName: string;
  toName: string;
  /** The message without its GenServer envelope (`{:deposit, 10}`, not `{:"$gen_call", from, …}`). */
  message: TermView;
  /** For a call: the seq of its reply; for a reply: the seq of its call. */
  pairSeq?: number;
  /** Seq of the matching receive event when it was recorded (`moveCursor` target for the receiving side). */
  receiveSeq?: number;
  receiveTime?: number;
  /** Events (of any process) not recorded between the previous message and this one. */
  gapBefore?: GapMarker;
}

// ───────────── Host ⇄ view messages ─────────────

/** The two webviews; each is one bundle `dist/webviews/<ViewName>View.js` (+ `.css`). */
export type ViewName = 'stateHistory' | 'messageSequence';

/**
 * The two data streams. Each is an ordered sequence (ascending seq) indexed from 0 — for `versions`, the
 * versions of the view's GenServer (all its incarnations under one name, restarts included); for
 * `messages`, every message event of the recording. The host delivers a first page in `init`, the view
 * pulls the rest in order with `requestRange`, and live items come as `append`. Indexes never change:
 * an evicted range is answered with an empty page (the view then stops asking).
 */
export type StreamName = 'versions' | 'messages';

/** Item type of each stream. */
export interface StreamItems {
  versions: StateVersion;
  messages: MessageEvent;
}

/**
 * Page size the views request; the host may answer with fewer items (never more than asked). `init` and
 * `append` should carry at most this many items too: one webview message of 100,000 messages is ~40 MB
 * and costs ~1 s of structured clone before anything is drawn (bench/webviews.bench.ts).
 */
export const WEBVIEW_PAGE_SIZE = 5000;

/**
 * First message of a session (and again to start over, e.g. a new debug session): replaces everything the
 * view holds. `items` are stream indexes 0..items.length-1; when `total` is larger the view asks for the
 * rest with `requestRange`, in order.
 */
export interface InitStateHistory {
  type: 'init';
  view: 'stateHistory';
  /** Panel heading, e.g. `Bank.Account :b`. */
  title: string;
  total: number;
  items: StateVersion[];
  /** Seq of the Debug pane's cursor, if any: the view highlights the version current at it. */
  cursorSeq?: number;
  /** True while the node is recording: more items may be appended. */
  live: boolean;
}

export interface InitMessageSequence {
  type: 'init';
  view: 'messageSequence';
  title: string;
  total: number;
  items: MessageEvent[];
  cursorSeq?: number;
  live: boolean;
  /**
   * Opened for some processes (e.g. from a thread's context menu): only their lifelines are shown at
   * first, later processes too stay hidden until the user ticks them. Absent: every process.
   */
  onlyPids?: string[];
}

/** Live update: items at stream indexes from..from+items.length-1 (normally from = the previous total). */
export type AppendMessage = {
  [S in StreamName]: { type: 'append'; stream: S; from: number; items: StreamItems[S][] };
}[StreamName];

/** Answer to `requestRange` (same requestId): items at from..from+items.length-1, and the current total. */
export type PageMessage = {
  [S in StreamName]: { type: 'page'; stream: S; requestId: number; from: number; items: StreamItems[S][]; total: number };
}[StreamName];

/** The Debug pane's cursor moved (or null: no cursor). Never answered; the view only highlights. */
export interface CursorMessage {
  type: 'cursor';
  seq: number | null;
}

/** Recording started/stopped (program exited, emergency stop): the view shows whether it is live. */
export interface LiveMessage {
  type: 'live';
  live: boolean;
}

/** The host could not do what the view asked (e.g. requestRange on an evicted range). */
export interface HostErrorMessage {
  type: 'error';
  message: string;
  requestId?: number;
}

export type HostToView =
  | InitStateHistory
  | InitMessageSequence
  | AppendMessage
  | PageMessage
  | CursorMessage
  | LiveMessage
  | HostErrorMessage;

/** The view's script runs and listens: the host sends (or re-sends) `init`. Also sent after a webview reload. */
export interface ReadyMessage {
  type: 'ready';
  view: ViewName;
}

/** The user picked a version/message: move the Debug pane's cursor to this event (stopped, reason "step"). */
export interface MoveCursorMessage {
  type: 'moveCursor';
  seq: number;
  /** The process of that event, so the host can pick the thread without a lookup. */
  pid?: string;
}

/** Ask for stream items at indexes from..to-1; answered by one `page` with the same requestId. */
export interface RequestRangeMessage {
  type: 'requestRange';
  stream: StreamName;
  requestId: number;
  from: number;
  to: number;
}

/** The user exported the visible diagram: the host offers to save it (or copies it) — the view cannot write files. */
export interface ExportMessage {
  type: 'export';
  format: 'mermaid' | 'svg';
  content: string;
  /** File name proposal, e.g. `sequence.mmd`. */
  suggestedName: string;
}

export type ViewToHost = ReadyMessage | MoveCursorMessage | RequestRangeMessage | ExportMessage;

// The custom DAP requests and events behind the views (elixirScope.stateVersions, elixirScope.messages,
// elixirScope.gotoEvent, elixirScope.cursor, elixirScope.streamGrew) are defined in ./customDap.ts.

const HOST_TYPES: ReadonlySet<string> = new Set(['init', 'append', 'page', 'cursor', 'live', 'error']);
const VIEW_TYPES: ReadonlySet<string> = new Set(['ready', 'moveCursor', 'requestRange', 'export']);

/** Cheap shape check at the boundary: other extensions or the webview runtime may post unrelated messages. */
export function isHostToView(data: unknown): data is HostToView {
  return typeof data === 'object' && data !== null && HOST_TYPES.has((data as { type?: unknown }).type as string);
}

export function isViewToHost(data: unknown): data is ViewToHost {
  return typeof data === 'object' && data !== null && VIEW_TYPES.has((data as { type?: unknown }).type as string);
}
