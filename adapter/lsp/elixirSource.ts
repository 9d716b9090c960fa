// Just enough Elixir source reading for the recording language server: the variable (or field path)
// under the mouse, the clause heads of a function, and matching a clause head's parameter patterns
// against captured arguments so that calls recorded without named bindings still get names.
// Anything it cannot read is left alone (no binding), never guessed.
import type { elixirscope } from '../gen/wire';
import { toNumber } from '../store/wireNumbers';

type Term = elixirscope.Term.$Properties;

// ───────────── the word under the cursor ─────────────

export interface HoverTarget {
  /** Root variable name (`state` in `state.balance`). */
  name: string;
  /** Expression to resolve (`state.balance`, or just the name). */
  expression: string;
  /** 0-based character span of the expression on its line. */
  start: number;
  end: number;
}

const IDENT_CHAR = /[A-Za-z0-9_?!]/;
const RESERVED = new Set([
  'do', 'end', 'fn', 'when', 'and', 'or', 'not', 'in', 'case', 'cond', 'if', 'unless', 'else', 'def', 'defp', 'defmodule',
  'defmacro', 'defmacrop', 'defstruct', 'use', 'import', 'alias', 'require', 'receive', 'after', 'try', 'catch', 'rescue',
  'with', 'for', 'nil', 'true', 'false', 'raise', 'quote', 'unquote',
]);

/** The variable (possibly with a `.field` path) at `character` of `lineText`, or undefined. */
export function hoverTargetAt(lineText: string, character: number): HoverTarget | undefined {
  if (commentStart(lineText) <= character) return undefined;
  let s = character;
  let e = character;
  if (!IDENT_CHAR.test(lineText[s] ?? '') && s > 0 && IDENT_CHAR.test(lineText[s - 1])) s = e = s - 1;
  if (!IDENT_CHAR.test(lineText[s] ?? '')) return undefined;
  while (s > 0 && IDENT_CHAR.test(lineText[s - 1])) s--;
  while (e < lineText.length && IDENT_CHAR.test(lineText[e])) e++;
  const word = lineText.slice(s, e);
  if (!/^[a-z_][A-Za-z0-9_]*[?!]?$/.test(word) || RESERVED.has(word)) return undefined;
  if (lineText[s - 1] === ':' || lineText[s - 1] === '@' || lineText[s - 1] === '&') return undefined; // atom, attribute, capture
  const after = lineText.slice(e);
  if (/^\s*\(/.test(after) && lineText[s - 1] !== '.') return undefined; // a function call
  if (/^:(?!:)/.test(after)) return undefined; // keyword key
  // Extend left over a `.field` chain: `state.balance` when hovering `balance`.
  let start = s;
  while (start > 1 && lineText[start - 1] === '.' && IDENT_CHAR.test(lineText[start - 2])) {
    let p = start - 1;
    while (p > 0 && IDENT_CHAR.test(lineText[p - 1])) p--;
    start = p;
  }
  const expression = lineText.slice(start, e);
  const root = expression.split('.')[0];
  if (!/^[a-z_]/.test(root) || RESERVED.has(root)) return undefined; // Module.fun
  if (expression !== word && /^\s*\(/.test(after)) return undefined; // remote call var.fun()
  return { name: root, expression, start, end: e };
}

/** Position of a `#` comment on the line (outside strings), or the line's length. */
export function commentStart(line: string): number {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && inStr) i++;
    else if (c === '"') inStr = !inStr;
    else if (c === '?' && line[i + 1] === '#') i++;
    else if (c === '#' && !inStr) return i;
  }
  return line.length;
}

/** Variable-looking identifiers used on a line (outside strings and comments). */
export function identifiersOn(line: string): Set<string> {
  const code = line.slice(0, commentStart(line)).replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const out = new Set<string>();
  const re = /(^|[^A-Za-z0-9_:@.])([a-z_][A-Za-z0-9_]*[?!]?)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const w = m[2];
    if (RESERVED.has(w) || w === '_') continue;
    const next = code.slice(m.index + m[0].length);
    if (/^:(?!:)/.test(next)) continue;
    out.add(w);
  }
  return out;
}

// ───────────── clause heads ─────────────

