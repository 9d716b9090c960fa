// Decodes terms the agent sent whole (`Term.etf`: Erlang's external term format) into the same Term
// shape the rest of the adapter renders, and keeps the exact bytes for sending a term back to the node.
import { MAX_CAPTURE_DEPTH } from '../gen/version';
import type { elixirscope } from '../gen/wire';

type Term = elixirscope.Term.$Properties;

/** Items shown per list, tuple or map of a decoded term; the rest is counted in `omitted`, as the agent does. */
export const ETF_MAX_ITEMS = 10_000;

const exactBytes = new WeakMap<object, Uint8Array>();

/**
 * The external-term-format bytes a decoded term came from, when it was captured whole: sending these
 * back (e.g. as a Debug Console binding) rebuilds the exact term, local funs, pids and refs included.
 */
export function etfSource(term: Term): Uint8Array | undefined {
  return exactBytes.get(term);
}

/** A term for the wire: the original `{etf}` form when it has one, else the term itself. */
export function termForWire(term: Term): Term {
  const bytes = exactBytes.get(term);
  return bytes ? { etf: bytes } : term;
}

export class EtfError extends Error {}

/**
 * Replaces, in place, every `{etf}` Term inside a decoded message (EventBody, EvalResult, …) by its
 * structured form. Returns the same object. Malformed bytes become a visible `truncated` term, never
 * an exception: one bad term must not hide the rest of an event.
 */
export function expandEtf<T>(msg: T): T {
  walk(msg, 0);
  return msg;
}

