// Evaluates hover/watch expressions over captured bindings without touching the node: names,
// field and key paths (`state.balance`, `state[:k]`, `opts["x"]`), `elem(t, i)`, `hd/tl/length`,
// `map_size`, `tuple_size`, `byte_size`. Anything else is refused with a reason, never guessed.
import type { elixirscope } from '../gen/wire';
import { elixirAtom } from './format';

type T = elixirscope.Term.$Properties;

export class PathError extends Error {}

type Token = { kind: 'ident' | 'atom' | 'string' | 'int' | 'punct'; text: string; pos: number };

const FUNCTIONS = new Set(['elem', 'hd', 'tl', 'length', 'map_size', 'tuple_size', 'byte_size']);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(:"(?:[^"\\]|\\.)*")|(:[a-zA-Z_][a-zA-Z0-9_@]*[?!]?)|("(?:[^"\\]|\\.)*")|(-?\d+)|([a-zA-Z_][a-zA-Z0-9_]*[?!]?)|([.[\](),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new PathError(`cannot read "${src.slice(pos).trim()}": hover expressions are names, .field, [key], elem/hd/tl/length`);
    const [, qatom, atom, str, int, ident, punct] = m;
    if (qatom) tokens.push({ kind: 'atom', text: JSON.parse(qatom.slice(1)) as string, pos });
    else if (atom) tokens.push({ kind: 'atom', text: atom.slice(1), pos });
    else if (str) tokens.push({ kind: 'string', text: JSON.parse(str) as string, pos });
    else if (int) tokens.push({ kind: 'int', text: int, pos });
    else if (ident) tokens.push({ kind: 'ident', text: ident, pos });
    else tokens.push({ kind: 'punct', text: punct, pos });
    pos = re.lastIndex;
  }
  return tokens;
}

/** Resolves `expression` against the captured bindings (name → term). */
export function evaluatePath(expression: string, bindings: ReadonlyMap<string, T>): T {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (text: string) => {
    const t = next();
    if (!t || t.text !== text || t.kind !== 'punct') throw new PathError(`expected "${text}" in ${expression}`);
  };

  function literal(): T {
    const t = next();
    if (!t) throw new PathError(`incomplete expression: ${expression}`);
    if (t.kind === 'atom') return { atom: t.text };
    if (t.kind === 'string') return { binary: { data: new TextEncoder().encode(t.text) } };
    if (t.kind === 'int') return { int: Number(t.text) };
    if (t.kind === 'ident' && ['true', 'false', 'nil'].includes(t.text)) return { atom: t.text };
    throw new PathError(`only literal keys are supported inside [...], not "${t.text}"`);
  }

  function primary(): T {
    const t = next();
    if (!t || t.kind !== 'ident') throw new PathError(`expected a variable name in ${expression}`);
    if (FUNCTIONS.has(t.text) && peek()?.text === '(') {
      expect('(');
      const arg = expr();
      let index: number | undefined;
      if (t.text === 'elem') {
        expect(',');
        const n = next();
        if (!n || n.kind !== 'int') throw new PathError('elem/2 takes a literal index');
        index = Number(n.text);
      }
      expect(')');
      return apply(t.text, arg, index);
    }
    const value = bindings.get(t.text);
    if (!value) throw new PathError(`${t.text} is not bound here (captured names: ${[...bindings.keys()].join(', ') || 'none'})`);
    return value;
  }

  function expr(): T {
    let value = primary();
    for (;;) {
      const t = peek();
      if (t?.kind === 'punct' && t.text === '.') {
        next();
        const field = next();
        if (!field || field.kind !== 'ident') throw new PathError(`expected a field name after "." in ${expression}`);
        value = fetchKey(value, { atom: field.text }, true);
      } else if (t?.kind === 'punct' && t.text === '[') {
        next();
        const key = literal();
        expect(']');
        value = fetchKey(value, key, false);
      } else return value;
    }
  }

  const result = expr();
  if (i < tokens.length) throw new PathError(`unexpected "${tokens[i].text}" in ${expression}`);
  return result;
}

function cutCheck(t: T): void {
  if (t.truncated) throw new PathError('this part of the value was not captured (capture depth or size limit); raise the capture limits to see it');
}

function sameKey(a: T, b: T): boolean {
  if (a.atom != null || b.atom != null) return a.atom === b.atom;
  if (a.int != null || b.int != null) return a.int != null && b.int != null && Number(a.int) === Number(b.int);
  if (a.binary && b.binary) return Buffer.from(a.binary.data ?? []).equals(Buffer.from(b.binary.data ?? []));
  return false;
}

/** `map.key` (strict: the key must exist) and `map[key]` / `keyword[key]` (nil when absent). */
function fetchKey(container: T, key: T, strict: boolean): T {
  cutCheck(container);
  const shown = key.atom != null ? elixirAtom(key.atom) : JSON.stringify(key.int ?? '');
  if (container.map) {
    const hit = (container.map.entries ?? []).find((e) => e.key && sameKey(e.key, key));
    if (hit?.value) return hit.value;
    if (container.map.omitted) throw new PathError(`key ${shown} is not among the captured entries (${container.map.omitted} entries were not captured)`);
    if (strict) throw new PathError(`key ${shown} not found in the map`);
    return { atom: 'nil' };
  }
  if (container.list && !strict) {
    const hit = (container.list.items ?? []).find((it) => it.tuple?.items?.length === 2 && sameKey(it.tuple.items[0], key));
    return hit ? hit.tuple!.items![1] : { atom: 'nil' };
  }
  throw new PathError(`cannot access ${shown} on a value that is not a map${strict ? '' : ' or keyword list'}`);
}

function apply(fn: string, arg: T, index: number | undefined): T {
  cutCheck(arg);
  switch (fn) {
    case 'elem': {
      const items = arg.tuple?.items;
      if (!items) throw new PathError('elem/2 needs a tuple');
      if (index! < 0 || index! >= items.length) throw new PathError(`elem/2: index ${index} is outside the captured tuple of ${items.length + Number(arg.tuple!.omitted ?? 0)}`);
      return items[index!];
    }
    case 'hd':
    case 'tl': {
      const items = arg.list?.items;
      if (!items || items.length === 0) throw new PathError(`${fn}/1 needs a non-empty list`);
      if (fn === 'hd') return items[0];
      if (items.length === 1 && arg.list!.tail) return arg.list!.tail;
      return { list: { items: items.slice(1), tail: arg.list!.tail, omitted: arg.list!.omitted } };
    }
    case 'length':
      if (!arg.list || arg.list.tail) throw new PathError('length/1 needs a proper list');
      return { int: (arg.list.items?.length ?? 0) + Number(arg.list.omitted ?? 0) };
    case 'map_size':
      if (!arg.map) throw new PathError('map_size/1 needs a map');
      return { int: (arg.map.entries?.length ?? 0) + Number(arg.map.omitted ?? 0) };
    case 'tuple_size':
      if (!arg.tuple) throw new PathError('tuple_size/1 needs a tuple');
      return { int: (arg.tuple.items?.length ?? 0) + Number(arg.tuple.omitted ?? 0) };
    case 'byte_size':
      if (!arg.binary) throw new PathError('byte_size/1 needs a binary');
      return { int: (arg.binary.data?.length ?? 0) + Number(arg.binary.omittedBytes ?? 0) };
    default:
      throw new PathError(`${fn} is not supported in hover expressions`);
  }
}
