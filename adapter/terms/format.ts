// Renders captured terms (the wire's Term message) as source text: Elixir syntax by default
// (`%Bank.Account{balance: 90, id: :b}`, `"text"`, `<<1, 2>>`, `#PID<0.1.0>`, charlists, keyword
// lists) or Erlang syntax for .erl frames. Cuts made by the agent are always shown, never hidden.
import type { elixirscope } from '../gen/wire';

export type Syntax = 'elixir' | 'erlang';
type T = elixirscope.Term.$Properties;

export interface FormatOptions {
  syntax?: Syntax;
  /** Longest rendering before it is cut with "…" (previews in the Variables pane). */
  maxLength?: number;
}

const ELIXIR_PLAIN_ATOM = /^[a-zA-Z_][a-zA-Z0-9_@]*[?!]?$/;
const ERLANG_PLAIN_ATOM = /^[a-z][a-zA-Z0-9_@]*$/;
const ERLANG_RESERVED = new Set(['after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case', 'catch', 'cond', 'div', 'end', 'fun', 'if', 'let', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor', 'maybe', 'else']);

export function formatTerm(term: T | null | undefined, opts: FormatOptions = {}): string {
  const out = new Writer(opts.maxLength ?? Infinity);
  (opts.syntax === 'erlang' ? erlang : elixir)(term ?? {}, out);
  return out.text();
}

/** Accumulates text and stops early once the limit is reached (big terms cost little to preview). */
class Writer {
  private parts: string[] = [];
  private length = 0;
  /** Something was refused after the limit: the text must show that it is cut. */
  private refused = false;
  constructor(private readonly limit: number) {}
  get full(): boolean {
    return this.length >= this.limit;
  }
  put(s: string): void {
    if (this.full) {
      if (s.length > 0) this.refused = true;
      return;
    }
    this.parts.push(s);
    this.length += s.length;
  }
  text(): string {
    const s = this.parts.join('');
    return s.length > this.limit || this.refused ? `${s.slice(0, Math.max(0, this.limit - 1))}…` : s;
  }
}

// ───────────── Elixir ─────────────

/** `Elixir.Bank.Account` → `Bank.Account`; other atoms as Elixir writes them. */
export function elixirAtom(name: string): string {
  if (name === 'nil' || name === 'true' || name === 'false') return name;
  if (name.startsWith('Elixir.') && /^Elixir(\.[A-Z][a-zA-Z0-9_]*)+$/.test(name)) return name.slice(7);
  return ELIXIR_PLAIN_ATOM.test(name) ? `:${name}` : `:${quote(name, '"')}`;
}

function elixir(t: T, w: Writer): void {
  if (w.full) return;
  if (t.atom != null) return w.put(elixirAtom(t.atom));
  if (t.int != null) return w.put(String(t.int));
  if (t.bigInt) return w.put(bigIntText(t.bigInt));
  if (t.float != null) return w.put(floatText(t.float));
  if (t.binary) return elixirBinary(t.binary, w);
  if (t.bitstring) return bitstring(t.bitstring, w, '::size(', ')');
  if (t.list) return elixirList(t.list, w);
  if (t.tuple) return seq('{', t.tuple.items ?? [], Number(t.tuple.omitted ?? 0), '}', w, elixir);
  if (t.map) return elixirMap(t.map, w);
  if (t.pid) return w.put(`#PID${t.pid.repr ?? ''}`);
  if (t.port) return w.put(t.port.repr ?? '#Port<?>');
  if (t.ref) return w.put((t.ref.repr ?? '#Ref<?>').replace(/^#Ref/, '#Reference'));
  if (t.fun) return w.put(t.fun.external ? `&${elixirAtom(t.fun.module ?? '').replace(/^:/, ':')}.${t.fun.name}/${t.fun.arity}` : `#Function<${t.fun.name}/${t.fun.arity} in ${elixirAtom(t.fun.module ?? '')}>`);
  if (t.truncated) return w.put(truncatedText(t.truncated));
  w.put('?');
}

function elixirBinary(b: elixirscope.Binary.$Properties, w: Writer): void {
  const data = b.data ?? new Uint8Array();
  const omitted = Number(b.omittedBytes ?? 0);
  const text = printableUtf8(data);
  if (text !== undefined) w.put(quote(text, '"'));
  else w.put(`<<${Array.from(data).join(', ')}${omitted ? ', …' : ''}>>`);
  if (omitted) w.put(` …(+${omitted} bytes)`);
}

function elixirList(l: elixirscope.List.$Properties, w: Writer): void {
  const items = l.items ?? [];
  const omitted = Number(l.omitted ?? 0);
  if (!l.tail && items.length > 0) {
    const chars = charlist(items);
    if (chars !== undefined) {
      w.put(quote(chars, "'"));
      if (omitted) w.put(` …(+${omitted})`);
      return;
    }
    if (items.every(isKeywordPair)) {
      w.put('[');
      items.forEach((it, i) => {
        if (i > 0) w.put(', ');
        const [k, v] = it.tuple!.items!;
        w.put(`${keywordKey(k.atom!)} `);
        elixir(v, w);
      });
      if (omitted) w.put(`, …(+${omitted})`);
      w.put(']');
      return;
    }
  }
  w.put('[');
  items.forEach((it, i) => {
    if (i > 0) w.put(', ');
    elixir(it, w);
  });
  if (l.tail) {
    w.put(' | ');
    elixir(l.tail, w);
  }
  if (omitted) w.put(`${items.length ? ', ' : ''}…(+${omitted})`);
  w.put(']');
}

function elixirMap(m: elixirscope.Map.$Properties, w: Writer): void {
  const entries = m.entries ?? [];
  const omitted = Number(m.omitted ?? 0);
  const struct = entries.find((e) => e.key?.atom === '__struct__' && e.value?.atom);
  const fields = struct ? entries.filter((e) => e !== struct) : entries;
  const atomKeys = fields.every((e) => e.key?.atom != null);
  w.put(struct ? `%${elixirAtom(struct.value!.atom!).replace(/^:/, '')}{` : '%{');
  fields.forEach((e, i) => {
    if (i > 0) w.put(', ');
    if (atomKeys) w.put(`${keywordKey(e.key!.atom!)} `);
    else {
      elixir(e.key ?? {}, w);
      w.put(' => ');
    }
    elixir(e.value ?? {}, w);
  });
  if (omitted) w.put(`${fields.length ? ', ' : ''}…(+${omitted})`);
  w.put('}');
}

function keywordKey(atom: string): string {
  return ELIXIR_PLAIN_ATOM.test(atom) ? `${atom}:` : `${quote(atom, '"')}:`;
}

function isKeywordPair(t: T): boolean {
  const items = t.tuple?.items;
  return !!items && items.length === 2 && !t.tuple!.omitted && items[0].atom != null;
}

// ───────────── Erlang ─────────────

export function erlangAtom(name: string): string {
  return ERLANG_PLAIN_ATOM.test(name) && !ERLANG_RESERVED.has(name) ? name : quote(name, "'");
}

function erlang(t: T, w: Writer): void {
  if (w.full) return;
  if (t.atom != null) return w.put(erlangAtom(t.atom));
  if (t.int != null) return w.put(String(t.int));
  if (t.bigInt) return w.put(bigIntText(t.bigInt));
  if (t.float != null) return w.put(floatText(t.float));
  if (t.binary) {
    const data = t.binary.data ?? new Uint8Array();
    const text = printableUtf8(data);
    w.put(text !== undefined ? `<<${quote(text, '"')}/utf8>>` : `<<${Array.from(data).join(',')}>>`);
    if (t.binary.omittedBytes) w.put(` …(+${t.binary.omittedBytes} bytes)`);
    return;
  }
  if (t.bitstring) return bitstring(t.bitstring, w, ':', '');
  if (t.list) {
    const items = t.list.items ?? [];
    const chars = !t.list.tail && items.length > 0 ? charlist(items) : undefined;
    if (chars !== undefined) return w.put(quote(chars, '"') + (t.list.omitted ? ` …(+${t.list.omitted})` : ''));
    w.put('[');
    items.forEach((it, i) => {
      if (i > 0) w.put(',');
      erlang(it, w);
    });
    if (t.list.tail) {
      w.put('|');
      erlang(t.list.tail, w);
    }
    if (t.list.omitted) w.put(`${items.length ? ',' : ''}…(+${t.list.omitted})`);
    return w.put(']');
  }
  if (t.tuple) return seq('{', t.tuple.items ?? [], Number(t.tuple.omitted ?? 0), '}', w, erlang, ',');
  if (t.map) {
    const entries = t.map.entries ?? [];
    w.put('#{');
    entries.forEach((e, i) => {
      if (i > 0) w.put(',');
      erlang(e.key ?? {}, w);
      w.put(' => ');
      erlang(e.value ?? {}, w);
    });
    if (t.map.omitted) w.put(`${entries.length ? ',' : ''}…(+${t.map.omitted})`);
    return w.put('}');
  }
  if (t.pid) return w.put(t.pid.repr ?? '<?>');
  if (t.port) return w.put(t.port.repr ?? '#Port<?>');
  if (t.ref) return w.put(t.ref.repr ?? '#Ref<?>');
  if (t.fun) return w.put(t.fun.external ? `fun ${erlangAtom(t.fun.module ?? '')}:${erlangAtom(t.fun.name ?? '')}/${t.fun.arity}` : (t.fun.repr ?? '#Fun<?>'));
  if (t.truncated) return w.put(truncatedText(t.truncated));
  w.put('?');
}

// ───────────── shared ─────────────

function seq(open: string, items: T[], omitted: number, close: string, w: Writer, each: (t: T, w: Writer) => void, sep = ', '): void {
  w.put(open);
  items.forEach((it, i) => {
    if (i > 0) w.put(sep);
    each(it, w);
  });
  if (omitted) w.put(`${items.length ? sep : ''}…(+${omitted})`);
  w.put(close);
}

function bitstring(b: elixirscope.Bitstring.$Properties, w: Writer, sizeOpen: string, sizeClose: string): void {
  const data = Array.from(b.data ?? new Uint8Array());
  const bits = b.trailingBits ?? 0;
  const last = data.pop() ?? 0;
  const parts = data.map(String);
  parts.push(`${last >> (8 - bits)}${sizeOpen}${bits}${sizeClose}`);
  w.put(`<<${parts.join(', ')}>>`);
}

export function truncatedText(t: elixirscope.Truncated.$Properties): string {
  return t.reason === 1 ? '…(event size limit)' : '…(depth limit)';
}

export function bigIntText(b: elixirscope.BigInt.$Properties): string {
  let n = 0n;
  for (const byte of b.magnitude ?? []) n = (n << 8n) | BigInt(byte);
  return `${b.negative ? '-' : ''}${n}`;
}

/** Shortest round-trip float text in the `1.0e20` style both Elixir and Erlang read back. */
export function floatText(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  let s = String(f);
  if (/e/.test(s)) {
    const [m, e] = s.split('e');
    s = `${m.includes('.') ? m : `${m}.0`}e${e.replace('+', '')}`;
  } else if (!s.includes('.')) s = `${s}.0`;
  return s;
}

/** The text of a binary when it is valid, printable UTF-8. */
export function printableUtf8(data: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text) ? undefined : text;
}

/** The characters of a list of integers that all print as text (a charlist), else undefined. */
function charlist(items: T[]): string | undefined {
  let s = '';
  for (const it of items) {
    const c = it.int;
    if (c == null) return undefined;
    const n = Number(c);
    if (!((n >= 32 && n <= 126) || n === 10 || n === 9 || n === 13)) return undefined;
    s += String.fromCharCode(n);
  }
  return s;
}

function quote(s: string, q: '"' | "'"): string {
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else out += ch;
  }
  // `#{` would interpolate when pasted back into Elixir source.
  return (q === '"' ? out.replace(/#\{/g, '\\#{') : out) + q;
}
