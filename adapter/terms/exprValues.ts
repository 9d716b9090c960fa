// The value rules terms/exprEval shares: booleans and numbers, truthiness, values cut by the capture
// limits (never decided on), Elixir's == / === equality and Erlang's term order.
import type { elixirscope } from '../gen/wire';
import { Unsupported } from './exprErrors';
import { formatTerm } from './format';

type T = elixirscope.Term.$Properties;

export const TRUE: T = { atom: 'true' };
export const FALSE: T = { atom: 'false' };
export const bool = (b: boolean): T => (b ? TRUE : FALSE);

export function intTerm(n: number): T {
  if (!Number.isSafeInteger(n)) throw new Unsupported('an integer beyond 2^53');
  return { int: n };
}

export function num(t: T): number | undefined {
  if (t.int != null) return Number(t.int);
  if (t.float != null) return t.float;
  if (t.bigInt) throw new Unsupported('a big integer');
  return undefined;
}

export function truthy(t: T): boolean {
  return !(t.atom === 'nil' || t.atom === 'false');
}

/** Values this evaluator must not decide on (cut, or still in external term format). */
function opaque(t: T): boolean {
  return !!(t.truncated || (t as { etf?: unknown }).etf);
}

export function whole(t: T, what: string): void {
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

export function compare(a: T, b: T): number {
  whole(a, 'a value'); whole(b, 'a value');
  const x = num(a), y = num(b);
  if (x != null && y != null) return x < y ? -1 : x > y ? 1 : 0;
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a.atom != null) return a.atom < b.atom! ? -1 : a.atom > b.atom! ? 1 : 0;
  if (a.binary && b.binary && !isCut(a) && !isCut(b)) return Buffer.compare(Buffer.from(a.binary.data ?? []), Buffer.from(b.binary.data ?? []));
  throw new Unsupported('ordering these values');
}

export function show(t: T): string {
  return formatTerm(t, { maxLength: 80 });
}
