// Where the editor shows a stack frame: a recorded call at the clause that ran (not the function's
// first clause); a stop that is not inside a recorded call (a GenServer state version, a message
// received or sent at the process's top level) at the clause of the callback that produced the
// state or handles the message, so the editor opens its source and VS Code shows the scopes
// (without a source location VS Code does not select the frame at all); an untraced frame from a
// hit's captured stack at its own file and line when the file exists.
import * as fs from 'fs';
import * as path from 'path';
import type { DebugTarget } from '../runtime/runtime';
import type { ModuleSource } from '../runtime/moduleCatalog';
import { Kind, formatMfa, type FrameInfo, type Mfa, type RecordingStore } from '../store';
import { eventSummary } from './eventSummary';
import type { SourceClauses } from './clauses';

export interface CallbackLocation {
  module: string;
  function: string;
  arity: number;
  /** The callback's CALL event that the position belongs to (-1 = not recorded). */
  call: number;
}

const CALLBACK_ARITY: Record<string, number> = { init: 1, initial: 1, handle_call: 3, handle_cast: 2, handle_info: 2, handle_continue: 2 };
/** How far to look for the callback call of a top-level event: a callback's own events lie between. */
const SCAN_LIMIT = 10_000;

export function callbackLocation(runtime: DebugTarget, pid: number): CallbackLocation | undefined {
  const proc = runtime.nav.threads().find((p) => p.id === pid);
  const module = proc?.callbackModule || proc?.initialCall.split(':')[0];
  if (!module) return undefined;
  const store = runtime.store;
  const g = runtime.nav.positionOf(pid);
  const kind = g >= 0 ? store.kind(g) : -1;
  const body = g >= 0 ? store.body(g) : undefined;
  const at = (fn: string, call: number): CallbackLocation => ({ module, function: fn, arity: CALLBACK_ARITY[fn] ?? 1, call });
  if (kind === Kind.STATE && body?.state?.callback) {
    const cb = body.state.callback === 'initial' ? 'init' : body.state.callback;
    return at(cb, callbackCall(store, pid, g, -1, module, cb));
  }
  if (kind === Kind.RECEIVE && proc?.callbackModule) {
    const tag = body?.receive?.message?.tuple?.items?.[0]?.atom;
    const cb = tag === '$gen_call' ? 'handle_call' : tag === '$gen_cast' ? 'handle_cast' : 'handle_info';
    // The callback runs after the receive: its CALL follows (before the state version it produces).
    return at(cb, callbackCall(store, pid, g, +1, module, cb));
  }
  // Anything else at the top level (a reply sent after the callback returned, a spawn): the callback
  // of the state version current there.
  const state = runtime.nav.state(pid);
  const cb = state?.callback;
  const name = cb && cb !== 'initial' ? cb : 'init';
  return at(name, state ? callbackCall(store, pid, state.index, -1, module, name) : -1);
}

/**
 * The depth-1 CALL of `module.fn` nearest to g in direction `dir` within the process's steps, not
 * crossing a state version (another callback's). -1 when there is none.
 */
function callbackCall(store: RecordingStore, pid: number, g: number, dir: 1 | -1, module: string, fn: string): number {
  const steps = store.process(pid).steps;
  const from = dir > 0 ? steps.lowerBound(g + 1) : steps.lowerBound(g) - 1;
  for (let i = from, n = 0; i >= steps.start && i < steps.end && n < SCAN_LIMIT; i += dir, n++) {
    const e = steps.at(i);
    const kind = store.kind(e);
    if (kind === Kind.STATE) return -1;
    if (kind !== Kind.CALL || store.depth(e) !== 1) continue;
    const m = store.interner.mfas[store.cols.mfa[store.slot(e)]];
    return m && m.module === module && m.function === fn ? e : -1;
  }
  return -1;
}

export interface FrameLocation {
  name: string;
  /** Absolute source path; '' = none. */
  file: string;
  line: number;
  /** Untraced frame, or no source: shown deemphasized. */
  subtle: boolean;
}

/** Where frame `f` of process `pid` is shown (`top`: the frame at the position). */
export async function locateFrame(runtime: DebugTarget, clauses: SourceClauses, pid: number, f: FrameInfo, top: boolean): Promise<FrameLocation> {
  const store = runtime.store;
  if (f.untraced && f.mfa) {
    const info = await runtime.modules.describe(f.mfa.module);
    const file = [info?.source ?? '', f.file].find((p) => p && path.isAbsolute(p) && fs.existsSync(p)) ?? '';
    const line = f.line || (file ? functionLine(info, f.mfa) : 0);
    return { name: formatMfa(f.mfa), file, line, subtle: true };
  }
  // Outside any recorded call (a state version, a message): point at the callback involved.
  const cb = !f.mfa && top ? callbackLocation(runtime, pid) : undefined;
  const where: Mfa | undefined = f.mfa ?? cb;
  const info = where ? await runtime.modules.describe(where.module) : undefined;
  if (where && info?.source) clauses.sources.set(where.module, info.source);
  const file = f.file || info?.source || '';
  const call = f.mfa ? f.call : cb?.call ?? -1;
  let line = f.line;
  if (!line && where && call >= 0) line = clauses.clauseOf(store, call, where, info?.source ?? '')?.line ?? 0;
  if (!line && where) line = functionLine(info, where);
  let name = f.evicted ? `${f.name} (evicted)` : f.name;
  if (!f.mfa && cb) name = `${formatMfa(cb)} · ${eventSummary(store, runtime.nav.view, runtime.nav.positionOf(pid))}`;
  return { name, file, line, subtle: !file };
}

function functionLine(info: ModuleSource | undefined, m: Mfa): number {
  return info?.functionLines.get(`${m.function}/${m.arity}`) ?? 0;
}
