// The Kernel/Map/Enum/Keyword/List functions terms/exprEval evaluates over captured terms, and the access
// they share with the operators (`map.key`, `map[key]`, `in`). Anything else throws Unsupported.
import type { elixirscope } from '../gen/wire';
import { ExprError, Unsupported } from './exprErrors';
import { bool, FALSE, intTerm, num, sameTerm, show, TRUE, whole } from './exprValues';
import { elixirAtom } from './format';

type T = elixirscope.Term.$Properties;

export function properList(t: T, what: string): T[] {
  whole(t, `the argument of ${what}`);
  if (!t.list || t.list.tail) throw new ExprError(`ArgumentError: ${what} needs a proper list, got: ${show(t)}`);
  if (t.list.omitted) throw new Unsupported('a list cut by the capture limits');
  return t.list.items ?? [];
}

export function member(coll: T, x: T): boolean {
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
export function fetchKey(container: T, key: T, strict: boolean): T {
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

export function callFunction(mod: string | undefined, fn: string, args: T[]): T {
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
    case 'Map.fetch!': arity(name, args, 2); return fetchKey(a0, args[1], true);
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
      const v = fetchKey(a0, args[1], false);
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
