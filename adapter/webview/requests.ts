// The custom DAP requests and events behind the webviews (names and bodies in adapter/protocol/customDap.ts):
// pages of a GenServer's state versions and of the recording's messages, the Debug pane's cursor and moving
// it (the live notifications are ./streamNotifications). DAP-agnostic: the session calls handleWebviewRequest
// from customRequest and answers with what it returns.
import {
  CustomRequests,
  type CursorResponseBody,
  type GotoEventResponseBody,
  type MessagesResponseBody,
  type StateProcessesResponseBody,
  type StateVersionsResponseBody,
} from '../protocol/customDap';
import { WEBVIEW_PAGE_SIZE, type MessageEvent, type StateVersion } from '../protocol/webviewData';
import type { DebugTarget } from '../runtime/runtime';
import { streamIndexOf, type RecordingStore, type StreamIndex, type StreamList, type VersionStream } from '../store';
import { messageEvent } from './messageEvents';
import { stateVersion } from './stateVersions';

/** What the requests need of the runtime (a DebugTarget, or a store and navigator in tests). */
export type WebviewRuntime = Pick<DebugTarget, 'store' | 'nav' | 'programRunning'>;

export interface WebviewRequestResult {
  /** False: not a webview request (the session handles or rejects it). */
  handled: boolean;
  body?: unknown;
  /** A user-readable failure (bad arguments, evicted event): send an error response with it. */
  error?: string;
}

const WEBVIEW_COMMANDS: ReadonlySet<string> = new Set([
  CustomRequests.stateVersions,
  CustomRequests.messages,
  CustomRequests.stateProcesses,
  CustomRequests.gotoEvent,
  CustomRequests.cursor,
]);

/** Whether `command` is one of the webview requests handleWebviewRequest answers. */
export function isWebviewRequest(command: string): boolean {
  return WEBVIEW_COMMANDS.has(command);
}

/**
 * Answers the webview custom requests from the recording store. Synchronous; `gotoEvent` moves the cursor,
 * whose 'moved' event the session already turns into `stopped` (reason goto).
 */
export function handleWebviewRequest(command: string, args: unknown, runtime: WebviewRuntime): WebviewRequestResult {
  if (!WEBVIEW_COMMANDS.has(command)) return { handled: false };
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  try {
    switch (command) {
      case CustomRequests.stateVersions:
        return { handled: true, body: stateVersions(runtime, a) };
      case CustomRequests.messages:
        return { handled: true, body: messages(runtime, a) };
      case CustomRequests.stateProcesses:
        return { handled: true, body: stateProcesses(runtime) };
      case CustomRequests.gotoEvent: {
        const seq = a.seq;
        if (typeof seq !== 'number' || !Number.isInteger(seq)) return { handled: true, error: `${command}: "seq" must be an event number` };
        const moved = runtime.nav.goto(seq) !== undefined;
        const body: GotoEventResponseBody = { moved };
        return moved ? { handled: true, body } : { handled: true, body, error: `event ${seq} is no longer in the recording (overwritten by newer events)` };
      }
      case CustomRequests.cursor:
        return { handled: true, body: cursor(runtime) };
    }
  } catch (err) {
    return { handled: true, error: `${command}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { handled: false };
}

function range(a: Record<string, unknown>): { from: number; count: number } {
  const from = typeof a.from === 'number' && Number.isFinite(a.from) ? Math.max(0, Math.floor(a.from)) : 0;
  const count = typeof a.count === 'number' && Number.isFinite(a.count) ? Math.max(0, Math.floor(a.count)) : WEBVIEW_PAGE_SIZE;
  return { from, count: Math.min(count, WEBVIEW_PAGE_SIZE) };
}

/** Items [from, from+count) of a stream; evicted indexes are skipped, so a wholly evicted range is an empty page. */
function page<T>(list: StreamList, from: number, count: number, item: (g: number) => T | undefined): { from: number; items: T[] } {
  const items: T[] = [];
  const start = Math.max(from, list.oldest);
  const end = Math.min(from + count, list.total);
  for (let i = start; i < end; i++) {
    const v = item(list.at(i));
    if (v !== undefined) items.push(v);
  }
  return { from: items.length > 0 ? start : from, items };
}

function indexOf(runtime: WebviewRuntime): StreamIndex {
  const ix = streamIndexOf(runtime.store);
  ix.trim();
  return ix;
}

function stateVersions(runtime: WebviewRuntime, a: Record<string, unknown>): StateVersionsResponseBody {
  const ix = indexOf(runtime);
  const { from, count } = range(a);
  const live = runtime.programRunning;
  const vs = findStream(ix, runtime.store, a);
  if (!vs) {
    const p = typeof a.threadId === 'number' ? runtime.store.interner.procs[a.threadId - 1] : undefined;
    const title = typeof a.pid === 'string' ? a.pid : p && !p.released ? p.name : '';
    return { key: '', title, total: 0, from, items: [], oldest: 0, live };
  }
  const store = runtime.store;
  const pg = page<StateVersion>(vs.list, from, count, (g) => stateVersion(store, g));
  return { key: vs.key, title: vs.title, total: vs.list.total, oldest: vs.list.oldest, live, ...pg };
}

function findStream(ix: StreamIndex, store: RecordingStore, a: Record<string, unknown>): VersionStream | undefined {
  if (typeof a.key === 'string') return ix.versions.get(a.key);
  let pid: string | undefined;
  if (typeof a.pid === 'string') pid = a.pid;
  else if (typeof a.threadId === 'number') {
    const p = store.interner.procs[a.threadId - 1];
    if (p && !p.released) pid = p.pid;
  }
  const key = pid === undefined ? undefined : ix.keyOf(pid);
  return key === undefined ? undefined : ix.versions.get(key);
}

function messages(runtime: WebviewRuntime, a: Record<string, unknown>): MessagesResponseBody {
  const ix = indexOf(runtime);
  const { from, count } = range(a);
  const store = runtime.store;
  const pg = page<MessageEvent>(ix.messages, from, count, (g) => messageEvent(store, g, ix.names));
  return { total: ix.messages.total, oldest: ix.messages.oldest, live: runtime.programRunning, ...pg };
}

function stateProcesses(runtime: WebviewRuntime): StateProcessesResponseBody {
  const ix = indexOf(runtime);
  const store = runtime.store;
  const processes: StateProcessesResponseBody['processes'] = [];
  for (const vs of ix.versions.values()) {
    if (vs.list.total === vs.list.oldest) continue; // nothing left to show
    const pid = vs.pids[vs.pids.length - 1];
    const id = store.pidId(pid);
    processes.push({ key: vs.key, title: vs.title, pid, threadId: id === undefined ? 0 : id + 1, total: vs.list.total });
  }
  return { processes };
}

function cursor(runtime: WebviewRuntime): CursorResponseBody {
  const nav = runtime.nav;
  if (nav.cursor < 0 || !runtime.store.has(nav.cursor)) return { seq: null, pid: null, threadId: null };
  return { seq: nav.cursor, pid: runtime.store.process(nav.pid).pid, threadId: nav.pid + 1 };
}