function walk(v: unknown, depth: number): void {
  if (v === null || typeof v !== 'object' || depth > 64 || ArrayBuffer.isView(v)) return;
  if (Array.isArray(v)) {
    for (const x of v) walk(x, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  const etf = o.etf;
  if (etf instanceof Uint8Array && etf.length > 0) {
    let decoded: Term;
    try {
      decoded = decodeEtf(etf);
    } catch {
      decoded = { truncated: { reason: 1 } };
    }
    delete o.etf;
    Object.assign(o, decoded);
    exactBytes.set(o, etf);
    return;
  }
  for (const k of Object.keys(o)) walk(o[k], depth + 1);
}

/** Decodes one external-term-format binary (starting with version byte 131) into a Term. */
export function decodeEtf(bytes: Uint8Array): Term {
  const r = new Reader(bytes);
  if (r.u8() !== 131) throw new EtfError('not an external term (version byte)');
  const t = r.term(0);
  if (r.pos !== bytes.length) throw new EtfError('trailing bytes after the term');
  return t;
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');
const SAFE = 2n ** 53n;

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new EtfError('term ends early');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** An atom in any of its encodings (as a bare string), for names inside pids, funs, … */
  atomText(): string {
    const tag = this.u8();
    switch (tag) {
      case 118: return utf8.decode(this.bytes(this.u16())); // ATOM_UTF8_EXT
      case 119: return utf8.decode(this.bytes(this.u8())); // SMALL_ATOM_UTF8_EXT
      case 100: return latin1.decode(this.bytes(this.u16())); // ATOM_EXT
      case 115: return latin1.decode(this.bytes(this.u8())); // SMALL_ATOM_EXT
      default: throw new EtfError(`expected an atom, found tag ${tag}`);
    }
  }

  /** A small integer or big integer, as a JS number (for ids inside pids and refs). */
  intValue(): number {
    const tag = this.u8();
    if (tag === 97) return this.u8();
    if (tag === 98) return this.i32();
    if (tag === 110 || tag === 111) {
      const n = tag === 110 ? this.u8() : this.u32();
      const sign = this.u8();
      const digits = this.bytes(n);
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + digits[i];
      return sign ? -v : v;
    }
    throw new EtfError(`expected an integer, found tag ${tag}`);
  }

  term(depth: number): Term {
    if (depth >= MAX_CAPTURE_DEPTH) {
      this.skip();
      return { truncated: { reason: 0 } };
    }
    const tag = this.u8();
    switch (tag) {
      case 97: return { int: this.u8() }; // SMALL_INTEGER_EXT
      case 98: return { int: this.i32() }; // INTEGER_EXT
      case 70: { // NEW_FLOAT_EXT
        this.need(8);
        const f = this.view.getFloat64(this.pos);
        this.pos += 8;
        return { float: f };
      }
      case 99: return { float: parseFloat(latin1.decode(this.bytes(31)).replace(/\0+$/, '')) }; // FLOAT_EXT
      case 118: case 119: case 100: case 115:
        this.pos--;
        return { atom: this.atomText() };
      case 110: case 111: return this.big(tag);
      case 104: return this.tuple(this.u8(), depth); // SMALL_TUPLE_EXT
      case 105: return this.tuple(this.u32(), depth); // LARGE_TUPLE_EXT
      case 106: return { list: {} }; // NIL_EXT
      case 107: { // STRING_EXT: a list of bytes
        const data = this.bytes(this.u16());
        const n = Math.min(data.length, ETF_MAX_ITEMS);
        const items: Term[] = [];
        for (let i = 0; i < n; i++) items.push({ int: data[i] });
        return { list: { items, omitted: data.length - n } };
      }
      case 108: return this.list(this.u32(), depth); // LIST_EXT
      case 109: return { binary: { data: this.bytes(this.u32()) } }; // BINARY_EXT
      case 77: { // BIT_BINARY_EXT: the last byte holds `bits` significant high bits
        const len = this.u32();
        const bits = this.u8();
        const data = this.bytes(len);
        return bits === 8 || len === 0 ? { binary: { data } } : { bitstring: { data, trailingBits: bits } };
      }
      case 116: return this.map(this.u32(), depth); // MAP_EXT
      case 88: case 103: return this.pid(tag); // NEW_PID_EXT, PID_EXT
      case 89: case 102: case 120: return this.port(tag); // NEW_PORT_EXT, PORT_EXT, V4_PORT_EXT
      case 90: case 114: return this.ref(tag); // NEWER_REFERENCE_EXT, NEW_REFERENCE_EXT
      case 101: { // REFERENCE_EXT (old)
        const node = this.atomText();
        const id = this.u32();
        this.u8();
        return { ref: { node, repr: `#Ref<${localPart(node)}.${id}>` } };
      }
      case 113: { // EXPORT_EXT: fun Module:Name/Arity
        const module = this.atomText();
        const name = this.atomText();
        const arity = this.intValue();
        return { fun: { module, name, arity, external: true, repr: `fun ${module}:${name}/${arity}` } };
      }
      case 112: return this.fun(); // NEW_FUN_EXT
      default: throw new EtfError(`unsupported term tag ${tag}`);
    }
  }

  private big(tag: number): Term {
    const n = tag === 110 ? this.u8() : this.u32();
    const negative = this.u8() !== 0;
    const le = this.bytes(n);
    let len = n;
    while (len > 0 && le[len - 1] === 0) len--;
    // Exactly the agent's rule: integers within ±2^53 are plain numbers, all others big_int.
    if (len <= 7) {
      let v = 0n;
      for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(le[i]);
      if (v <= SAFE) return { int: negative ? -Number(v) : Number(v) };
    }
    const magnitude = new Uint8Array(len);
    for (let i = 0; i < len; i++) magnitude[i] = le[len - 1 - i];
    return { bigInt: { negative, magnitude } };
  }

  private tuple(n: number, depth: number): Term {
    const shown = Math.min(n, ETF_MAX_ITEMS);
    const items: Term[] = [];
    for (let i = 0; i < n; i++) {
      if (i < shown) items.push(this.term(depth + 1));
      else this.skip();
    }
    return { tuple: { items, omitted: n - shown } };
  }

  private list(n: number, depth: number): Term {
    const shown = Math.min(n, ETF_MAX_ITEMS);
    const items: Term[] = [];
    for (let i = 0; i < n; i++) {
      if (i < shown) items.push(this.term(depth + 1));
      else this.skip();
    }
    if (this.b[this.pos] === 106) {
      this.pos++;
      return { list: { items, omitted: n - shown } };
    }
    const tail = this.term(depth + 1);
    return n > shown ? { list: { items, omitted: n - shown } } : { list: { items, tail } };
  }

  private map(n: number, depth: number): Term {
    const shown = Math.min(n, ETF_MAX_ITEMS);
    const entries: elixirscope.MapEntry.$Properties[] = [];
    for (let i = 0; i < n; i++) {
      if (i < shown) entries.push({ key: this.term(depth + 1), value: this.term(depth + 1) });
      else {
        this.skip();
        this.skip();
      }
    }
    return { map: { entries, omitted: n - shown } };
  }

  private pid(tag: number): Term {
    const node = this.atomText();
    const id = this.u32();
    const serial = this.u32();
    if (tag === 88) this.u32();
    else this.u8();
    return { pid: { node, repr: `<${localPart(node)}.${id}.${serial}>` } };
  }

  private port(tag: number): Term {
    const node = this.atomText();
    let id: number;
    if (tag === 120) {
      this.need(8);
      id = Number(this.view.getBigUint64(this.pos));
      this.pos += 8;
    } else id = this.u32();
    if (tag === 102) this.u8();
    else this.u32();
    return { port: { node, repr: `#Port<${localPart(node)}.${id}>` } };
  }

  private ref(tag: number): Term {
    const len = this.u16();
    const node = this.atomText();
    if (tag === 90) this.u32();
    else this.u8();
    const words: number[] = [];
    for (let i = 0; i < len; i++) words.push(this.u32());
    return { ref: { node, repr: `#Ref<${localPart(node)}.${words.reverse().join('.')}>` } };
  }

  private fun(): Term {
    const size = this.u32();
    const end = this.pos - 4 + size;
    const arity = this.u8();
    this.bytes(16); // uniq
    const index = this.u32();
    this.u32(); // number of free variables
    const module = this.atomText();
    this.intValue(); // old index
    const oldUniq = this.intValue();
    this.pos = end; // creator pid and free variables: not shown
    if (end > this.b.length) throw new EtfError('term ends early');
    const name = `${index}.${oldUniq >>> 0}`;
    return { fun: { module, name, arity, external: false, repr: `#Fun<${module}.${index}.${oldUniq >>> 0}>` } };
  }

  /** Skips one term (cut by the item or depth limit). */
  skip(): void {
    const tag = this.u8();
    switch (tag) {
      case 97: this.pos += 1; break;
      case 98: this.pos += 4; break;
      case 70: this.pos += 8; break;
      case 99: this.pos += 31; break;
      case 118: case 100: this.pos += this.u16(); break;
      case 119: case 115: this.pos += this.u8(); break;
      case 110: this.pos += this.u8() + 1; break;
      case 111: this.pos += this.u32() + 1; break;
      case 104: for (let n = this.u8(); n > 0; n--) this.skip(); break;
      case 105: for (let n = this.u32(); n > 0; n--) this.skip(); break;
      case 106: break;
      case 107: this.pos += this.u16(); break;
      case 108: for (let n = this.u32() + 1; n > 0; n--) this.skip(); break;
      case 109: this.pos += this.u32(); break;
      case 77: { const len = this.u32(); this.pos += 1 + len; break; }
      case 116: for (let n = this.u32() * 2; n > 0; n--) this.skip(); break;
      case 88: this.skip(); this.pos += 12; break;
      case 103: this.skip(); this.pos += 9; break;
      case 89: this.skip(); this.pos += 8; break;
      case 102: this.skip(); this.pos += 5; break;
      case 120: this.skip(); this.pos += 12; break;
      case 90: { const len = this.u16(); this.skip(); this.pos += 4 + 4 * len; break; }
      case 114: { const len = this.u16(); this.skip(); this.pos += 1 + 4 * len; break; }
      case 101: this.skip(); this.pos += 5; break;
      case 113: this.skip(); this.skip(); this.skip(); break;
      case 112: { const size = this.u32(); this.pos += size - 4; break; }
      default: throw new EtfError(`unsupported term tag ${tag}`);
    }
    if (this.pos > this.b.length) throw new EtfError('term ends early');
  }
}

let localNode: string | undefined;

/**
 * Names the debugged node, so identifiers of that node print as the agent prints them (`<0.123.0>`,
 * the same text as thread ids). An identifier of another node prints with its node name instead of
 * the node-table index the VM would show, which only that VM knows.
 */
export function setEtfLocalNode(node: string | undefined): void {
  localNode = node;
}

function localPart(node: string): string {
  return localNode === undefined || node === localNode || node === 'nonode@nohost' ? '0' : node;
}
