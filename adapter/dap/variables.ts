// DAP variables over captured terms: scopes and terms become variable containers with handles;
// maps, structs, lists and tuples expand lazily and page; cuts made by the agent stay visible.
import { Handles, Variable } from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import type { elixirscope } from '../gen/wire';
import { elixirAtom, formatTerm, printableUtf8, type Syntax } from '../terms/format';
import { sameTerm } from '../terms/exprValues';

type Term = elixirscope.Term.$Properties;
type Binding = elixirscope.Binding.$Properties;

const PREVIEW = 300;

/** Containers inside a GenServer State scope know whose state they show, so their values can be watched. */
export interface StateOrigin {
  /** Global process id. */
  pid: number;
  /** The name the state evaluates under at this frame (see scopeBindings); data breakpoints use `state`. */
  root?: string;
}

export type Container =
  | { kind: 'named'; entries: Array<{ name: string; term: Term; evaluateName?: string }>; syntax: Syntax; origin?: StateOrigin }
  | { kind: 'term'; term: Term; path?: string; syntax: Syntax; origin?: StateOrigin }
  | { kind: 'text'; entries: Array<{ name: string; value: string }> };

export class VariableTable {
  private readonly handles = new Handles<Container>();

  /** Forgets every handle (the cursor moved: old references must not show new data). */
  reset(): void {
    this.handles.reset();
  }

  add(c: Container): number {
    return this.handles.create(c);
  }

  bindings(bindings: Binding[], syntax: Syntax): number {
    return this.add({ kind: 'named', syntax, entries: bindings.map((b) => ({ name: b.name ?? '?', term: b.value ?? {}, evaluateName: b.name ?? undefined })) });
  }

  /** Children of a container, `start`/`count` paging indexed collections. */
  variables(ref: number, start = 0, count = 0): DebugProtocol.Variable[] {
    const c = this.handles.get(ref);
    if (!c) return [];
    if (c.kind === 'text') return c.entries.map((e) => new Variable(e.name, e.value));
    if (c.kind === 'named') return c.entries.map((e) => this.variable(e.name, e.term, c.syntax, e.evaluateName, c.origin));
    const all = children(c.term, c.path, c.syntax);
    const page = count > 0 ? all.slice(start, start + count) : all.slice(start);
    return page.map((ch) => (ch.marker ? new Variable(ch.name, ch.marker) : this.variable(ch.name, ch.term!, c.syntax, ch.evaluateName, c.origin)));
  }

  /**
   * What a data breakpoint on child `name` of container `ref` would watch: the process whose GenServer
   * state it is and the child's path from `state`; undefined when it is not inside a state scope or
   * has no path (list elements past the head, improper tails, keys that are not atoms).
   */
  watchable(ref: number, name: string): { pid: number; path: string } | undefined {
    const c = this.handles.get(ref);
    if (!c || c.kind === 'text' || !c.origin) return undefined;
    const path = c.kind === 'named'
      ? c.entries.find((e) => e.name === name)?.evaluateName
      : children(c.term, c.path, c.syntax).find((ch) => ch.name === name)?.evaluateName;
    // Value watches resolve field, key and elem paths only (terms/pathEval), not Enum.at.
    if (!path || path.includes('Enum.at(')) return undefined;
    const root = c.origin.root;
    return { pid: c.origin.pid, path: root && root !== 'state' ? path.replace(new RegExp(`\\b${root}\\b`), 'state') : path };
  }

  /** One variable: its preview, and a handle when it has children. */
  variable(name: string, term: Term, syntax: Syntax, evaluateName?: string, origin?: StateOrigin): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name, value: formatTerm(term, { syntax, maxLength: PREVIEW }), variablesReference: 0, evaluateName };
    const n = childCount(term);
    if (n > 0) {
      v.variablesReference = this.add({ kind: 'term', term, path: evaluateName, syntax, origin });
      if (term.list || term.tuple) v.indexedVariables = n;
      else v.namedVariables = n;
    }
    v.type = typeName(term);
    return v;
  }
}

interface Child {
  name: string;
  term?: Term;
  marker?: string;
  evaluateName?: string;
}

function childCount(t: Term): number {
  if (t.list) return (t.list.items?.length ?? 0) + (t.list.tail ? 1 : 0) + (t.list.omitted ? 1 : 0);
  if (t.tuple) return (t.tuple.items?.length ?? 0) + (t.tuple.omitted ? 1 : 0);
  if (t.map) return (t.map.entries?.length ?? 0) + (t.map.omitted ? 1 : 0) - (isStruct(t) ? 1 : 0);
  return 0;
}

function isStruct(t: Term): boolean {
  return !!t.map?.entries?.some((e) => e.key?.atom === '__struct__' && e.value?.atom);
}

