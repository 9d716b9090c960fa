// STATE events of the recording as the webviews' StateVersion items, numbered as users see them
// (the Debug pane's State scope uses the same numbers).
import type { StateCallback, StateVersion } from '../protocol/webviewData';
import { Kind, nameOfPid, type RecordingStore } from '../store';
import { NOT_KEPT, termView } from '../terms/termView';
import { versionGap } from './gapMarkers';

/**
 * The version number users see, in the Debug pane and in the views alike: the agent numbers a
 * process's versions from 1, users from 0 (v0 = the state init/1 returned, before any message).
 */
export function shownVersion(agentVersion: number): number {
  return Math.max(0, agentVersion - 1);
}

const CALLBACKS: ReadonlySet<string> = new Set<StateCallback>(['init', 'handle_call', 'handle_cast', 'handle_info', 'handle_continue', 'initial']);

/** The StateVersion of STATE event g, or undefined when g is not a retained STATE event. */
export function stateVersion(store: RecordingStore, g: number): StateVersion | undefined {
  if (!store.has(g) || store.kind(g) !== Kind.STATE) return undefined;
  const s = store.slot(g);
  const p = store.process(store.cols.pid[s]);
  const b = store.body(g)?.state;
  const callback = (b?.callback && CALLBACKS.has(b.callback) ? b.callback : b ? 'handle_info' : 'initial') as StateCallback;
  const v: StateVersion = {
    seq: g,
    time: store.cols.mono[s],
    pid: p.pid,
    process: p.name,
    version: shownVersion(b?.version ?? 1),
    callback,
    state: b ? termView(b.state) : NOT_KEPT('state'),
  };
  if (b?.message && callback !== 'init' && callback !== 'initial') v.message = termView(b.message);
  if (b?.from) v.from = nameOfPid(store, b.from);
  const prev = p.states.prev(g);
  const gap = prev >= 0 && store.has(prev) ? versionGap(store, p, store.cols.mono[store.slot(prev)], v.time) : undefined;
  if (gap) v.gapBefore = gap;
  return v;
}
