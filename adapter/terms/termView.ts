// Captured terms as the webviews' TermView trees (adapter/protocol/webviewData.ts): Elixir text per node,
// children for maps, structs, lists, tuples and keyword lists, cut parts marked.
import type { elixirscope } from '../gen/wire';
import type { TermChild, TermKind, TermView } from '../protocol/webviewData';
import { elixirAtom, formatTerm, printableUtf8 } from './format';

type Term = elixirscope.Term.$Properties;

/** Longest `text` of a container node; scalars get the same limit (the agent already bounds sizes). */
const TEXT_LIMIT = 1000;

/** A captured term as a TermView tree: Elixir text per node, children for maps, structs, lists, tuples, keyword lists. */
export function termView(t: Term | null | undefined): TermView {
  const term = t ?? {};
  const kind = termKind(term);
  if (term.tuple) {
    const items = (term.tuple.items ?? []).map(termView);
    const v: TermView = { kind, text: '', children: items.map((value, i) => ({ key: `{${i}}`, value })) };
    v.text = clip(`{${items.map((i) => i.text).join(', ')}${more(items.length, v, term.tuple.omitted)}}`);
    return v;
  }
  if (term.list && (kind === 'list' || kind === 'keyword')) {
    const l = term.list;
    if (kind === 'keyword') {
      const pairs = (l.items ?? []).map((it) => ({ key: it.tuple!.items![0].atom!, value: termView(it.tuple!.items![1]) }));
      if (!pairs.every((p) => PLAIN_ATOM.test(p.key))) return withOmitted({ ...textOnly(term, kind), children: uniqueKeys(pairs) }, l.omitted);
      const v: TermView = { kind, text: '' };
      v.text = clip(`[${pairs.map((p) => `${p.key}: ${p.value.text}`).join(', ')}${l.omitted ? `, …(+${l.omitted})` : ''}]`);
      v.children = uniqueKeys(pairs);
      omitted(v, l.omitted);
      return v;
    }
    const items = (l.items ?? []).map(termView);
    const v: TermView = { kind, text: '', children: items.map((value, i) => ({ key: `[${i}]`, value })) };
    const tail = l.tail ? termView(l.tail) : undefined;
    if (tail) v.children!.push({ key: '| tail', value: tail });
    v.text = clip(`[${items.map((i) => i.text).join(', ')}${tail ? ` | ${tail.text}` : ''}${more(items.length, v, l.omitted)}]`);
    return v;
  }
  if (term.map) {
    const struct = kind === 'struct';
    const fields = (term.map.entries ?? []).filter((e) => !(struct && e.key?.atom === '__struct__'));
    const atomKeys = fields.every((e) => e.key?.atom != null);
    const children = fields.map((e) => ({ key: e.key?.atom != null ? e.key.atom : formatTerm(e.key ?? {}, { maxLength: 80 }), value: termView(e.value) }));
    if (atomKeys && !children.every((c) => PLAIN_ATOM.test(c.key))) return withOmitted({ ...textOnly(term, kind), children: uniqueKeys(children) }, term.map.omitted);
    const open = struct ? `%${elixirAtom(term.map.entries!.find((e) => e.key?.atom === '__struct__')!.value!.atom!).replace(/^:/, '')}{` : '%{';
    const parts = fields.map((e, i) => (atomKeys ? `${children[i].key}: ${children[i].value.text}` : `${formatTerm(e.key ?? {})} => ${children[i].value.text}`));
    const v: TermView = { kind, text: '', children: uniqueKeys(children) };
    v.text = clip(`${open}${parts.join(', ')}${more(fields.length, v, term.map.omitted)}}`);
    return v;
  }
  return textOnly(term, kind);
}

/** Atoms Elixir writes bare as keyword keys (`balance:`); others make the node fall back to formatTerm. */
const PLAIN_ATOM = /^[a-zA-Z_][a-zA-Z0-9_@]*[?!]?$/;

function withOmitted(v: TermView, n: number | null | undefined): TermView {
  omitted(v, n);
  return v;
}

function textOnly(term: Term, kind: TermKind): TermView {
  // One past the limit, then clip: the writer stops without a mark when parts end exactly at its limit.
  return { kind, text: clip(formatTerm(term, { maxLength: TEXT_LIMIT + 1 })) };
}

/** The "…(+N)" of a cut collection (as terms/format.ts writes it), recording `omitted` on the node. */
function more(shown: number, v: TermView, n: number | null | undefined): string {
  omitted(v, n);
  return v.omitted ? `${shown ? ', ' : ''}…(+${v.omitted})` : '';
}

/** Container texts are composed from their children's (linear, unlike formatting each subtree again), cut like formatTerm's. */
function clip(s: string): string {
  return s.length > TEXT_LIMIT ? `${s.slice(0, TEXT_LIMIT - 1)}…` : s;
}

function termKind(t: Term): TermKind {
  if (t.atom != null) return 'atom';
  if (t.int != null || t.bigInt) return 'int';
  if (t.float != null) return 'float';
  if (t.binary) return printableUtf8(t.binary.data ?? new Uint8Array()) !== undefined ? 'string' : 'binary';
  if (t.bitstring) return 'bitstring';
  if (t.list) {
    const items = t.list.items ?? [];
    if (!t.list.tail && items.length > 0) {
      if (items.every((it) => it.int != null && isPrintable(Number(it.int)))) return 'charlist';
      if (items.every((it) => it.tuple?.items?.length === 2 && !it.tuple.omitted && it.tuple.items[0].atom != null)) return 'keyword';
    }
    return 'list';
  }
  if (t.tuple) return 'tuple';
  if (t.map) return t.map.entries?.some((e) => e.key?.atom === '__struct__' && e.value?.atom) ? 'struct' : 'map';
  if (t.pid) return 'pid';
  if (t.port) return 'port';
  if (t.ref) return 'ref';
  if (t.fun) return 'fun';
  if (t.truncated) return 'truncated';
  return 'other';
}

/** The same characters terms/format.ts prints as a charlist. */
function isPrintable(n: number): boolean {
  return (n >= 32 && n <= 126) || n === 10 || n === 9 || n === 13;
}

function omitted(v: TermView, n: number | null | undefined): void {
  const k = Number(n ?? 0);
  if (k > 0) v.omitted = k;
}

/** Keyword lists may repeat keys; rendered keys must be unique within a parent: `key`, `key (2)`, … */
function uniqueKeys(children: TermChild[]): TermChild[] {
  const seen = new Map<string, number>();
  for (const c of children) {
    const n = (seen.get(c.key) ?? 0) + 1;
    seen.set(c.key, n);
    if (n > 1) c.key = `${c.key} (${n})`;
  }
  return children;
}

export const NOT_KEPT = (what: string): TermView => ({ kind: 'truncated', text: `…(${what} too large to keep)` });
