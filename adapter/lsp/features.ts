// The language features over the recording, as plain functions of (document, position) → LSP data:
// hover, code lenses, inlay hints. No sockets here (server.ts does the protocol), so they are tested
// directly and benchmarked on big recordings.
import type { CodeLens, Hover, InlayHint, Range } from 'vscode-languageserver-protocol';
import type { elixirscope } from '../gen/wire';
import { LanguageServerCommands } from '../protocol/customDap';
import { formatMfa, type Navigator, type RecordingStore } from '../store';
import { formatTerm } from '../terms/format';
import { evaluatePath, PathError } from '../terms/pathEval';
import { functionsOf, type SourceFunction } from './clauseHeads';
import { evalGuard } from './clauseGuards';
import { matchClause } from './clausePatterns';
import { erlangHoverTargetAt, erlangIdentifiersOn, hoverTargetAt, identifiersOn } from './hoverTargets';
import type { ModuleOutlines, OutlineFunction } from './outlines';
import type { RecordingIndex } from './recordingIndex';

type Term = elixirscope.Term.$Properties;

/** An open document as the features read it. */
export interface DocumentView {
  /** Absolute file path. */
  file: string;
  lines: readonly string[];
  /** Cached parse of the clause heads (by name/arity). */
  heads?: Map<string, SourceFunction>;
}

export interface FeatureContext {
  store: RecordingStore;
  nav: Navigator;
  index: RecordingIndex;
  outlines: ModuleOutlines;
}

const HOVER_CALLS = 3;
const VALUE_MAX = 120;
const HINT_VALUE_MAX = 60;
const LENS_VALUE_MAX = 80;
const FRAME_LINE_LIMIT = 64;

function isErlang(doc: DocumentView): boolean {
  return /\.[eh]rl$/.test(doc.file);
}

function headsOf(doc: DocumentView): Map<string, SourceFunction> {
  // Erlang clause heads are not read: Erlang frames get names from the agent's bindings and line probes only.
  if (!doc.heads) doc.heads = isErlang(doc) ? new Map() : new Map(functionsOf(doc.lines).map((f) => [`${f.name}/${f.arity}`, f]));
  return doc.heads;
}

/** The clause (0-based) whose head is at or above 0-based `line` within function `fn`, if the source has it. */
function clauseAt(src: SourceFunction | undefined, line: number): number {
  if (!src) return -1;
  let k = -1;
  for (let i = 0; i < src.clauses.length; i++) if (src.clauses[i].line <= line) k = i;
  return k;
}

/**
 * Named bindings of a recorded CALL: the agent's (clause bindings, at breakpoints) or else the
 * arguments matched against the source's clause heads (`want` = only that 0-based clause). Undefined
 * when the call did not go through `want` or nothing can be named.
 */
export function callBindings(store: RecordingStore, g: number, module: string, src: SourceFunction | undefined, want = -1): { bindings: Map<string, Term>; clause: number } | undefined {
  const call = store.body(g)?.call;
  if (!call) return undefined;
  const clause = (call.clause ?? 0) - 1;
  if (want >= 0 && clause >= 0 && clause !== want) return undefined;
  if (call.bindings && call.bindings.length > 0) {
    const m = new Map<string, Term>();
    for (const b of call.bindings) if (b.name && b.value) m.set(b.name, b.value);
    return { bindings: m, clause };
  }
  if (!src) return undefined;
  const args = call.args ?? [];
  // The clause that ran: the agent's answer, else the first whose pattern matches and whose guard is not false.
  const order = clause >= 0 ? [clause] : src.clauses.map((_, i) => i);
  for (const i of order) {
    const c = src.clauses[i];
    if (!c) continue;
    const m = matchClause(c.params, args, module);
    // A guard that is certainly false means another clause ran; one we cannot decide is given the benefit of the doubt.
    if (m && (!c.guard || evalGuard(c.guard, m, module) !== false)) return want >= 0 && i !== want ? undefined : { bindings: m, clause: i };
  }
  return undefined;
}

function lineBody(store: RecordingStore, g: number): elixirscope.LineEvent.$Properties | undefined {
  return store.body(g)?.line ?? undefined;
}

function bindingMap(bs: readonly elixirscope.Binding.$Properties[] | null | undefined, into = new Map<string, Term>()): Map<string, Term> {
  for (const b of bs ?? []) if (b.name && b.value) into.set(b.name, b.value);
  return into;
}

function resolve(expression: string, bindings: ReadonlyMap<string, Term>): Term | undefined {
  try {
    return evaluatePath(expression, bindings);
  } catch (err) {
    if (err instanceof PathError) return undefined;
    throw err;
  }
}

function code(t: Term, max = VALUE_MAX, erlang = false): string {
  return formatTerm(t, { maxLength: max, syntax: erlang ? 'erlang' : 'elixir' });
}

