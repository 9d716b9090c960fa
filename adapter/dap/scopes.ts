// The scopes of a stack frame in the Debug pane (Arguments, Locals, Return value, Exception, GenServer
// State, Message, Process), and what an expression at that frame is evaluated with.
import { Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { elixirscope } from '../gen/wire';
import type { DebugTarget } from '../runtime/runtime';
import type { FrameInfo, Navigator } from '../store';
import { shownVersion } from '../webview/stateVersions';
import type { SourceClauses } from './clauses';
import { stateOwner } from './eventSummary';
import { scopeBindings, type ScopeNames, type VariableTable } from './variables';

type Term = elixirscope.Term.$Properties;

/** A frame of a process's stack as the client got it (a DAP frame id stands for one). */
export interface FrameRef {
  pid: number;
  frame: FrameInfo;
  top: boolean;
}

/** Arguments, Locals, Return value, GenServer (or gen_statem) State, Message, Process. */
export function frameScopes(target: DebugTarget, ref: FrameRef, vars: VariableTable, clauses: SourceClauses): DebugProtocol.Scope[] {
  const nav = target.nav;
  const syntax = ref.frame.file.endsWith('.erl') ? 'erlang' : 'elixir';
  const fs = nav.frameScopes(ref.frame);
  const scopes: DebugProtocol.Scope[] = [];
  const args0 = fs.arguments;
  if (args0) {
    if (args0.unavailable) scopes.push(new Scope('Arguments (not retained)', vars.add({ kind: 'text', entries: [{ name: 'why', value: 'the call event was evicted from the recording or too large to keep' }] }), false));
    else if (args0.bindings.length > 0) scopes.push(new Scope(`Arguments (clause ${args0.clause})`, vars.bindings(args0.bindings, syntax), false));
    else {
      // Not a hit: the names of the clause that ran, read from the source's clause heads.
      const m = ref.frame.mfa && ref.frame.call >= 0 ? clauses.clauseOf(target.store, ref.frame.call, ref.frame.mfa) : undefined;
      if (m && m.bindings.length > 0) scopes.push(new Scope(`Arguments (clause ${m.clause})`, vars.bindings(m.bindings, syntax), false));
      else scopes.push(new Scope('Arguments', vars.add({ kind: 'named', syntax, entries: args0.args.map((a, i) => ({ name: `arg${i + 1}`, term: a })) }), false));
    }
  }
  if (fs.locals.length > 0) scopes.push(new Scope('Locals', vars.bindings(fs.locals, syntax), false));
  if (ref.top) {
    const at = nav.scopes(ref.pid);
    if (at?.returnValue) scopes.push(new Scope('Return value', vars.add({ kind: 'named', syntax, entries: [{ name: 'return', term: at.returnValue }] }), false));
    if (at?.exception) {
      const ex = at.exception;
      scopes.push(new Scope('Exception', vars.add({ kind: 'named', syntax, entries: [{ name: 'class', term: { atom: ex.class } }, { name: 'reason', term: ex.reason ?? {} }, ...(ex.stacktrace ? [{ name: 'stacktrace', term: ex.stacktrace }] : [])] }), false));
    }
    const p = nav.threads().find((t) => t.id === ref.pid);
    const { names } = evaluationContext(nav, ref); // what watches of the State and Message scopes evaluate as
    const state = nav.state(ref.pid);
    if (state?.state) {
      // A gen_statem's versions are {state name, data}; its callback is the state function (or handle_event).
      scopes.push(new Scope(`${stateOwner(p?.behaviour)} State (v${shownVersion(state.version)}, after ${state.callback})`, vars.add({ kind: 'named', syntax, entries: [{ name: 'state', term: state.state, evaluateName: names.state }], origin: { pid: ref.pid, root: names.state } }), false));
    }
    const msg = nav.message(ref.pid);
    if (msg?.message) scopes.push(new Scope(`Message (${msg.callback || msg.source})`, vars.add({ kind: 'named', syntax, entries: [{ name: 'message', term: msg.message, evaluateName: names.message }] }), false));
    if (p) {
      const entries = [
        { name: 'pid', value: p.pid },
        ...(p.registeredName ? [{ name: 'registered name', value: p.registeredName }] : []),
        ...(p.viaName ? [{ name: 'name', value: p.viaName }] : []),
        ...(p.callbackModule ? [{ name: 'callback module', value: p.callbackModule.replace(/^Elixir\./, '') }] : []),
        ...(p.behaviour ? [{ name: 'behaviour', value: p.behaviour }] : []),
        ...(p.initialCall ? [{ name: 'initial call', value: p.initialCall }] : []),
        ...(p.parent ? [{ name: 'spawned by', value: p.parent }] : []),
        ...(p.links.size ? [{ name: 'links', value: [...p.links].join(', ') }] : []),
      ];
      scopes.push(new Scope('Process', vars.add({ kind: 'text', entries }), true));
    }
  }
  return scopes;
}

/**
 * What an expression at this frame is evaluated with: the frame's captured bindings, plus the State
 * and Message scopes' values under the names their entries show as evaluateName (scopeBindings), and
 * the events the bindings were captured at (the agent may still hold their exact terms).
 */
export function evaluationContext(nav: Navigator, ref: FrameRef): { bindings: Map<string, Term>; names: ScopeNames; events: number[] } {
  const fs = nav.frameScopes(ref.frame);
  const bindings = new Map<string, Term>();
  for (const b of fs.arguments?.bindings ?? []) if (b.name && b.value) bindings.set(b.name, b.value);
  for (const b of fs.locals) if (b.name && b.value) bindings.set(b.name, b.value);
  const events = [ref.frame.call, ref.frame.lineEvent].filter((g) => g >= 0).map((g) => nav.view.event(g)?.seq ?? 0).filter((s) => s > 0);
  if (!ref.top) return { bindings, names: {}, events };
  const { names, extra } = scopeBindings(bindings, { state: nav.state(ref.pid)?.state ?? undefined, message: nav.message(ref.pid)?.message ?? undefined });
  for (const [k, v] of extra) bindings.set(k, v);
  return { bindings, names, events };
}
