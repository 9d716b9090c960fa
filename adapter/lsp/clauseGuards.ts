// A clause's `when` guard, parsed and decided over the bindings its parameter patterns made (true, false,
// or undefined when it cannot be decided: another function, a value cut by the capture limits).
import type { elixirscope } from '../gen/wire';
import { toNumber } from '../store/wireNumbers';
import { parsePattern, type Pattern } from './clausePatterns';

type Term = elixirscope.Term.$Properties;

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