function fence(text: string, erlang = false): string {
  return '```' + (erlang ? 'erlang' : 'elixir') + '\n' + text + '\n```';
}

// ───────────── hover ─────────────

export function hover(ctx: FeatureContext, doc: DocumentView, line: number, character: number): Hover | null {
  const text = doc.lines[line];
  if (text === undefined) return null;
  const target = isErlang(doc) ? erlangHoverTargetAt(text, character) : hoverTargetAt(text, character);
  if (!target) return null;
  const range: Range = { start: { line, character: target.start }, end: { line, character: target.end } };
  const fns = ctx.outlines.enclosing(doc.file, line + 1);
  for (const fn of fns) {
    const src = headsOf(doc).get(`${fn.name}/${fn.arity}`);
    const atCursor = valueAtCursor(ctx, fn, src, target.expression, isErlang(doc));
    if (atCursor) return { range, contents: { kind: 'markdown', value: atCursor } };
    const recent = recentValues(ctx, doc, fn, src, line, target.expression);
    if (recent) return { range, contents: { kind: 'markdown', value: recent } };
  }
  return null;
}

/** The value at the debugger's cursor when one of the cursor's frames is `fn`. */
function valueAtCursor(ctx: FeatureContext, fn: OutlineFunction, src: SourceFunction | undefined, expression: string, erl: boolean): string | undefined {
  const { nav, store } = ctx;
  if (nav.cursor < 0 || nav.pid < 0) return undefined;
  const frames = nav.stack(nav.pid, 0, 20).frames;
  for (const f of frames) {
    const m = f.mfa;
    if (!m || m.module !== fn.module || m.function !== fn.name || m.arity !== fn.arity) continue;
    const bindings = f.call >= 0 ? (callBindings(store, f.call, fn.module, src)?.bindings ?? new Map<string, Term>()) : new Map<string, Term>();
    const scopes = nav.frameScopes(f);
    bindingMap(scopes.locals, bindings);
    const v = resolve(expression, bindings);
    if (v === undefined) return undefined;
    const where = f === frames[0] ? 'at the debugger\'s cursor' : `at the debugger's cursor (caller frame ${f.name})`;
    return `${fence(`${expression} = ${code(v, VALUE_MAX, erl)}`, erl)}\n\n*${where}, ${formatMfa(m)}${f.line ? ` line ${f.line}` : ''}*`;
  }
  return undefined;
}

/** The values in the last few recorded calls of `fn` (through the hovered clause when the source tells). */
function recentValues(ctx: FeatureContext, doc: DocumentView, fn: OutlineFunction, src: SourceFunction | undefined, line: number, expression: string): string | undefined {
  const { store, index } = ctx;
  const erl = isErlang(doc);
  const want = clauseAt(src, line);
  const onHead = src !== undefined && src.clauses.some((c) => c.line === line);
  const stats = index.stats(fn.module, fn.name, fn.arity);
  if (!stats || stats.calls === 0) return undefined;
  const rows: string[] = [];
  for (const g of index.recentCalls(fn.module, fn.name, fn.arity, 12)) {
    if (rows.length >= HOVER_CALLS) break;
    const cb = callBindings(store, g, fn.module, src, src && src.clauses.length > 1 ? want : -1);
    const bindings = new Map(cb?.bindings ?? []);
    let v: Term | undefined;
    if (!onHead) {
      // Locals as they were at this line in that call (LINE events of its frame), else later.
      const lines = index.frameLines(g, Infinity, FRAME_LINE_LIMIT);
      let at = -1;
      for (let i = 0; i < lines.length; i++) if ((lineBody(store, lines[i])?.line ?? 0) <= line + 1) at = i;
      if (at >= 0) v = resolve(expression, bindingMap(lineBody(store, lines[at])?.bindings, new Map(bindings)));
      for (let i = at + 1; v === undefined && i < lines.length; i++) v = resolve(expression, bindingMap(lineBody(store, lines[i])?.bindings));
    }
    if (v === undefined) v = resolve(expression, bindings);
    if (v === undefined) continue;
    rows.push(`${expression} = ${code(v, VALUE_MAX, erl)}    ${erl ? '%' : '#'} ${store.process(store.pidOf(g)).pid}, event ${g}`);
  }
  if (rows.length === 0) return undefined;
  const more = stats.calls > rows.length ? ` (of ${stats.calls} recorded)` : '';
  return `${fence(rows.join('\n'), erl)}\n\n*last ${rows.length === 1 ? 'call' : `${rows.length} calls`}${more} of ${formatMfa(stats.mfa)}, newest first*`;
}

// ───────────── code lenses ─────────────