export interface ClauseHead {
  /** 0-based line of `def`. */
  line: number;
  /** Parameter patterns (undefined where one could not be read). */
  params: (Pattern | undefined)[];
  /** The `when` guard, when it could be read. */
  guard?: Guard;
}

export interface SourceFunction {
  name: string;
  arity: number;
  /** 0-based line of its first clause. */
  line: number;
  clauses: ClauseHead[];
}

const DEF = /^\s*(def|defp|defmacro|defmacrop)\s+([a-z_][A-Za-z0-9_]*[?!]?)\s*(\(|,|\s+do\b|$)/;
/** A line that opens a heredoc (`@doc """`, `x = '''`): the quotes end it, nothing after them. */
const HEREDOC_OPEN = /(?:^|[\s(=~a-zA-Z])("""|''')\s*$/;

/**
 * Every function clause head of a document, grouped by name/arity in order of appearance (a default
 * argument makes a clause count for every arity it defines).
 */
export function functionsOf(lines: readonly string[]): SourceFunction[] {
  const out = new Map<string, SourceFunction>();
  let heredoc = '';
  for (let i = 0; i < lines.length; i++) {
    // Code inside @doc/@moduledoc heredocs (examples) defines nothing.
    if (heredoc) {
      if (lines[i].trim().startsWith(heredoc)) heredoc = '';
      continue;
    }
    const open = HEREDOC_OPEN.exec(lines[i].slice(0, commentStart(lines[i])));
    if (open) {
      heredoc = open[1];
      continue;
    }
    const m = DEF.exec(lines[i]);
    if (!m) continue;
    const name = m[2];
    let params: string[] = [];
    let guard: Guard | undefined;
    if (m[3] === '(') {
      const r = collectParens(lines, i, lines[i].indexOf('(', m[0].length - 1));
      params = splitTopLevel(r.inner);
      // A bodiless head (`def handle_info(msg, state)` ahead of the clauses, for docs) is no clause.
      const tail = r.rest.slice(0, commentStart(r.rest)).trim();
      if (tail === '' && !/^\s*(when\b|do\b)/.test(lines[r.endLine + 1] ?? '')) continue;
      let rest = r.rest;
      for (let l = r.endLine + 1; l < lines.length && l <= r.endLine + 3 && !/\bdo\b/.test(rest); l++) rest += ' ' + lines[l];
      const w = /^\s*when\s+([\s\S]*?)(?:,\s*do:|\s+do\b|$)/.exec(rest.slice(0, commentStart(rest)));
      if (w) guard = parseGuard(w[1]);
    }
    const required = params.filter((p) => !/\\\\/.test(p)).length;
    const parsed = params.map((p) => parsePattern(p.replace(/\\\\[\s\S]*$/, '')));
    for (let arity = required; arity <= params.length; arity++) {
      const key = `${name}/${arity}`;
      let f = out.get(key);
      if (!f) out.set(key, (f = { name, arity, line: i, clauses: [] }));
      f.clauses.push({ line: i, params: parsed, guard });
    }
  }
  return [...out.values()];
}

/** Text between the parenthesis at (line, col) and its match, possibly spanning lines; and the rest of the line after it. */
function collectParens(lines: readonly string[], line: number, col: number): { inner: string; endLine: number; rest: string } {
  let depth = 0;
  let out = '';
  let inStr = false;
  for (let l = line; l < lines.length && l < line + 30; l++) {
    const text = lines[l];
    for (let c = l === line ? col : 0; c < text.length; c++) {
      const ch = text[c];
      if (inStr) {
        if (ch === '\\') {
          out += ch + (text[c + 1] ?? '');
          c++;
          continue;
        }
        if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '#') break;
      else if (ch === '(') {
        depth++;
        if (depth === 1) continue;
      } else if (ch === ')') {
        depth--;
        if (depth === 0) return { inner: out, endLine: l, rest: text.slice(c + 1) };
      }
      out += ch;
    }
    out += ' ';
  }
  return { inner: out, endLine: line, rest: '' };
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inStr = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      if (ch === '\\') {
        cur += ch + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inStr = false;
    } else if (ch === '"') inStr = true;
    else if ('([{'.includes(ch) || (ch === '<' && text[i + 1] === '<')) depth++;
    else if (')]}'.includes(ch) || (ch === '>' && text[i + 1] === '>' && depth > 0 && text[i - 1] !== '=')) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur.trim());
  return parts;
}

// ───────────── patterns ─────────────

export type Pattern =
  | { k: 'var'; name: string }
  | { k: 'any' }
  | { k: 'lit'; term: Term }
  | { k: 'tuple'; items: Pattern[] }
  | { k: 'list'; items: Pattern[]; tail?: Pattern }
  | { k: 'map'; entries: { key: Term; value: Pattern }[]; struct?: string }
  | { k: 'both'; left: Pattern; right: Pattern };

type Tok = { t: 'id' | 'alias' | 'atom' | 'int' | 'float' | 'str' | 'key' | 'p'; v: string };

function lex(src: string): Tok[] | undefined {
  const out: Tok[] = [];
  const re =
    /\s*(?:([a-z_][A-Za-z0-9_]*[?!]?):(?!:)|:"((?:[^"\\]|\\.)*)"|:([A-Za-z_][A-Za-z0-9_@]*[?!]?)|"((?:[^"\\]|\\.)*)"|(-?\d[\d_]*\.\d+)|(-?\d[\d_]*)|([A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*)|(__MODULE__)|([a-z_][A-Za-z0-9_]*[?!]?)|(%\{|<<|>>|<>|=>|\\\\|[{}[\]%|=^,()]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) return undefined;
    if (m[1] !== undefined) out.push({ t: 'key', v: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'atom', v: JSON.parse(`"${m[2]}"`) as string });
    else if (m[3] !== undefined) out.push({ t: 'atom', v: m[3] });
    else if (m[4] !== undefined) out.push({ t: 'str', v: JSON.parse(`"${m[4]}"`) as string });
    else if (m[5] !== undefined) out.push({ t: 'float', v: m[5].replace(/_/g, '') });
    else if (m[6] !== undefined) out.push({ t: 'int', v: m[6].replace(/_/g, '') });
    else if (m[7] !== undefined) out.push({ t: 'alias', v: m[7] });
    else if (m[8] !== undefined) out.push({ t: 'alias', v: '__MODULE__' });
    else if (m[9] !== undefined) out.push({ t: 'id', v: m[9] });
    else out.push({ t: 'p', v: m[10] });
    pos = re.lastIndex;
  }
  return out;
}

/** Parses one parameter pattern; undefined when it uses syntax this reader does not know. */
export function parsePattern(src: string): Pattern | undefined {
  const toks = lex(src);
  if (!toks || toks.length === 0) return undefined;
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const isP = (v: string): boolean => toks[i]?.t === 'p' && toks[i].v === v;
  const expect = (v: string): void => {
    if (!isP(v)) throw new Error(`expected ${v}`);
    i++;
  };
  const seqUntil = (close: string, allowKeys: boolean): { items: Pattern[]; tail?: Pattern } => {
    const items: Pattern[] = [];
    let tail: Pattern | undefined;
    while (!isP(close)) {
      if (allowKeys && peek()?.t === 'key') {
        const key = toks[i++].v;
        items.push({ k: 'tuple', items: [{ k: 'lit', term: { atom: key } }, pattern()] });
      } else items.push(pattern());
      if (isP('|')) {
        i++;
        tail = pattern();
      }
      if (isP(',')) i++;
      else break;
    }
    expect(close);
    return { items, tail };
  };
  const mapEntries = (): { key: Term; value: Pattern }[] => {
    const entries: { key: Term; value: Pattern }[] = [];
    while (!isP('}')) {
      if (peek()?.t === 'key') {
        const key = toks[i++].v;
        entries.push({ key: { atom: key }, value: pattern() });
      } else {
        const k = primary();
        if (k.k !== 'lit') throw new Error('map key');
        expect('=>');
        entries.push({ key: k.term, value: pattern() });
      }
      if (isP(',')) i++;
      else break;
    }
    expect('}');
    return entries;
  };
  const primary = (): Pattern => {
    const tok = toks[i++];
    if (!tok) throw new Error('end');
    switch (tok.t) {
      case 'id':
        if (tok.v === '_') return { k: 'any' };
        if (tok.v === 'nil' || tok.v === 'true' || tok.v === 'false') return { k: 'lit', term: { atom: tok.v } };
        return { k: 'var', name: tok.v };
      case 'atom':
        return { k: 'lit', term: { atom: tok.v } };
      case 'alias':
        return { k: 'lit', term: { atom: tok.v === '__MODULE__' ? '__MODULE__' : `Elixir.${tok.v}` } };
      case 'int':
        return { k: 'lit', term: { int: Number(tok.v) } };
      case 'float':
        return { k: 'lit', term: { float: Number(tok.v) } };
      case 'str':
        return { k: 'lit', term: { binary: { data: Buffer.from(tok.v) } } };
      case 'key':
        throw new Error('key');
      case 'p':
        switch (tok.v) {
          case '{':
            return { k: 'tuple', items: seqUntil('}', false).items };
          case '[': {
            const s = seqUntil(']', true);
            return { k: 'list', items: s.items, tail: s.tail };
          }
          case '%{':
            return { k: 'map', entries: mapEntries() };
          case '%': {
            const a = toks[i++];
            if (!a || (a.t !== 'alias' && a.t !== 'id')) throw new Error('struct');
            expect('{');
            const struct = a.t === 'alias' ? (a.v === '__MODULE__' ? '__MODULE__' : `Elixir.${a.v}`) : undefined;
            return { k: 'map', entries: mapEntries(), struct: struct ?? '' };
          }
          case '^':
            i++; // pinned variable: compares with an outer value we do not have
            return { k: 'any' };
          case '<<': {
            let depth = 1;
            while (i < toks.length && depth > 0) {
              if (toks[i].t === 'p' && toks[i].v === '<<') depth++;
              if (toks[i].t === 'p' && toks[i].v === '>>') depth--;
              i++;
            }
            return { k: 'any' };
          }
          case '(': {
            const p = pattern();
            expect(')');
            return p;
          }
        }
    }
    throw new Error(`unexpected ${tok.v}`);
  };
  const pattern = (): Pattern => {
    let left = primary();
    if (isP('<>')) {
      // "prefix" <> rest: binds `rest` to an unknown suffix; nothing to show.
      i++;
      primary();
      left = { k: 'any' };
    }
    if (isP('=')) {
      i++;
      return { k: 'both', left, right: pattern() };
    }
    return left;
  };
  try {
    const p = pattern();
    const defaulted = toks[i]?.t === 'p' && toks[i].v === '\\\\'; // `opts \\ []`: the default does not matter
    return i === toks.length || defaulted ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Matches captured `args` against a clause's parameter patterns; on success returns the variables
 * it binds (pattern order), on failure undefined. `module` resolves `__MODULE__`. Truncated parts of
 * a term match anything and bind nothing.
 */
export function matchClause(params: readonly (Pattern | undefined)[], args: readonly Term[], module: string): Map<string, Term> | undefined {
  if (params.length !== args.length) return undefined;
  const out = new Map<string, Term>();
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p && !match(p, args[i], out, module)) return undefined;
  }
  return out;
}

function match(p: Pattern, t: Term, out: Map<string, Term>, module: string): boolean {
  if (t.truncated) return true;
  switch (p.k) {
    case 'any':
      return true;
    case 'var':
      out.set(p.name, t);
      return true;
    case 'both':
      return match(p.left, t, out, module) && match(p.right, t, out, module);
    case 'lit':
      return sameLiteral(p.term, t, module);
    case 'tuple': {
      const items = t.tuple?.items;
      if (!items) return false;
      if (Number(t.tuple?.omitted ?? 0) > 0) return true;
      return items.length === p.items.length && p.items.every((q, j) => match(q, items[j], out, module));
    }
    case 'list': {
      if (!t.list) return false;
      const items = t.list.items ?? [];
      const cut = Number(t.list.omitted ?? 0) > 0;
      if (items.length < p.items.length) return cut;
      for (let j = 0; j < p.items.length; j++) if (!match(p.items[j], items[j], out, module)) return false;
      if (p.tail) {
        if (cut) return true;
        const rest: Term = items.length === p.items.length && t.list.tail ? t.list.tail : { list: { items: items.slice(p.items.length), tail: t.list.tail } };
        return match(p.tail, rest, out, module);
      }
      return items.length === p.items.length && !t.list.tail && !cut;
    }
    case 'map': {
      const entries = t.map?.entries;
      if (!entries) return false;
      const cut = Number(t.map?.omitted ?? 0) > 0;
      if (p.struct !== undefined && p.struct !== '') {
        const s = entries.find((e) => e.key?.atom === '__struct__')?.value?.atom;
        const want = p.struct === '__MODULE__' ? module : p.struct;
        if (s !== want) return false;
      }
      for (const e of p.entries) {
        const found = entries.find((x) => x.key && sameLiteral(e.key, x.key, module));
        if (!found) {
          if (cut) continue;
          return false;
        }
        if (!match(e.value, found.value ?? {}, out, module)) return false;
      }
      return true;
    }
  }
}

function sameLiteral(lit: Term, t: Term, module: string): boolean {
  if (lit.atom != null) return t.atom === (lit.atom === '__MODULE__' ? module : lit.atom);
  if (lit.int != null) return t.int != null && toNumber(t.int) === lit.int;
  if (lit.float != null) return t.float === lit.float;
  if (lit.binary) {
    const a = lit.binary.data ?? new Uint8Array();
    const b = t.binary?.data;
    return !!b && Number(t.binary?.omittedBytes ?? 0) === 0 && Buffer.from(a).equals(Buffer.from(b));
  }
  return false;
}

// ───────────── guards ─────────────

/** A clause guard over variables, literals, comparisons, `and`/`or`/`not` and type checks. */
export type Guard =
  | { k: 'and' | 'or'; l: Guard; r: Guard }
  | { k: 'not'; g: Guard }
  | { k: 'cmp'; op: string; l: Guard; r: Guard }
  | { k: 'is'; fn: string; arg: Guard }
  | { k: 'val'; pat: Pattern }
  | { k: 'unknown' };

const TYPE_CHECKS = new Set(['is_integer', 'is_float', 'is_number', 'is_atom', 'is_binary', 'is_list', 'is_tuple', 'is_map', 'is_nil', 'is_boolean', 'is_pid']);

export function parseGuard(src: string): Guard {
  const toks = src.match(/"(?:[^"\\]|\\.)*"|:[A-Za-z_][A-Za-z0-9_@]*[?!]?|-?\d[\d_]*(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*[?!]?|===|!==|==|!=|<=|>=|<|>|\(|\)|,|\S/g) ?? [];
  let i = 0;
  const unknown: Guard = { k: 'unknown' };
  const atom = (): Guard => {
    const t = toks[i++];
    if (t === undefined) return unknown;
    if (t === '(') {
      const g = or();
      if (toks[i] === ')') i++;
      return g;
    }
    if (t === 'not') return { k: 'not', g: cmp() };
    if (TYPE_CHECKS.has(t) && toks[i] === '(') {
      i++;
      const arg = or();
      if (toks[i] !== ')') return unknown;
      i++;
      return { k: 'is', fn: t, arg };
    }
    if (toks[i] === '(') {
      // Another function (length/1, map_size/1…): not evaluated.
      let depth = 0;
      do {
        if (toks[i] === '(') depth++;
        if (toks[i] === ')') depth--;
        i++;
      } while (i < toks.length && depth > 0);
      return unknown;
    }
    const pat = parsePattern(t);
    return pat && (pat.k === 'var' || pat.k === 'lit') ? { k: 'val', pat } : unknown;
  };
  const cmp = (): Guard => {
    const l = atom();
    const op = toks[i];
    if (op && ['===', '!==', '==', '!=', '<=', '>=', '<', '>'].includes(op)) {
      i++;
      return { k: 'cmp', op, l, r: atom() };
    }
    return l;
  };
  const and = (): Guard => {
    let l = cmp();
    while (toks[i] === 'and' || toks[i] === '&&') {
      i++;
      l = { k: 'and', l, r: cmp() };
    }
    return l;
  };
  const or = (): Guard => {
    let l = and();
    while (toks[i] === 'or' || toks[i] === '||') {
      i++;
      l = { k: 'or', l, r: and() };
    }
    return l;
  };
  const g = or();
  return i === toks.length ? g : unknown;
}

/** true/false when the guard can be decided over `bindings`, undefined when it cannot. */
export function evalGuard(g: Guard, bindings: ReadonlyMap<string, Term>, module: string): boolean | undefined {
  switch (g.k) {
    case 'and': {
      const l = evalGuard(g.l, bindings, module);
      if (l === false) return false;
      const r = evalGuard(g.r, bindings, module);
      return r === false ? false : l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evalGuard(g.l, bindings, module);
      if (l === true) return true;
      const r = evalGuard(g.r, bindings, module);
      return r === true ? true : l === false && r === false ? false : undefined;
    }
    case 'not': {
      const v = evalGuard(g.g, bindings, module);
      return v === undefined ? undefined : !v;
    }
    case 'is': {
      const t = valueOf(g.arg, bindings, module);
      if (!t || t.truncated) return undefined;
      switch (g.fn) {
        case 'is_integer': return t.int != null || !!t.bigInt;
        case 'is_float': return t.float != null;
        case 'is_number': return t.int != null || !!t.bigInt || t.float != null;
        case 'is_atom': return t.atom != null;
        case 'is_boolean': return t.atom === 'true' || t.atom === 'false';
        case 'is_nil': return t.atom === 'nil';
        case 'is_binary': return !!t.binary;
        case 'is_list': return !!t.list;
        case 'is_tuple': return !!t.tuple;
        case 'is_map': return !!t.map;
        case 'is_pid': return !!t.pid;
      }
      return undefined;
    }
    case 'cmp': {
      const l = valueOf(g.l, bindings, module);
      const r = valueOf(g.r, bindings, module);
      if (!l || !r) return undefined;
      const ln = num(l);
      const rn = num(r);
      if (ln !== undefined && rn !== undefined) {
        switch (g.op) {
          case '<': return ln < rn;
          case '>': return ln > rn;
          case '<=': return ln <= rn;
          case '>=': return ln >= rn;
          case '==': return ln === rn;
          case '!=': return ln !== rn;
          case '===': return ln === rn && (l.float != null) === (r.float != null);
          case '!==': return !(ln === rn && (l.float != null) === (r.float != null));
        }
      }
      if (l.atom != null && r.atom != null && (g.op === '==' || g.op === '===' || g.op === '!=' || g.op === '!==')) {
        return (l.atom === r.atom) === (g.op === '==' || g.op === '===');
      }
      return undefined;
    }
    case 'val':
      return undefined;
    case 'unknown':
      return undefined;
  }
}

function valueOf(g: Guard, bindings: ReadonlyMap<string, Term>, module: string): Term | undefined {
  if (g.k !== 'val') return undefined;
  if (g.pat.k === 'var') return bindings.get(g.pat.name);
  if (g.pat.k === 'lit') return g.pat.term.atom === '__MODULE__' ? { atom: module } : g.pat.term;
  return undefined;
}


function num(t: Term): number | undefined {
  if (t.int != null) return toNumber(t.int);
  if (t.float != null) return t.float;
  return undefined;
}

// ───────────── Erlang sources (variables only) ─────────────

/** The Erlang variable at `character` (`Amount`, `_Acc`), outside strings and `%` comments. */
export function erlangHoverTargetAt(lineText: string, character: number): HoverTarget | undefined {
  const cut = erlangCommentStart(lineText);
  if (character >= cut) return undefined;
  const W = /[A-Za-z0-9_@]/;
  let s = character;
  if (!W.test(lineText[s] ?? '') && s > 0 && W.test(lineText[s - 1])) s--;
  if (!W.test(lineText[s] ?? '')) return undefined;
  let e = s;
  while (s > 0 && W.test(lineText[s - 1])) s--;
  while (e < lineText.length && W.test(lineText[e])) e++;
  const word = lineText.slice(s, e);
  if (!/^[A-Z_][A-Za-z0-9_@]*$/.test(word) || word === '_' || lineText[s - 1] === '?' || lineText[s - 1] === '#') return undefined; // macros, records
  return { name: word, expression: word, start: s, end: e };
}

export function erlangIdentifiersOn(line: string): Set<string> {
  const code = line.slice(0, erlangCommentStart(line)).replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const out = new Set<string>();
  for (const m of code.matchAll(/(^|[^A-Za-z0-9_@?#])([A-Z_][A-Za-z0-9_@]*)/g)) if (m[2] !== '_') out.add(m[2]);
  return out;
}

function erlangCommentStart(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '$') i++;
    else if (c === '%') return i;
  }
  return line.length;
}
