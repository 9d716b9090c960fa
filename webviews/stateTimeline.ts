// The state history's left pane: a windowed list of versions (version, callback, message, caller, time),
// keyboard navigable, marking the selection, the pinned comparison base, the cursor's version and restarts.
import type { StateVersion } from '../adapter/protocol/webviewData';
import { el } from './dom';
import { formatTime, shorten } from './format';
import { RowWindow, VirtualScroller } from './virtualScroller';

export const VERSION_ROW_HEIGHT = 26;

const CALLBACK_LABEL: Record<StateVersion['callback'], string> = {
  init: 'init', handle_call: 'call', handle_cast: 'cast', handle_info: 'info', handle_continue: 'continue', initial: 'initial',
};

export interface TimelineMarks {
  selected: number;
  base: number | undefined;
  cursor: number;
}

export class StateTimeline {
  readonly element: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly scroller: VirtualScroller;

  constructor(
    private readonly versions: readonly StateVersion[],
    private readonly marks: () => TimelineMarks,
    private readonly onPick: (index: number, how: 'click' | 'key' | 'pin') => void,
  ) {
    const spacer = el('div', 'vspacer');
    this.layer = el('div', 'vlayer');
    spacer.append(this.layer);
    this.element = el('div', 'timeline', { role: 'listbox', tabindex: 0, 'aria-label': 'State versions' }, spacer);
    this.scroller = new VirtualScroller(this.element, spacer, VERSION_ROW_HEIGHT, (w) => this.render(w));
    this.element.addEventListener('click', (ev) => {
      const rowEl = (ev.target as HTMLElement).closest<HTMLElement>('.vrow');
      if (rowEl) this.onPick(Number(rowEl.dataset.index), ev.shiftKey || ev.altKey ? 'pin' : 'click');
    });
    this.element.addEventListener('keydown', (ev) => this.key(ev));
  }

  setCount(n: number): void {
    const follow = this.scroller.atEnd();
    this.scroller.setCount(n);
    if (follow && this.marks().selected >= n - 2) this.scroller.scrollToEnd();
    else this.scroller.refresh();
  }

  refresh(): void {
    this.scroller.refresh();
  }

  reveal(index: number): void {
    this.scroller.reveal(index);
  }

  private key(ev: KeyboardEvent): void {
    const n = this.versions.length;
    if (n === 0) return;
    const cur = this.marks().selected;
    const page = Math.max(1, Math.floor(this.element.clientHeight / VERSION_ROW_HEIGHT) - 1);
    const to: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: n - 1 };
    if (ev.key in to) {
      ev.preventDefault();
      const i = Math.max(0, Math.min(n - 1, to[ev.key]));
      this.onPick(i, 'key');
      this.reveal(i);
    } else if (ev.key === 'b' || ev.key === 'B') {
      if (cur >= 0) this.onPick(cur, 'pin');
    }
  }

  private render(w: RowWindow): void {
    const m = this.marks();
    this.layer.style.transform = `translateY(${w.first * VERSION_ROW_HEIGHT}px)`;
    const rows: HTMLElement[] = [];
    for (let i = w.first; i < w.last && i < this.versions.length; i++) rows.push(this.row(i, m));
    this.layer.replaceChildren(...rows);
    this.element.setAttribute('aria-activedescendant', m.selected >= w.first && m.selected < w.last ? `version-${m.selected}` : '');
  }

  private row(i: number, m: TimelineMarks): HTMLElement {
    const v = this.versions[i];
    const prev = i > 0 ? this.versions[i - 1] : undefined;
    const restart = prev !== undefined && prev.pid !== v.pid;
    const cls = ['vrow', `cb-${v.callback}`];
    if (i === m.selected) cls.push('selected');
    if (i === m.base) cls.push('base');
    if (i === m.cursor) cls.push('cursor');
    if (restart) cls.push('restart');
    // Events of this process the recording does not have lie between the previous version and this one.
    if (v.gapBefore) cls.push('gap-before');
    const r = el('div', cls.join(' '), {
      id: `version-${i}`,
      role: 'option',
      'aria-selected': String(i === m.selected),
      'data-index': i,
      'data-seq': v.seq,
      title: `${v.process} · seq ${v.seq}`,
    });
    r.append(
      el('span', 'vnum', undefined, `v${v.version}`),
      el('span', 'vcb', undefined, CALLBACK_LABEL[v.callback]),
      el('span', 'vmsg', undefined, v.message ? shorten(v.message.text, 80) : v.callback === 'init' ? 'init/1' : '—'),
    );
    if (v.from) r.append(el('span', 'vfrom', undefined, `from ${shorten(v.from, 40)}`));
    if (restart) r.append(el('span', 'vbadge restart', undefined, `↻ ${v.pid}`));
    if (v.gapBefore) r.append(el('span', 'vbadge gap', { title: v.gapBefore.text, 'aria-label': `gap before this version: ${v.gapBefore.text}` }, `⋯ ${v.gapBefore.count.toLocaleString('en-US')} not recorded`));
    if (i === m.base) r.append(el('span', 'vbadge base', undefined, 'base'));
    if (i === m.cursor) r.append(el('span', 'vbadge cursor', { 'aria-label': 'debugger cursor' }, '◆'));
    r.append(el('span', 'vtime', undefined, formatTime(v.time)));
    return r;
  }
}
