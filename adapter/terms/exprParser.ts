// Tokenizes and parses the Elixir expressions terms/exprEval evaluates (Elixir's operator precedence;
// keyword-list sugar; `|>` folded into the call). Syntax it does not know throws Unsupported.
import type { elixirscope } from '../gen/wire';
import { ExprError, Unsupported } from './exprErrors';
import { intTerm } from './exprValues';

type T = elixirscope.Term.$Properties;

type Tok = { k: 'int' | 'float' | 'str' | 'atom' | 'alias' | 'ident' | 'op' | 'eof'; v: string; pos: number };

const OPS = ['===', '!==', '..', '==', '!=', '<=', '>=', '&&', '||', '<>', '++', '--', '|>', '<', '>', '+', '-', '*', '/', '!', '.', '[', ']', '(', ')', '{', '}', ',', '%{', '=>', ':'];
const WORD_OPS = new Set(['and', 'or', 'not', 'in', 'when', 'do', 'end', 'fn']);

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const at = (re: RegExp) => {
    re.lastIndex = i;
    const m = re.exec(src);
    return m && m.index === i ? m[0] : undefined;
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    let m: string | undefined;
    if ((m = at(/\d[\d_]*\.\d[\d_]*(?:[eE][-+]?\d+)?/y))) out.push({ k: 'float', v: m.replace(/_/g, ''), pos: i });
    else if ((m = at(/0x[0-9a-fA-F_]+|\d[\d_]*/y))) out.push({ k: 'int', v: m.replace(/_/g, ''), pos: i });
    else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === '\\') {
          const e = src[++j];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
        } else if (src[j] === '#' && src[j + 1] === '{') throw new Unsupported('string interpolation');
        else s += src[j];
      }
      if (j >= src.length) throw new ExprError('missing terminator: " (a string is not closed)');
      out.push({ k: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    } else if (c === ':' && src[i + 1] === '"') {
      const j = src.indexOf('"', i + 2);
      if (j < 0) throw new ExprError('missing terminator: " (an atom is not closed)');
      out.push({ k: 'atom', v: src.slice(i + 2, j), pos: i });
      i = j + 1;
      continue;
    } else if (c === ':' && (m = at(/:[a-zA-Z_][a-zA-Z0-9_@]*[?!]?/y))) out.push({ k: 'atom', v: m.slice(1), pos: i });
    else if ((m = at(/[A-Z][a-zA-Z0-9_]*(?:\.[A-Z][a-zA-Z0-9_]*)*/y))) out.push({ k: 'alias', v: m, pos: i });
    else if ((m = at(/[a-z_][a-zA-Z0-9_]*[?!]?/y))) {
      // A keyword key (`a: 1`) is an atom.
      if (src[i + m.length] === ':' && src[i + m.length + 1] !== ':') {
        out.push({ k: 'atom', v: m, pos: i }, { k: 'op', v: 'kw:', pos: i + m.length });
        i += m.length + 1;
        continue;
      }
      out.push({ k: WORD_OPS.has(m) ? 'op' : 'ident', v: m, pos: i });
    } else if ((m = OPS.find((o) => src.startsWith(o, i)))) out.push({ k: 'op', v: m, pos: i });
    else throw new Unsupported(`"${c}"`);
    i += m.length;
  }
  out.push({ k: 'eof', v: '', pos: src.length });
  return out;
}

export type ExprNode =
  | { t: 'lit'; v: T }
  | { t: 'var'; name: string }
  | { t: 'alias'; name: string }
  | { t: 'tuple' | 'list'; items: ExprNode[] }
  | { t: 'field'; of: ExprNode; name: string }
  | { t: 'index'; of: ExprNode; key: ExprNode }
  | { t: 'call'; mod?: string; fn: string; args: ExprNode[] }
  | { t: 'un'; op: string; a: ExprNode }
  | { t: 'bin'; op: string; a: ExprNode; b: ExprNode };

// Binding power of binary operators (Elixir's precedence, loosest first); right-associative ones marked.
const BINARY: Record<string, [number, boolean]> = {
  '||': [1, false], or: [1, false], '&&': [2, false], and: [2, false],
  '==': [3, false], '!=': [3, false], '===': [3, false], '!==': [3, false],
  '<': [4, false], '>': [4, false], '<=': [4, false], '>=': [4, false],
  '|>': [5, false], in: [6, false], 'not in': [6, false],
  '++': [7, true], '--': [7, true], '<>': [7, true], '..': [7, true],
  '+': [8, false], '-': [8, false], '*': [9, false], '/': [9, false],
};