function children(t: Term, path: string | undefined, syntax: Syntax): Child[] {
  const out: Child[] = [];
  if (t.list) {
    (t.list.items ?? []).forEach((it, i) => {
      const kw = it.tuple?.items?.length === 2 && it.tuple.items[0].atom != null;
      out.push(kw && syntax === 'elixir'
        ? { name: it.tuple!.items![0].atom!, term: it.tuple!.items![1], evaluateName: path ? `${path}[${elixirAtom(it.tuple!.items![0].atom!)}]` : undefined }
        : { name: `[${i}]`, term: it, evaluateName: path ? (i === 0 ? `hd(${path})` : `Enum.at(${path}, ${i})`) : undefined });
    });
    if (t.list.tail) out.push({ name: '| tail', term: t.list.tail });
    if (t.list.omitted) out.push({ name: '…', marker: `${t.list.omitted} more elements not captured` });
  } else if (t.tuple) {
    (t.tuple.items ?? []).forEach((it, i) => out.push({ name: `{${i}}`, term: it, evaluateName: path ? `elem(${path}, ${i})` : undefined }));
    if (t.tuple.omitted) out.push({ name: '…', marker: `${t.tuple.omitted} more elements not captured` });
  } else if (t.map) {
    for (const e of t.map.entries ?? []) {
      if (e.key?.atom === '__struct__' && isStruct(t)) continue;
      const key = e.key ?? {};
      const name = key.atom != null ? (syntax === 'elixir' ? key.atom : formatTerm(key, { syntax })) : formatTerm(key, { syntax, maxLength: 80 });
      const evaluateName = path ? keyPath(path, key, isStruct(t)) : undefined;
      out.push({ name, term: e.value ?? {}, evaluateName });
    }
    if (t.map.omitted) out.push({ name: '…', marker: `${t.map.omitted} more entries not captured` });
  }
  return out;
}

/**
 * An expression for `path`'s value under `key`: `.field` for plain atom keys, else `[key]` (a struct,
 * which has no Access, gets Map.get); undefined for keys without a literal form (tuples, pids…).
 */
function keyPath(path: string, key: Term, struct: boolean): string | undefined {
  if (key.atom != null && /^[a-z_][a-zA-Z0-9_]*[?!]?$/.test(key.atom) && !['true', 'false', 'nil', 'and', 'or', 'not', 'in', 'when', 'do', 'end', 'fn'].includes(key.atom)) return `${path}.${key.atom}`;
  let lit: string | undefined;
  if (key.atom != null) lit = elixirAtom(key.atom);
  else if (key.int != null) lit = String(key.int);
  else if (key.binary && !key.binary.omittedBytes) {
    const s = printableUtf8(key.binary.data ?? new Uint8Array());
    if (s !== undefined) lit = JSON.stringify(s).replace(/#\{/g, '\\#{');
  }
  if (lit === undefined) return undefined;
  return struct ? `Map.get(${path}, ${lit})` : `${path}[${lit}]`;
}

/** Names the State and Message scopes' values evaluate under at a frame with these bindings. */
export interface ScopeNames {
  state?: string;
  message?: string;
}

/**
 * Watches, hovers and the Debug Console must see what the State and Message scopes show. Their
 * entries evaluate as `state` / `message` unless the frame binds that name to another value (a helper
 * called with an intermediate state, a gen_statem's `data`), then as `scope_state` / `scope_message`.
 * Returns the names and the extra bindings that make them resolve.
 */
export function scopeBindings(frame: ReadonlyMap<string, Term>, scopes: { state?: Term; message?: Term }): { names: ScopeNames; extra: Map<string, Term> } {
  const names: ScopeNames = {};
  const extra = new Map<string, Term>();
  for (const which of ['state', 'message'] as const) {
    const term = scopes[which];
    if (!term) continue;
    let name: string = which;
    let n = 1;
    while (frame.has(name) && !same(frame.get(name)!, term)) name = `scope_${which}${n++ > 1 ? n - 1 : ''}`;
    names[which] = name;
    if (!frame.has(name)) extra.set(name, term);
  }
  return { names, extra };
}

function same(a: Term, b: Term): boolean {
  try {
    return sameTerm(a, b, true);
  } catch {
    return false; // a cut part: not known to be the same value
  }
}

function typeName(t: Term): string {
  if (t.map) {
    const s = t.map.entries?.find((e) => e.key?.atom === '__struct__')?.value?.atom;
    return s ? elixirAtom(s) : 'map';
  }
  if (t.list) return 'list';
  if (t.tuple) return 'tuple';
  if (t.binary) return 'binary';
  if (t.atom != null) return 'atom';
  if (t.int != null || t.bigInt) return 'integer';
  if (t.float != null) return 'float';
  if (t.pid) return 'pid';
  if (t.truncated) return 'not captured';
  return '';
}
