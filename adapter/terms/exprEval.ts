// Evaluates pure Elixir expressions for hovers and watches over captured bindings, in the adapter:
// names, `.field`, `[key]`, literals, tuples and lists, arithmetic, comparisons, boolean operators,
// `<>`, `++`, `in`, `|>` and a few Kernel/Map/Enum/Keyword/List functions. What it cannot decide
// exactly (another function, a value cut by the capture limits, a big integer) throws Unsupported:
// the caller then asks the live node, which runs it only if every call is on the agent's pure
// allow-list (erlang/src/esc_pure.erl). Nothing here can change the program.
import type { elixirscope } from '../gen/wire';
import { elixirAtom, formatTerm } from './format';

type T = elixirscope.Term.$Properties;

/** The expression is wrong for these values (as Elixir would raise): shown to the user as is. */
export class ExprError extends Error {}
/** The adapter cannot evaluate this exactly; the node may (pure evaluation). */
export class Unsupported extends Error {}

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

// ───────────── syntax ─────────────

type Node =
  | { t: 'lit'; v: T }
  | { t: 'var'; name: string }
  | { t: 'alias'; name: string }
  | { t: 'tuple' | 'list'; items: Node[] }
  | { t: 'field'; of: Node; name: string }
  | { t: 'index'; of: Node; key: Node }
  | { t: 'call'; mod?: string; fn: string; args: Node[] }
  | { t: 'un'; op: string; a: Node }
  | { t: 'bin'; op: string; a: Node; b: Node };

// Binding power of binary operators (Elixir's precedence, loosest first); right-associative ones marked.
const BINARY: Record<string, [number, boolean]> = {
  '||': [1, false], or: [1, false], '&&': [2, false], and: [2, false],
  '==': [3, false], '!=': [3, false], '===': [3, false], '!==': [3, false],
  '<': [4, false], '>': [4, false], '<=': [4, false], '>=': [4, false],
  '|>': [5, false], in: [6, false], 'not in': [6, false],
  '++': [7, true], '--': [7, true], '<>': [7, true], '..': [7, true],
  '+': [8, false], '-': [8, false], '*': [9, false], '/': [9, false],
};