export function parseExpression(src: string): ExprNode {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const isOp = (v: string) => peek().k === 'op' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExprError(`syntax error before: ${peek().v || 'end of expression'} (expected "${v}")`);
    p++;
  };

  function list(close: string): ExprNode[] {
    const items: ExprNode[] = [];
    if (isOp(close)) { p++; return items; }
    for (;;) {
      if (peek().k === 'atom' && toks[p + 1]?.v === 'kw:') {
        // Keyword list sugar: [a: 1] / f(x, a: 1) → {:a, 1} items.
        const key = next().v;
        p++;
        items.push({ t: 'tuple', items: [{ t: 'lit', v: { atom: key } }, expr(0)] });
      } else items.push(expr(0));
      if (isOp(',')) { p++; continue; }
      expect(close);
      return items;
    }
  }

  function primary(): ExprNode {
    const t = next();
    switch (t.k) {
      case 'int': return { t: 'lit', v: intTerm(Number(t.v)) };
      case 'float': return { t: 'lit', v: { float: Number(t.v) } };
      case 'str': return { t: 'lit', v: { binary: { data: new TextEncoder().encode(t.v) } } };
      case 'atom': return { t: 'lit', v: { atom: t.v } };
      case 'alias': {
        if (isOp('.') && toks[p + 1]?.k === 'ident') {
          p++;
          const fn = next().v;
          if (!isOp('(')) throw new Unsupported(`${t.v}.${fn} without parentheses`);
          p++;
          return { t: 'call', mod: t.v, fn, args: list(')') };
        }
        return { t: 'alias', name: t.v };
      }
      case 'ident': {
        if (['true', 'false', 'nil'].includes(t.v)) return { t: 'lit', v: { atom: t.v } };
        if (isOp('(')) {
          p++;
          return { t: 'call', fn: t.v, args: list(')') };
        }
        return { t: 'var', name: t.v };
      }
      case 'op': {
        if (t.v === '(') {
          const e = expr(0);
          expect(')');
          return e;
        }
        if (t.v === '{') return { t: 'tuple', items: list('}') };
        if (t.v === '[') return { t: 'list', items: list(']') };
        if (t.v === '-' || t.v === '!' || t.v === 'not' || t.v === '+') return { t: 'un', op: t.v, a: postfix(primary()) };
        if (t.v === ':' && peek().k === 'ident') throw new Unsupported('Erlang module calls');
        throw new Unsupported(`"${t.v}"`);
      }
      default:
        throw new ExprError('incomplete expression');
    }
  }

  function postfix(n: ExprNode): ExprNode {
    for (;;) {
      if (isOp('.')) {
        const after = toks[p + 1];
        if (after?.k === 'ident' || after?.k === 'op' && WORD_OPS.has(after.v)) {
          p += 2;
          if (isOp('(')) throw new Unsupported(`a call through ${after.v}`);
          n = { t: 'field', of: n, name: after.v };
          continue;
        }
        if (after?.k === 'op' && after.v === '(') throw new Unsupported('calling an anonymous function');
        throw new ExprError(`syntax error after "."`);
      }
      if (isOp('[')) {
        p++;
        const key = expr(0);
        expect(']');
        n = { t: 'index', of: n, key };
        continue;
      }
      return n;
    }
  }

  function expr(minBp: number): ExprNode {
    let left = postfix(primary());
    for (;;) {
      const t = peek();
      if (t.k !== 'op') break;
      let op = t.v;
      if (op === 'not' && toks[p + 1]?.v === 'in') op = 'not in';
      const info = BINARY[op];
      if (!info || info[0] < minBp) break;
      p += op === 'not in' ? 2 : 1;
      const right = expr(info[1] ? info[0] : info[0] + 1);
      if (op === '|>') {
        if (right.t !== 'call') throw new ExprError('the right side of |> must be a call');
        left = { ...right, args: [left, ...right.args] };
      } else left = { t: 'bin', op, a: left, b: right };
    }
    return left;
  }

  const root = expr(0);
  if (peek().k !== 'eof') {
    const t = peek();
    if (t.k === 'op' && ['do', 'fn', 'when', 'end', '%{', '=>', 'kw:', ':'].includes(t.v)) throw new Unsupported(`"${t.v}"`);
    throw new ExprError(`syntax error before: ${t.v}`);
  }
  return root;
}
