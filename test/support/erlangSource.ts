// Renders a decoded wire Term as Erlang source that evaluates (erl_eval) back to the same term.
// Pids, ports and references use list_to_pid/list_to_port/list_to_ref on their printed form, so the
// source is only meaningful on the node that produced them. Truncated terms cannot be rendered.
import { elixirscope } from '../../adapter/gen/wire';

type Term = elixirscope.ITerm;

/** A 64-bit field as decoded by protobufjs: a number, or a Long object when `long` is loaded. */
export type Int64 = number | { toString(): string; low: number; high: number };

/** Exact value of a decoded 64-bit field. */
export function int64ToBigInt(v: Int64 | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`not an integer: ${v}`);
    return BigInt(v);
  }
  return BigInt(v.toString());
}

export class UnrenderableTermError extends Error {}

/** A quoted Erlang atom; everything outside printable ASCII is written as \x{...}. */
export function renderAtom(name: string): string {
  let out = "'";
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else out += `\\x{${cp.toString(16)}}`;
  }
  return out + "'";
}

/** Shortest round-trip decimal of a finite double, in Erlang float syntax (digits.digits[e[-]digits]). */
export function renderFloat(x: number): string {
  if (!Number.isFinite(x)) throw new UnrenderableTermError(`${x} has no Erlang form`);
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x); // shortest representation that reads back to x
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(s);
  if (!m) throw new Error(`unexpected number format ${s}`);
  const [, sign, int, frac = '0', exp] = m;
  const e = exp === undefined ? '' : `e${parseInt(exp, 10)}`;
  return `${sign}${int}.${frac}${e}`;
}

function bytes(data: Uint8Array | null | undefined): Uint8Array {
  return data ?? new Uint8Array(0);
}

function renderOpaque(fn: string, o: elixirscope.IOpaque | null | undefined): string {
  const repr = o?.repr ?? '';
  // list_to_ref wants "#Ref<...>", list_to_port "#Port<...>", list_to_pid "<...>": the printed forms.
  return `${fn}(${JSON.stringify(repr)})`;
}

export function renderTerm(t: Term): string {
  if (t.atom !== undefined && t.atom !== null) return renderAtom(t.atom);
  if (t.int !== undefined && t.int !== null) return int64ToBigInt(t.int as Int64).toString();
  if (t.bigInt) {
    const mag = bytes(t.bigInt.magnitude);
    if (mag.length === 0) throw new UnrenderableTermError('big_int without magnitude');
    const n = BigInt('0x' + Buffer.from(mag).toString('hex'));
    return (t.bigInt.negative ? '-' : '') + n.toString();
  }
  if (t.float !== undefined && t.float !== null) return renderFloat(t.float);
  if (t.binary) {
    if (int64ToBigInt(t.binary.omittedBytes as Int64) !== 0n) throw new UnrenderableTermError('binary with omitted bytes');
    return `<<${Array.from(bytes(t.binary.data)).join(',')}>>`;
  }
  if (t.bitstring) {
    const data = bytes(t.bitstring.data);
    const bits = t.bitstring.trailingBits ?? 0;
    if (data.length === 0 || bits < 1 || bits > 7) throw new UnrenderableTermError(`bad bitstring (${data.length} bytes, ${bits} bits)`);
    const whole = Array.from(data.subarray(0, data.length - 1)).map(String);
    const last = data[data.length - 1] >> (8 - bits);
    return `<<${[...whole, `${last}:${bits}`].join(',')}>>`;
  }
  if (t.list) {
    if (int64ToBigInt(t.list.omitted as Int64) !== 0n) throw new UnrenderableTermError('list with omitted items');
    const items = (t.list.items ?? []).map(renderTerm);
    if (t.list.tail) {
      if (items.length === 0) throw new UnrenderableTermError('improper list without items');
      return `[${items.join(',')}|${renderTerm(t.list.tail)}]`;
    }
    return `[${items.join(',')}]`;
  }
  if (t.tuple) {
    if (int64ToBigInt(t.tuple.omitted as Int64) !== 0n) throw new UnrenderableTermError('tuple with omitted items');
    return `{${(t.tuple.items ?? []).map(renderTerm).join(',')}}`;
  }
  if (t.map) {
    if (int64ToBigInt(t.map.omitted as Int64) !== 0n) throw new UnrenderableTermError('map with omitted entries');
    const entries = (t.map.entries ?? []).map((e) => {
      if (!e.key || !e.value) throw new UnrenderableTermError('map entry without key or value');
      return `${renderTerm(e.key)}=>${renderTerm(e.value)}`;
    });
    return `#{${entries.join(',')}}`;
  }
  if (t.pid) return renderOpaque('list_to_pid', t.pid);
  if (t.port) return renderOpaque('list_to_port', t.port);
  if (t.ref) return renderOpaque('list_to_ref', t.ref);
  if (t.fun) {
    if (!t.fun.external) throw new UnrenderableTermError(`local fun ${t.fun.repr} cannot be rebuilt from source`);
    return `fun ${renderAtom(t.fun.module ?? '')}:${renderAtom(t.fun.name ?? '')}/${t.fun.arity ?? 0}`;
  }
  if (t.truncated) throw new UnrenderableTermError('truncated term');
  throw new UnrenderableTermError('term with no value set');
}
