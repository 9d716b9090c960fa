// A clause head's parameter patterns, parsed, and matched against captured arguments so that calls
// recorded without named bindings still get names. Syntax it does not know is left alone (no binding), never guessed.
import type { elixirscope } from '../gen/wire';
import { toNumber } from '../store/wireNumbers';

type Term = elixirscope.Term.$Properties;

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
