// Which messages the sequence diagram shows: hidden processes, kinds, a time range (zoom) and a message
// pattern — plain text, `/regex/`, or an Elixir-like term pattern with `_` wildcards (`{:withdraw, _}`).
import type { MessageEvent, MessageKind } from '../adapter/protocol/webviewData';
import { lastAtOrBefore } from './format';
import { SeqModel } from './seqModel';

export const ALL_KINDS: readonly MessageKind[] = ['call', 'reply', 'cast', 'info', 'spawn', 'exit'];

export interface SeqFilter {
  hiddenPids: Set<string>;
  kinds: Set<MessageKind>;
  pattern: string;
  /** Zoom: recording time range in ns (inclusive); undefined = unbounded. */
  fromNs?: number;
  toNs?: number;
}

export function emptyFilter(): SeqFilter {
  return { hiddenPids: new Set(), kinds: new Set(ALL_KINDS), pattern: '' };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Text matcher for the pattern box; throws SyntaxError for a bad /regex/ (shown to the user). */
export function compilePattern(pattern: string): ((text: string) => boolean) | undefined {
  const p = pattern.trim();
  if (!p) return undefined;
  const re = /^\/(.+)\/([imsu]*)$/.exec(p);
  if (re) {
    const r = new RegExp(re[1], re[2]);
    return (t) => r.test(t);
  }
  // A term pattern: `_` and `_name` match any subterm, the rest literally (spaces flexible).
  if (/^[[{%]/.test(p) && /(^|[^\w])_\w*/.test(p)) {
    const parts = p.split(/(?<![\w])_\w*/);
    const body = parts.map((s) => escapeRe(s).replace(/\s+/g, '\\s*')).join('.*?');
    const r = new RegExp(`^${body}$`, 's');
    return (t) => r.test(t);
  }
  const lower = p.toLowerCase();
  return (t) => t.toLowerCase().includes(lower);
}

export function eventPredicate(model: SeqModel, f: SeqFilter): (e: MessageEvent) => boolean {
  const match = compilePattern(f.pattern);
  const hidden = f.hiddenPids;
  const allKinds = f.kinds.size === ALL_KINDS.length;
  return (e) => {
    if (!allKinds && !f.kinds.has(e.kind)) return false;
    if (f.fromNs !== undefined && e.time < f.fromNs) return false;
    if (f.toNs !== undefined && e.time > f.toNs) return false;
    // A message is drawn between two lifelines: both must be shown (an exit only needs its own).
    if (hidden.size > 0 && (hidden.has(e.from) || (e.to !== e.from && e.kind !== 'exit' && hidden.has(e.to)))) return false;
    if (match && !match(e.message.text)) return false;
    return true;
  };
}

/** Event indexes (ascending) from `from` on that pass the filter, appended to `out`. */
export function filterEvents(model: SeqModel, f: SeqFilter, out: number[], from = 0): number[] {
  const ok = eventPredicate(model, f);
  const events = model.events;
  for (let i = from; i < events.length; i++) if (ok(events[i])) out.push(i);
  return out;
}

/** Row of an event among the filtered ones (binary search), or -1 when filtered out. */
export function rowOfEvent(rows: readonly number[], eventIndex: number): number {
  const row = rowAtOrBefore(rows, eventIndex);
  return row >= 0 && rows[row] === eventIndex ? row : -1;
}

const eventIndexOfRow = (eventIndex: number): number => eventIndex;

/** Row of the last shown event at or before `eventIndex` (for a cursor on a hidden event), or -1. */
export function rowAtOrBefore(rows: readonly number[], eventIndex: number): number {
  return lastAtOrBefore(rows, eventIndex, eventIndexOfRow);
}
