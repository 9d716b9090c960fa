// Draws sequence diagram rows as SVG: lifelines, one arrow per message (call, reply, cast, info, spawn,
// exit each with its own line and head), activation bars between a call and its reply. Used for the
// on-screen window and, unchanged, for the SVG export.
import type { MessageEvent } from '../adapter/protocol/webviewData';
import { svg } from './dom';
import { formatTime, shorten } from './format';
import { Lane, SeqModel } from './seqModel';
import { rowOfEvent } from './seqFilter';

export const ROW_H = 30;
export const LANE_W = 200;
export const GUTTER_W = 92;
export const HEADER_H = 44;
const CHAR_W = 6.6;

export interface LaneLayout {
  lanes: Lane[];
  x: Map<string, number>;
  width: number;
}

export function layoutLanes(lanes: readonly Lane[], hidden: ReadonlySet<string>): LaneLayout {
  const shown = lanes.filter((l) => !hidden.has(l.pid));
  const x = new Map<string, number>();
  shown.forEach((l, i) => x.set(l.pid, GUTTER_W + i * LANE_W + LANE_W / 2));
  return { lanes: shown, x, width: GUTTER_W + shown.length * LANE_W };
}

/** Arrowheads per kind; ids are per document, so the export gets its own copy with the same ids. */
export function markerDefs(): SVGDefsElement {
  const m = (id: string, d: string, cls: string, w = 10) =>
    svg('marker', { id, viewBox: `0 0 ${w} 10`, refX: w, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, svg('path', { d, class: cls }));
  return svg('defs', undefined,
    m('es-head-call', 'M0,0 L10,5 L0,10 z', 'head solid k-call'),
    m('es-head-reply', 'M0,0 L10,5 L0,10', 'head open k-reply'),
    m('es-head-cast', 'M0,0 L10,5 L0,10', 'head open k-cast'),
    m('es-head-info', 'M0,0 L10,5 L0,10 z', 'head solid k-info'),
    m('es-head-spawn', 'M0,0 L10,5 L0,10 z', 'head solid k-spawn'),
    m('es-head-exit', 'M1,1 L9,9 M9,1 L1,9', 'head open k-exit'),
  );
}

export interface RowMarks {
  cursor: number;
  active: number;
  /** Horizontal range on screen: labels of long arrows are kept inside it. Absent: the whole width. */
  view?: { left: number; right: number };
}

/**
 * Draws rows first..last-1 of `rows` (event indexes) into `into`; row r's top is at (r - first) × ROW_H.
 * Lifelines span the drawn rows.
 */
export function drawRows(into: SVGGElement, model: SeqModel, rows: readonly number[], first: number, last: number, layout: LaneLayout, marks: RowMarks): void {
  const height = (last - first) * ROW_H;
  const parts: SVGElement[] = [];
  // Row highlights go underneath lifelines and activation bars, so they never hide them.
  for (let r = first; r < last; r++) {
    const i = rows[r];
    const cls = ['rowbg'];
    if (i === marks.cursor) cls.push('cursor');
    if (i === marks.active) cls.push('active');
    parts.push(svg('rect', { class: cls.join(' '), 'data-index': i, x: 0, y: (r - first) * ROW_H, width: layout.width, height: ROW_H }));
  }
  for (const l of layout.lanes) {
    const x = layout.x.get(l.pid)!;
    parts.push(svg('line', { class: 'lifeline', x1: x, x2: x, y1: 0, y2: height, 'data-pid': l.pid }));
  }
  parts.push(...activations(model, rows, first, last, layout));
  for (let r = first; r < last; r++) {
    const i = rows[r];
    parts.push(drawEvent(model.events[i], i, (r - first) * ROW_H, layout, marks, model.partner(i)));
  }
  into.replaceChildren(...parts);
}

/** Bars on the callee's lifeline from each call to its reply (the part inside the drawn rows). */
function activations(model: SeqModel, rows: readonly number[], first: number, last: number, layout: LaneLayout): SVGElement[] {
  const out: SVGElement[] = [];
  const mid = (r: number) => (r - first) * ROW_H + ROW_H * 0.66;
  for (let r = first; r < last; r++) {
    const e = model.events[rows[r]];
    if (e.kind !== 'call' && e.kind !== 'reply') continue;
    const p = model.partner(rows[r]);
    if (p === undefined) continue;
    const pr = rowOfEvent(rows, p);
    if (pr < 0) continue;
    // Draw each bar once: from its call, or from the window top for a reply whose call scrolled away.
    if (e.kind === 'reply' && pr >= first) continue;
    const callee = e.kind === 'call' ? e.to : e.from;
    const x = layout.x.get(callee);
    if (x === undefined) continue;
    const top = e.kind === 'call' ? mid(r) : 0;
    const bottom = e.kind === 'call' ? (pr < last ? mid(pr) : (last - first) * ROW_H) : mid(r);
    if (bottom > top) out.push(svg('rect', { class: 'activation', x: x - 4, y: top, width: 8, height: bottom - top }));
  }
  return out;
}

function label(e: MessageEvent): string {
  switch (e.kind) {
    case 'spawn': return `spawn ${e.message.text}`;
    case 'exit': return `exit ${e.message.text}`;
    default: return e.message.text;
  }
}

function drawEvent(e: MessageEvent, index: number, top: number, layout: LaneLayout, marks: RowMarks, partner: number | undefined): SVGGElement {
  const cls = ['msg', `k-${e.kind}`];
  if (index === marks.cursor) cls.push('cursor');
  if (index === marks.active) cls.push('active');
  const g = svg('g', {
    class: cls.join(' '),
    'data-index': index,
    'data-seq': e.seq,
    'data-kind': e.kind,
    'data-from': e.from,
    'data-to': e.to,
    'data-pair': e.pairSeq,
    'data-partner': partner,
    transform: `translate(0 ${top})`,
  });
  const x1 = layout.x.get(e.from)!;
  const x2 = layout.x.get(e.to) ?? x1;
  const y = ROW_H * 0.66;
  g.append(svg('text', { class: 'time', x: 6, y: y + 4 }, formatTime(e.time)));
  const text = label(e);
  const title = svg('title', undefined, `${e.kind} ${e.fromName} → ${e.toName}: ${text}`);
  if (e.kind === 'exit' && (x2 === x1)) {
    g.append(svg('path', { class: 'exit-x', d: `M${x1 - 6},${y - 6} L${x1 + 6},${y + 6} M${x1 + 6},${y - 6} L${x1 - 6},${y + 6}` }));
    g.append(svg('text', { class: 'label', x: x1 + 10, y: y + 4, 'text-anchor': 'start' }, shorten(text, Math.floor((LANE_W * 1.5) / CHAR_W))));
    g.append(svg('rect', { class: 'hit', x: x1 - 10, y: 0, width: LANE_W, height: ROW_H }), title);
    return g;
  }
  if (x1 === x2) {
    // A message to itself: a small loop on its own lifeline.
    g.append(svg('path', { class: 'arrow', d: `M${x1},${y - 10} h 34 v 10 h -32`, 'marker-end': `url(#es-head-${e.kind})` }));
    g.append(svg('text', { class: 'label', x: x1 + 40, y: y - 2, 'text-anchor': 'start' }, shorten(text, Math.floor((LANE_W - 50) / CHAR_W))));
    g.append(svg('rect', { class: 'hit', x: x1 - 6, y: 0, width: LANE_W - 10, height: ROW_H }), title);
    return g;
  }
  const dir = x2 > x1 ? 1 : -1;
  // Start/end just off the activation bars so heads stay visible.
  g.append(svg('line', { class: 'arrow', x1: x1 + dir * 4, y1: y, x2: x2 - dir * 5, y2: y, 'marker-end': `url(#es-head-${e.kind})` }));
  if (e.kind === 'spawn') g.append(svg('circle', { class: 'spawned', cx: x2, cy: y, r: 4 }));
  const span = Math.abs(x2 - x1);
  // Keep the label over the part of the arrow that is on screen (arrows can span dozens of lanes).
  const lo = Math.max(Math.min(x1, x2), marks.view?.left ?? -Infinity);
  const hi = Math.min(Math.max(x1, x2), marks.view?.right ?? Infinity);
  const visible = hi > lo ? hi - lo : span;
  const shown = shorten(text, Math.max(10, Math.floor((visible - 12) / CHAR_W)));
  const half = (shown.length * CHAR_W) / 2 + 4;
  const lx = hi - lo > 2 * half ? Math.min(Math.max((x1 + x2) / 2, lo + half), hi - half) : (x1 + x2) / 2;
  g.append(svg('text', { class: 'label', x: lx, y: y - 5, 'text-anchor': 'middle' }, shown));
  g.append(svg('rect', { class: 'hit', x: Math.min(x1, x2) - 6, y: 0, width: span + 12, height: ROW_H }), title);
  return g;
}

/** Which end of an arrow a click at x is nearer to: the send side or the receive side. */
export function clickedSide(e: MessageEvent, x: number, layout: LaneLayout): 'send' | 'receive' {
  const x1 = layout.x.get(e.from);
  const x2 = layout.x.get(e.to);
  if (x1 === undefined || x2 === undefined || x1 === x2) return 'send';
  return Math.abs(x - x2) < Math.abs(x - x1) ? 'receive' : 'send';
}