function parse(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const isOp = (v: string) => peek().k === 'op' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExprError(`syntax error before: ${peek().v || 'end of expression'} (expected "${v}")`);
    p++;
  };

  function list(close: string): Node[] {
    const items: Node[] = [];
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

  function primary(): Node {
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

  function postfix(n: Node): Node {
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

  function expr(minBp: number): Node {
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

// ───────────── values ─────────────

const TRUE: T = { atom: 'true' };
const FALSE: T = { atom: 'false' };
const bool = (b: boolean): T => (b ? TRUE : FALSE);

function intTerm(n: number): T {
  if (!Number.isSafeInteger(n)) throw new Unsupported('an integer beyond 2^53');
  return { int: n };
}

function num(t: T): number | undefined {
  if (t.int != null) return Number(t.int);
  if (t.float != null) return t.float;
  if (t.bigInt) throw new Unsupported('a big integer');
  return undefined;
}

function truthy(t: T): boolean {
  return !(t.atom === 'nil' || t.atom === 'false');
}

/** Values this evaluator must not decide on (cut, or still in external term format). */
function opaque(t: T): boolean {
  return !!(t.truncated || (t as { etf?: unknown }).etf);
}

function whole(t: T, what: string): void {
  if (opaque(t)) throw new Unsupported(`${what} was cut by the capture limits`);
}

function isCut(t: T): boolean {
  return !!(t.list?.omitted || t.tuple?.omitted || t.map?.omitted || t.binary?.omittedBytes || opaque(t));
}

/** Structural equality; `strict` is ===, else 1 == 1.0. Undefined when a cut part decides it. */
export function sameTerm(a: T, b: T, strict = true): boolean {
  if (isCut(a) || isCut(b)) throw new Unsupported('a value cut by the capture limits');
  const na = a.int ?? a.float, nb = b.int ?? b.float;
  if (na != null && nb != null) return strict ? (a.int != null) === (b.int != null) && Number(na) === Number(nb) : Number(na) === Number(nb);
  if (a.bigInt || b.bigInt) throw new Unsupported('a big integer');
  if (a.atom != null || b.atom != null) return a.atom === b.atom;
  if (a.binary && b.binary) return Buffer.from(a.binary.data ?? []).equals(Buffer.from(b.binary.data ?? []));
  if (a.list && b.list) {
    const x = a.list.items ?? [], y = b.list.items ?? [];
    if (x.length !== y.length || !!a.list.tail !== !!b.list.tail) return false;
    return x.every((v, i) => sameTerm(v, y[i], strict)) && (!a.list.tail || sameTerm(a.list.tail, b.list.tail!, strict));
  }
  if (a.tuple && b.tuple) {
    const x = a.tuple.items ?? [], y = b.tuple.items ?? [];
    return x.length === y.length && x.every((v, i) => sameTerm(v, y[i], strict));
  }
  if (a.map && b.map) {
    const x = a.map.entries ?? [], y = b.map.entries ?? [];
    return x.length === y.length && x.every((e) => y.some((f) => sameTerm(e.key ?? {}, f.key ?? {}, true) && sameTerm(e.value ?? {}, f.value ?? {}, strict)));
  }
  if (a.pid && b.pid) return a.pid.repr === b.pid.repr && a.pid.node === b.pid.node;
  if (a.ref && b.ref) return a.ref.repr === b.ref.repr && a.ref.node === b.ref.node;
  if (a.port && b.port) return a.port.repr === b.port.repr && a.port.node === b.port.node;
  if (a.fun || b.fun || a.bitstring || b.bitstring) throw new Unsupported('comparing funs or bitstrings');
  return false;
}

// Erlang's term order between types: number < atom < reference < fun < port < pid < tuple < map < list < bitstring.
function rank(t: T): number {
  if (t.int != null || t.float != null || t.bigInt) return 0;
  if (t.atom != null) return 1;
  if (t.ref) return 2;
  if (t.fun) return 3;
  if (t.port) return 4;
  if (t.pid) return 5;
  if (t.tuple) return 6;
  if (t.map) return 7;
  if (t.list) return 8;
  return 9;
}

function compare(a: T, b: T): number {
  whole(a, 'a value'); whole(b, 'a value');
  const x = num(a), y = num(b);
  if (x != null && y != null) return x < y ? -1 : x > y ? 1 : 0;
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a.atom != null) return a.atom < b.atom! ? -1 : a.atom > b.atom! ? 1 : 0;
  if (a.binary && b.binary && !isCut(a) && !isCut(b)) return Buffer.compare(Buffer.from(a.binary.data ?? []), Buffer.from(b.binary.data ?? []));
  throw new Unsupported('ordering these values');
}

function show(t: T): string {
  return formatTerm(t, { maxLength: 80 });
}

// ───────────── evaluation ─────────────

/** Evaluates `expression` over the captured bindings (name → term). */
export function evaluateExpression(expression: string, bindings: ReadonlyMap<string, T>): T {
  return evalNode(parse(expression), bindings);
}

function evalNode(n: Node, env: ReadonlyMap<string, T>): T {
  switch (n.t) {
    case 'lit': return n.v;
    case 'var': {
      const v = env.get(n.name);
      if (!v) throw new ExprError(`${n.name} is not bound here (captured names: ${[...env.keys()].join(', ') || 'none'})`);
      return v;
    }
    case 'alias': return { atom: n.name.startsWith('Elixir.') ? n.name : `Elixir.${n.name}` };
    case 'tuple': return { tuple: { items: n.items.map((x) => evalNode(x, env)) } };
    case 'list': return { list: { items: n.items.map((x) => evalNode(x, env)) } };
    case 'field': return fetch(evalNode(n.of, env), { atom: n.name }, true);
    case 'index': return fetch(evalNode(n.of, env), evalNode(n.key, env), false);
    case 'un': {
      const a = evalNode(n.a, env);
      whole(a, 'a value');
      if (n.op === '!') return bool(!truthy(a));
      if (n.op === 'not') {
        if (a.atom !== 'true' && a.atom !== 'false') throw new ExprError(`ArgumentError: argument error (not ${show(a)})`);
        return bool(a.atom === 'false');
      }
      const x = num(a);
      if (x == null) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${n.op}(${show(a)})`);
      return n.op === '-' ? (a.int != null ? intTerm(-x) : { float: -x }) : a;
    }
    case 'bin': return binary(n.op, n.a, n.b, env);
    case 'call': return call(n.mod, n.fn, n.args.map((x) => evalNode(x, env)));
  }
}

function binary(op: string, an: Node, bn: Node, env: ReadonlyMap<string, T>): T {
  const a = evalNode(an, env);
  if (op === '&&' || op === '||' || op === 'and' || op === 'or') whole(a, 'a value');
  // Short-circuit operators evaluate their right side only when needed.
  if (op === '&&') return truthy(a) ? evalNode(bn, env) : a;
  if (op === '||') return truthy(a) ? a : evalNode(bn, env);
  if (op === 'and' || op === 'or') {
    if (a.atom !== 'true' && a.atom !== 'false') throw new ExprError(`BadBooleanError: expected a boolean on the left-hand side of "${op}", got: ${show(a)}`);
    if (op === 'and' ? a.atom === 'false' : a.atom === 'true') return a;
    return evalNode(bn, env);
  }
  const b = evalNode(bn, env);
  switch (op) {
    case '==': return bool(sameTerm(a, b, false));
    case '!=': return bool(!sameTerm(a, b, false));
    case '===': return bool(sameTerm(a, b, true));
    case '!==': return bool(!sameTerm(a, b, true));
    case '<': return bool(compare(a, b) < 0);
    case '>': return bool(compare(a, b) > 0);
    case '<=': return bool(compare(a, b) <= 0);
    case '>=': return bool(compare(a, b) >= 0);
    case '+': case '-': case '*': case '/': {
      whole(a, 'a value');
      whole(b, 'a value');
      const x = num(a), y = num(b);
      if (x == null || y == null) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${show(a)} ${op} ${show(b)}`);
      if (op === '/') {
        if (y === 0) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${show(a)} / ${show(b)}`);
        return { float: x / y };
      }
      const r = op === '+' ? x + y : op === '-' ? x - y : x * y;
      return a.int != null && b.int != null ? intTerm(r) : { float: r };
    }
    case '<>': {
      whole(a, 'a value');
      whole(b, 'a value');
      if (!a.binary || !b.binary) throw new ExprError(`ArgumentError: expected binary arguments to <>, got: ${show(a)} and ${show(b)}`);
      if (a.binary.omittedBytes || b.binary.omittedBytes) throw new Unsupported('a binary cut by the capture limits');
      const x = a.binary.data ?? new Uint8Array(), y = b.binary.data ?? new Uint8Array();
      const out = new Uint8Array(x.length + y.length);
      out.set(x);
      out.set(y, x.length);
      return { binary: { data: out } };
    }
    case '++': {
      const x = properList(a, '++'), y = b;
      whole(y, 'the right side of ++');
      if (y.list) return { list: { items: [...x, ...(y.list.items ?? [])], tail: y.list.tail, omitted: y.list.omitted } };
      return x.length === 0 ? y : { list: { items: x, tail: y } };
    }
    case 'in': case 'not in': {
      const r = member(b, a);
      return bool(op === 'in' ? r : !r);
    }
    default:
      throw new Unsupported(`the ${op} operator`);
  }
}

function properList(t: T, what: string): T[] {
  whole(t, `the argument of ${what}`);
  if (!t.list || t.list.tail) throw new ExprError(`ArgumentError: ${what} needs a proper list, got: ${show(t)}`);
  if (t.list.omitted) throw new Unsupported('a list cut by the capture limits');
  return t.list.items ?? [];
}

function member(coll: T, x: T): boolean {
  if (coll.map && !isStruct(coll)) {
    if (coll.map.omitted) throw new Unsupported('a map cut by the capture limits');
    return (coll.map.entries ?? []).some((e) => x.tuple?.items?.length === 2 && sameTerm(e.key ?? {}, x.tuple.items[0]) && sameTerm(e.value ?? {}, x.tuple.items[1]));
  }
  return properList(coll, 'in').some((it) => sameTerm(it, x, true));
}

function isStruct(t: T): boolean {
  return !!t.map?.entries?.some((e) => e.key?.atom === '__struct__' && e.value?.atom != null);
}

function sameKey(a: T, b: T): boolean {
  return sameTerm(a, b, true);
}

/** `map.key` (strict: the key must exist) and `map[key]` / `keyword[key]` (nil when absent). */
function fetch(container: T, key: T, strict: boolean): T {
  whole(container, 'this value');
  const shown = key.atom != null ? elixirAtom(key.atom) : show(key);
  if (container.map) {
    if (!strict && isStruct(container)) throw new ExprError(`UndefinedFunctionError: ${elixirAtom(container.map.entries!.find((e) => e.key?.atom === '__struct__')!.value!.atom!)} does not implement the Access behaviour (use struct.field)`);
    const hit = (container.map.entries ?? []).find((e) => e.key && sameKey(e.key, key));
    if (hit?.value) return hit.value;
    if (container.map.omitted) throw new Unsupported(`key ${shown} is not among the captured entries (${container.map.omitted} entries were not captured)`);
    if (strict) throw new ExprError(`KeyError: key ${shown} not found in: ${show(container)}`);
    return { atom: 'nil' };
  }
  if (container.list && !strict) {
    const hit = (container.list.items ?? []).find((it) => it.tuple?.items?.length === 2 && sameKey(it.tuple.items[0], key));
    if (hit) return hit.tuple!.items![1];
    if (container.list.omitted) throw new Unsupported(`key ${shown} is not among the captured items`);
    return { atom: 'nil' };
  }
  if (container.atom === 'nil' && !strict) return { atom: 'nil' };
  if (container.atom != null && strict) throw new Unsupported(`${show(container)}.${key.atom}: a call, not a field`);
  throw new ExprError(strict ? `cannot access ${shown}: ${show(container)} is not a map` : `cannot access ${shown}: ${show(container)} is not a map or keyword list`);
}

function arity(fn: string, args: T[], ...n: number[]): void {
  if (!n.includes(args.length)) throw new Unsupported(`${fn}/${args.length}`);
}

function count(t: T, what: string): number {
  whole(t, 'the argument');
  if (t.list && !t.list.tail) return (t.list.items?.length ?? 0) + Number(t.list.omitted ?? 0);
  if (t.map && !isStruct(t)) return (t.map.entries?.length ?? 0) + Number(t.map.omitted ?? 0);
  if (t.map) throw new Unsupported(`${what} of a struct (its own Enumerable implementation)`);
  throw new ExprError(`${what} needs a list or a map, got: ${show(t)}`);
}

function call(mod: string | undefined, fn: string, args: T[]): T {
  const name = mod ? `${mod}.${fn}` : fn;
  const a0 = args[0];
  switch (name) {
    case 'elem': case 'Kernel.elem': {
      arity(name, args, 2);
      whole(a0, 'the tuple');
      const i = num(args[1]);
      if (!a0.tuple || i == null || args[1].int == null) throw new ExprError(`ArgumentError: elem/2 needs a tuple and an integer, got: ${show(a0)}, ${show(args[1])}`);
      const items = a0.tuple.items ?? [];
      if (i >= items.length && a0.tuple.omitted) throw new Unsupported('a tuple cut by the capture limits');
      if (i < 0 || i >= items.length) throw new ExprError(`ArgumentError: elem/2: index ${i} is out of range for a tuple of ${items.length}`);
      return items[i];
    }
    case 'hd': case 'tl': {
      arity(name, args, 1);
      whole(a0, 'the list');
      const items = a0.list?.items;
      if (!items || items.length === 0) throw new ExprError(`ArgumentError: ${fn}/1 needs a non-empty list, got: ${show(a0)}`);
      if (fn === 'hd') return items[0];
      if (items.length === 1 && a0.list!.tail) return a0.list!.tail;
      return { list: { items: items.slice(1), tail: a0.list!.tail, omitted: a0.list!.omitted } };
    }
    case 'length': arity(name, args, 1); return intTerm(properList(a0, 'length/1').length);
    case 'map_size':
      arity(name, args, 1);
      whole(a0, 'the map');
      if (!a0.map) throw new ExprError(`BadMapError: expected a map, got: ${show(a0)}`);
      return intTerm((a0.map.entries?.length ?? 0) + Number(a0.map.omitted ?? 0));
    case 'tuple_size':
      arity(name, args, 1);
      whole(a0, 'the tuple');
      if (!a0.tuple) throw new ExprError(`ArgumentError: tuple_size/1 needs a tuple, got: ${show(a0)}`);
      return intTerm((a0.tuple.items?.length ?? 0) + Number(a0.tuple.omitted ?? 0));
    case 'byte_size':
      arity(name, args, 1);
      if (!a0.binary) throw new ExprError(`ArgumentError: byte_size/1 needs a binary, got: ${show(a0)}`);
      return intTerm((a0.binary.data?.length ?? 0) + Number(a0.binary.omittedBytes ?? 0));
    case 'abs': {
      arity(name, args, 1);
      const x = num(a0);
      if (x == null) throw new ExprError(`ArgumentError: abs/1 needs a number, got: ${show(a0)}`);
      return a0.int != null ? intTerm(Math.abs(x)) : { float: Math.abs(x) };
    }
    case 'div': case 'rem': {
      arity(name, args, 2);
      if (a0.int == null || args[1].int == null || Number(args[1].int) === 0) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression: ${fn}(${show(a0)}, ${show(args[1])})`);
      const x = Number(a0.int), y = Number(args[1].int);
      return intTerm(fn === 'div' ? Math.trunc(x / y) : x % y);
    }
    case 'is_nil': arity(name, args, 1); return bool(a0.atom === 'nil');
    case 'is_atom': arity(name, args, 1); return bool(a0.atom != null);
    case 'is_integer': arity(name, args, 1); return bool(a0.int != null || !!a0.bigInt);
    case 'is_number': arity(name, args, 1); return bool(num(a0) != null);
    case 'is_binary': arity(name, args, 1); return bool(!!a0.binary);
    case 'is_list': arity(name, args, 1); whole(a0, 'the value'); return bool(!!a0.list);
    case 'is_map': arity(name, args, 1); whole(a0, 'the value'); return bool(!!a0.map);
    case 'is_tuple': arity(name, args, 1); whole(a0, 'the value'); return bool(!!a0.tuple);
    case 'is_pid': arity(name, args, 1); return bool(!!a0.pid);
    case 'Map.get': {
      arity(name, args, 2, 3);
      whole(a0, 'the map');
      if (!a0.map) throw new ExprError(`BadMapError: expected a map, got: ${show(a0)}`);
      const hit = (a0.map.entries ?? []).find((e) => e.key && sameKey(e.key, args[1]));
      if (hit?.value) return hit.value;
      if (a0.map.omitted) throw new Unsupported('a map cut by the capture limits');
      return args[2] ?? { atom: 'nil' };
    }
    case 'Map.fetch!': arity(name, args, 2); return fetch(a0, args[1], true);
    case 'Map.has_key?': {
      arity(name, args, 2);
      whole(a0, 'the map');
      if (!a0.map) throw new ExprError(`BadMapError: expected a map, got: ${show(a0)}`);
      if ((a0.map.entries ?? []).some((e) => e.key && sameKey(e.key, args[1]))) return TRUE;
      if (a0.map.omitted) throw new Unsupported('a map cut by the capture limits');
      return FALSE;
    }
    case 'Keyword.get': {
      arity(name, args, 2, 3);
      const v = fetch(a0, args[1], false);
      return v.atom === 'nil' && args[2] ? args[2] : v;
    }
    case 'Enum.count': arity(name, args, 1); return intTerm(count(a0, 'Enum.count/1'));
    case 'Enum.empty?': arity(name, args, 1); return bool(count(a0, 'Enum.empty?/1') === 0);
    case 'Enum.member?': arity(name, args, 2); return bool(member(a0, args[1]));
    case 'Enum.at': {
      arity(name, args, 2);
      const items = properListOrCut(a0);
      const i = args[1].int != null ? Number(args[1].int) : NaN;
      if (!Number.isInteger(i) || i < 0) throw new Unsupported('Enum.at with this index');
      if (i < items.length) return items[i];
      if (a0.list?.omitted) throw new Unsupported('a list cut by the capture limits');
      return { atom: 'nil' };
    }
    case 'Enum.sum': {
      arity(name, args, 1);
      let s = 0;
      let float = false;
      for (const it of properList(a0, 'Enum.sum/1')) {
        const x = num(it);
        if (x == null) throw new ExprError(`ArithmeticError: bad argument in arithmetic expression (Enum.sum of ${show(it)})`);
        float ||= it.float != null;
        s += x;
      }
      return float ? { float: s } : intTerm(s);
    }
    case 'List.first': case 'List.last': {
      arity(name, args, 1);
      const items = properList(a0, name);
      if (items.length === 0) return { atom: 'nil' };
      return fn === 'first' ? items[0] : items[items.length - 1];
    }
    default:
      throw new Unsupported(`${name}/${args.length}`);
  }
}

/** The captured items of a proper list, cut or not (the caller checks whether the cut matters). */
function properListOrCut(t: T): T[] {
  whole(t, 'the list');
  if (!t.list || t.list.tail) throw new ExprError(`Protocol.UndefinedError: not a list: ${show(t)}`);
  return t.list.items ?? [];
}
