// Where to show a stop that is not inside a recorded call (a GenServer state version, a message
// received or sent at the process's top level): the callback that produced the state or will handle
// the message, so the editor opens its source and VS Code shows the scopes. Without a source location
// VS Code does not select the frame at all.
import type { DebugRuntime } from '../runtime/debugRuntime';
import { Kind } from '../store';

export interface CallbackLocation {
  module: string;
  function: string;
  arity: number;
}

const CALLBACK_ARITY: Record<string, number> = { init: 1, initial: 1, handle_call: 3, handle_cast: 2, handle_info: 2, handle_continue: 2 };

export function callbackLocation(runtime: DebugRuntime, pid: number): CallbackLocation | undefined {
  const proc = runtime.nav.threads().find((p) => p.id === pid);
  const module = proc?.callbackModule || proc?.initialCall.split(':')[0];
  if (!module) return undefined;
  const g = runtime.nav.positionOf(pid);
  const kind = g >= 0 ? runtime.store.kind(g) : -1;
  const body = g >= 0 ? runtime.store.body(g) : undefined;
  if (kind === Kind.STATE && body?.state?.callback) {
    const cb = body.state.callback === 'initial' ? 'init' : body.state.callback;
    return { module, function: cb, arity: CALLBACK_ARITY[cb] ?? 1 };
  }
  if (kind === Kind.RECEIVE && proc?.callbackModule) {
    const tag = body?.receive?.message?.tuple?.items?.[0]?.atom;
    if (tag === '$gen_call') return { module, function: 'handle_call', arity: 3 };
    if (tag === '$gen_cast') return { module, function: 'handle_cast', arity: 2 };
    return { module, function: 'handle_info', arity: 2 };
  }
  // Anything else at the top level (a reply sent after the callback returned, a spawn): the callback
  // of the state version current there.
  const cb = runtime.nav.state(pid)?.callback;
  const name = cb && cb !== 'initial' ? cb : 'init';
  return { module, function: name, arity: CALLBACK_ARITY[name] ?? 1 };
}