export function codeLenses(ctx: FeatureContext, doc: DocumentView): CodeLens[] {
  const { index, store } = ctx;
  const out: CodeLens[] = [];
  for (const o of ctx.outlines.forFile(doc.file)) {
    for (const fn of o.functions) {
      if (fn.name.startsWith('-') || /^__.*__$/.test(fn.name)) continue; // anonymous funs; generated __struct__/__info__
      const stats = index.stats(fn.module, fn.name, fn.arity);
      if (!stats || stats.calls === 0) continue;
      const line = Math.max(0, fn.line - 1);
      const range: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
      const parts = [`${stats.calls} ${stats.calls === 1 ? 'call' : 'calls'}`];
      if (stats.exceptions > 0) parts.push(`${stats.exceptions} ${stats.exceptions === 1 ? 'exception' : 'exceptions'}`);
      const last = stats.lastReturn >= 0 && store.has(stats.lastReturn) ? store.body(stats.lastReturn)?.return?.value : undefined;
      if (last) parts.push(`last → ${code(last, LENS_VALUE_MAX, isErlang(doc))}`);
      if (stats.lastException >= 0 && stats.lastException > stats.lastReturn && store.has(stats.lastException)) {
        const ex = store.body(stats.lastException)?.exception;
        if (ex) parts.push(`last raised ${ex.class ?? 'error'}: ${code(ex.reason ?? {}, LENS_VALUE_MAX, isErlang(doc))}`);
      }
      out.push({ range, command: { title: `$(history) ${parts.join(' · ')}`, command: '' } });
      if (store.has(stats.lastCall)) {
        out.push({ range, command: { title: 'Step to last call', command: LanguageServerCommands.stepToEvent, arguments: [{ seq: stats.lastCall }] } });
      }
    }
  }
  return out;
}

// ───────────── inlay hints ─────────────

/** Values of the variables on each recorded line of the cursor's frames that are in this document. */
export function inlayHints(ctx: FeatureContext, doc: DocumentView, range: Range): InlayHint[] {
  const { nav, store, index } = ctx;
  if (nav.cursor < 0 || nav.pid < 0) return [];
  const outlines = ctx.outlines.forFile(doc.file);
  if (outlines.length === 0) return [];
  const modules = new Set(outlines.map((o) => o.module));
  const cursor = nav.cursor;
  const out: InlayHint[] = [];
  const seenLines = new Set<number>();
  for (const f of nav.stack(nav.pid, 0, 10).frames) {
    if (f.call < 0 || !f.mfa || !modules.has(f.mfa.module) || !store.has(f.call)) continue;
    const src = headsOf(doc).get(`${f.mfa.function}/${f.mfa.arity}`);
    const fn = ctx.outlines.module(f.mfa.module)?.functions.find((x) => x.name === f.mfa!.function && x.arity === f.mfa!.arity);
    // The clause head: the call's bindings.
    const cb = callBindings(store, f.call, f.mfa.module, src);
    const headLine = cb && src?.clauses[cb.clause] ? src.clauses[cb.clause].line : (store.body(f.call)?.call?.line || fn?.line || 0) - 1;
    if (cb && headLine >= 0) pushHint(out, seenLines, doc, headLine, cb.bindings, range, true);
    // Each recorded line of the frame, as of the cursor: the values after the line ran (the next LINE's view), else before.
    const events = index.frameLines(f.call, cursor, 500);
    const latest = new Map<number, number>();
    for (let i = 0; i < events.length; i++) latest.set((lineBody(store, events[i])?.line ?? 0) - 1, i);
    for (const [l, i] of latest) {
      if (l < 0) continue;
      const merged = bindingMap(lineBody(store, events[i])?.bindings);
      if (i + 1 < events.length) bindingMap(lineBody(store, events[i + 1])?.bindings, merged);
      pushHint(out, seenLines, doc, l, merged, range, false);
    }
  }
  return out;
}

function pushHint(out: InlayHint[], seen: Set<number>, doc: DocumentView, line: number, bindings: ReadonlyMap<string, Term>, range: Range, head: boolean): void {
  if (seen.has(line) || line < range.start.line || line > range.end.line) return;
  const text = doc.lines[line];
  if (text === undefined) return;
  const erl = isErlang(doc);
  const used = erl ? erlangIdentifiersOn(text) : identifiersOn(text);
  const shown = [...bindings].filter(([name]) => used.has(name) && !name.startsWith('_'));
  if (shown.length === 0) return;
  seen.add(line);
  const label = shown.map(([name, v]) => `${name} = ${code(v, HINT_VALUE_MAX, erl)}`).join(', ');
  out.push({
    position: { line, character: text.replace(/\s+$/, '').length },
    label: head ? `⟵ ${label}` : label,
    paddingLeft: true,
    tooltip: head ? 'Arguments of the call at the debugger\'s cursor' : 'Values recorded on this line, as of the debugger\'s cursor',
  });
}
