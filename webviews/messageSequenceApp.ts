// Message sequence view: wires host messages (init, pages, live appends, cursor) to the model, the
// filter toolbar and the windowed SVG diagram; clicks and keys move the debugger's cursor; exports.
import type { HostToView, MessageEvent } from '../adapter/protocol/webviewData';
import { el, svg } from './dom';
import { formatCount, formatTime } from './format';
import { HostBridge } from './hostBridge';
import { toMermaid } from './mermaidExport';
import { PagedStream } from './pagedStream';
import { emptyFilter, filterEvents, rowAtOrBefore } from './seqFilter';
import { SeqModel } from './seqModel';
import { clickedSide, drawRows, GUTTER_W, HEADER_H, LANE_W, layoutLanes, markerDefs, ROW_H } from './seqRender';
import { SeqToolbar } from './seqToolbar';
import { toSvg } from './svgExport';
import { RowWindow, VirtualScroller } from './virtualScroller';

/** Exports cover the whole filtered/zoomed diagram up to this many messages, else the rows on screen. */
export const EXPORT_ALL_MAX = 1000;

export function startMessageSequence(root: HTMLElement, host: HostBridge): void {
  const filter = emptyFilter();
  let rows: number[] = [];
  let cursorSeq: number | null = null;
  let cursorIdx = -1;
  let active = -1;
  let live = false;
  let note = '';
  /** From init's onlyPids: processes not listed start hidden, also those that appear later. */
  let only: Set<string> | undefined;

  const stream = new PagedStream<'messages'>('messages', (m) => host.post(m), (from) => added(from));
  const model = new SeqModel(stream.items);
  let layout = layoutLanes([], filter.hiddenPids);

  const title = el('h1', 'title', undefined, 'Message sequence');
  const status = el('span', 'status', { role: 'status' });
  const toolbar = new SeqToolbar(filter, {
    changed: () => refilter(),
    exportAs: (f) => exportAs(f),
    shownRange: () => {
      const w = scroller.visibleRows();
      if (w.last <= w.first) return undefined;
      return { fromNs: model.events[rows[w.first]].time, toNs: model.events[rows[w.last - 1]].time };
    },
  });
  const headerEl = el('div', 'seq-header', { 'aria-hidden': 'true' });
  const rowsG = svg('g', { class: 'rows' });
  const svgEl = svg('svg', { class: 'seq-window', role: 'img', 'aria-label': 'Message sequence diagram' }, markerDefs(), rowsG);
  const spacer = el('div', 'vspacer seq-body', undefined, svgEl);
  const scrollEl = el('div', 'seq-scroll', { tabindex: 0, 'aria-label': 'Messages: arrow keys to move, Enter to move the debugger there (Shift+Enter: receive side)' }, headerEl, spacer);
  const announcer = el('div', 'sr-only', { 'aria-live': 'polite' });
  root.replaceChildren(el('header', 'toolbar', undefined, title, status), toolbar.element, scrollEl, announcer);

  const scroller = new VirtualScroller(scrollEl, spacer, ROW_H, (w) => render(w), HEADER_H);

  function render(w: RowWindow): void {
    svgEl.style.transform = `translateY(${w.first * ROW_H}px)`;
    svgEl.setAttribute('width', String(layout.width));
    svgEl.setAttribute('height', String(Math.max(1, (w.last - w.first) * ROW_H)));
    const view = { left: scrollEl.scrollLeft + GUTTER_W, right: scrollEl.scrollLeft + (scrollEl.clientWidth || layout.width) };
    drawRows(rowsG, model, rows, w.first, w.last, layout, { cursor: cursorIdx, active, view });
    drawGaps(w);
    performance.mark('elixirscope:render');
  }

  /** A dashed marker across every lifeline between a message and the one before it, where the recording
   *  has no events (the agent lost or sampled them): drawn on the rows' boundary, labelled in the gutter. */
  function drawGaps(w: RowWindow): void {
    for (let r = w.first; r < w.last && r < rows.length; r++) {
      const gap = model.events[rows[r]].gapBefore;
      if (!gap) continue;
      const y = (r - w.first) * ROW_H;
      rowsG.append(svg('g', { class: 'gap-marker', 'data-index': rows[r], 'data-count': gap.count },
        svg('title', undefined, gap.text),
        svg('line', { class: 'gap-line', x1: 0, x2: layout.width, y1: y + 1, y2: y + 1 }),
        svg('text', { class: 'gap-label', x: GUTTER_W + 6, y: y + 11 }, `⋯ ${gap.count.toLocaleString('en-US')} events not recorded`)));
    }
  }

  function relayout(): void {
    layout = layoutLanes(model.lanes, filter.hiddenPids);
    headerEl.replaceChildren(...layout.lanes.map((l) => {
      // Two lines, name over pid: long via-names stay readable in a narrow lane.
      const m = /^(.*?)\s*(<[^<>]*>)$/.exec(l.name);
      const d = el('div', 'lane-label', { title: l.name, 'data-pid': l.pid },
        el('span', 'lane-name', undefined, m ? m[1] || m[2] : l.name), el('span', 'lane-pid', undefined, m && m[1] ? m[2] : ''));
      // Geometry through CSSOM, not style attributes (strict CSP).
      d.style.left = `${layout.x.get(l.pid)! - LANE_W / 2 + 6}px`;
      d.style.width = `${LANE_W - 12}px`;
      return d;
    }));
    headerEl.style.width = spacer.style.width = `${layout.width}px`;
  }

  function showStatus(): void {
    const loading = stream.complete ? '' : ` · loading ${formatCount(stream.items.length)}/${formatCount(stream.total)}`;
    const zoom = filter.fromNs !== undefined || filter.toNs !== undefined ? ` · zoom ${filter.fromNs !== undefined ? formatTime(filter.fromNs) : 'start'}–${filter.toNs !== undefined ? formatTime(filter.toNs) : 'end'}` : '';
    status.textContent = `${formatCount(rows.length)} of ${formatCount(stream.total)} messages${zoom}${loading}${live ? ' · recording' : ''}${note ? ` · ${note}` : ''}`;
    document.body.dataset.rows = String(rows.length);
  }

  function refilter(): void {
    relayout();
    rows = filterEvents(model, filter, []);
    scroller.setCount(rows.length);
    revealCursor(false);
    scroller.refresh();
    showStatus();
  }

  function added(from: number): void {
    const lanesBefore = model.lanes.length;
    const newLanes = model.index(from);
    if (only) for (const l of model.lanes.slice(lanesBefore)) if (!only.has(l.pid)) filter.hiddenPids.add(l.pid);
    if (newLanes || from === 0) {
      toolbar.setLanes(model.lanes);
      relayout();
    }
    const follow = from > 0 && live && scroller.atEnd();
    filterEvents(model, filter, rows, from);
    scroller.setCount(rows.length);
    const before = cursorIdx;
    if (cursorSeq !== null) cursorIdx = model.eventAtCursor(cursorSeq);
    if (follow) scroller.scrollToEnd();
    // The cursor's event arrived in this page (init on a cursor far into a paged recording).
    else if (cursorIdx !== before && cursorIdx >= 0 && active < 0) revealCursor();
    else scroller.refresh();
    showStatus();
  }

  function revealCursor(andRender = true): void {
    if (cursorIdx < 0) return;
    const r = rowAtOrBefore(rows, cursorIdx);
    if (r >= 0) scroller.reveal(r);
    else if (andRender) scroller.refresh();
  }

  function moveCursorTo(index: number, side: 'send' | 'receive'): void {
    const e: MessageEvent | undefined = model.events[index];
    if (!e) return;
    const receive = side === 'receive' && e.receiveSeq !== undefined;
    host.post({ type: 'moveCursor', seq: receive ? e.receiveSeq! : e.seq, pid: receive ? e.to : e.from });
  }

  function setActive(index: number): void {
    active = index;
    const e = model.events[index];
    if (e) announcer.textContent = `${e.kind} from ${e.fromName} to ${e.toName}: ${e.message.text}, at ${formatTime(e.time)}`;
  }

  svgEl.addEventListener('click', (ev) => {
    const g = (ev.target as Element).closest<SVGGElement>('g.msg');
    if (!g) return;
    const index = Number(g.dataset.index);
    const x = ev.clientX - svgEl.getBoundingClientRect().left;
    setActive(index);
    moveCursorTo(index, clickedSide(model.events[index], x, layout));
    scroller.refresh();
  });

  // Pointing at a call lights up its reply (and the other way round): the arrows and their row highlights.
  let lit: Element[] = [];
  const light = (index: string, cls: string) => {
    for (const e of Array.from(rowsG.querySelectorAll(`[data-index="${index}"]`))) {
      e.classList.add(cls);
      lit.push(e);
    }
  };
  svgEl.addEventListener('mouseover', (ev) => {
    const g = (ev.target as Element).closest<SVGGElement>('g.msg');
    for (const e of lit) e.classList.remove('hovered', 'paired');
    lit = [];
    if (!g) return;
    light(g.dataset.index!, 'hovered');
    if (g.dataset.partner !== undefined) light(g.dataset.partner, 'paired');
  });

  scrollEl.addEventListener('keydown', (ev) => {
    if (rows.length === 0) return;
    const cur = active >= 0 ? rowAtOrBefore(rows, active) : -1;
    const page = Math.max(1, Math.floor((scrollEl.clientHeight - HEADER_H) / ROW_H) - 1);
    const target: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: rows.length - 1 };
    if (ev.key in target) {
      ev.preventDefault();
      const r = Math.max(0, Math.min(rows.length - 1, target[ev.key]));
      setActive(rows[r]);
      scroller.reveal(r);
    } else if (ev.key === 'Enter' && active >= 0) {
      ev.preventDefault();
      moveCursorTo(active, ev.shiftKey ? 'receive' : 'send');
    }
  });

  function exportAs(format: 'mermaid' | 'svg'): void {
    const range = rows.length <= EXPORT_ALL_MAX ? { first: 0, last: rows.length } : scroller.visibleRows();
    const content = format === 'mermaid'
      ? toMermaid(rows.slice(range.first, range.last).map((i) => model.events[i]), layout.lanes)
      : toSvg(model, rows, range.first, range.last, layout);
    host.post({ type: 'export', format, content, suggestedName: format === 'mermaid' ? 'sequence.mmd' : 'sequence.svg' });
    note = `exported ${formatCount(range.last - range.first)} messages as ${format === 'mermaid' ? 'Mermaid' : 'SVG'}`;
    showStatus();
  }

  host.onMessage((m: HostToView) => {
    switch (m.type) {
      case 'init':
        if (m.view !== 'messageSequence') return;
        title.textContent = m.title;
        document.title = m.title;
        live = m.live;
        cursorSeq = m.cursorSeq ?? null;
        cursorIdx = -1;
        active = -1;
        note = '';
        model.clear();
        rows = [];
        filter.hiddenPids.clear();
        only = m.onlyPids ? new Set(m.onlyPids) : undefined;
        stream.reset(m.items, m.total);
        if (m.items.length === 0) added(0);
        if (cursorIdx >= 0) revealCursor();
        break;
      case 'append':
        if (m.stream === 'messages') stream.append(m.from, m.items);
        break;
      case 'page':
        if (m.stream === 'messages') stream.page(m.requestId, m.from, m.items, m.total);
        break;
      case 'cursor':
        cursorSeq = m.seq;
        cursorIdx = m.seq === null ? -1 : model.eventAtCursor(m.seq);
        if (cursorIdx >= 0) revealCursor();
        else scroller.refresh();
        break;
      case 'live':
        live = m.live;
        showStatus();
        break;
      case 'error':
        note = `error: ${m.message}`;
        showStatus();
        break;
    }
  });
  host.post({ type: 'ready', view: 'messageSequence' });
}

