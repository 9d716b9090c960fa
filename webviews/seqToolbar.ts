// Controls of the sequence diagram: which processes (lifelines) to show, which message kinds, a message
// pattern, a time range to zoom to, and the exports. Reports every change as one new SeqFilter.
import type { MessageKind } from '../adapter/protocol/webviewData';
import { button, checkbox, el } from './dom';
import { ALL_KINDS, compilePattern, SeqFilter } from './seqFilter';
import { Lane } from './seqModel';

export interface ToolbarActions {
  changed: () => void;
  /** Time range of the messages now on screen, to zoom to without typing times. */
  shownRange: () => { fromNs: number; toNs: number } | undefined;
  exportAs: (format: 'mermaid' | 'svg') => void;
}

export class SeqToolbar {
  readonly element: HTMLElement;
  private readonly procList = el('div', 'proc-list', { role: 'group', 'aria-label': 'Processes' });
  private readonly procSummary = el('summary', undefined, undefined, 'Processes');
  private readonly pattern = el('input', 'pattern', { type: 'text', placeholder: 'message: text, {:withdraw, _} or /regex/', 'aria-label': 'Message pattern', spellcheck: 'false' });
  private readonly fromMs = el('input', 'range-from', { type: 'number', step: 'any', placeholder: 'from ms', 'aria-label': 'Zoom from (ms)' });
  private readonly toMs = el('input', 'range-to', { type: 'number', step: 'any', placeholder: 'to ms', 'aria-label': 'Zoom to (ms)' });
  private readonly problem = el('span', 'problem', { role: 'alert' });
  private lanesShown = 0;

  constructor(private readonly filter: SeqFilter, private readonly actions: ToolbarActions) {
    const procs = el('details', 'procs', undefined, this.procSummary,
      el('div', 'proc-actions', undefined,
        button('All', 'proc-all', () => this.setAll(false)),
        button('None', 'proc-none', () => this.setAll(true))),
      this.procList);
    const kinds = el('span', 'kinds', { role: 'group', 'aria-label': 'Message kinds' });
    for (const k of ALL_KINDS) kinds.append(checkbox(k, true, (on) => this.setKind(k, on), `check kind k-${k}`).label);
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.pattern.addEventListener('input', () => {
      // Typing in a 100,000-message recording: filter once the user pauses.
      clearTimeout(timer);
      timer = setTimeout(() => this.applyPattern(), 200);
    });
    this.pattern.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        clearTimeout(timer);
        this.applyPattern();
      }
    });
    const zoom = el('span', 'zoom', { role: 'group', 'aria-label': 'Time range' }, this.fromMs, '–', this.toMs,
      button('Zoom', 'zoom-apply', () => this.applyZoom()),
      button('Zoom to shown', 'zoom-shown', () => this.zoomShown(), 'Zoom to the time range of the messages on screen'),
      button('Reset', 'zoom-reset', () => this.resetZoom()));
    for (const input of [this.fromMs, this.toMs]) input.addEventListener('keydown', (ev) => ev.key === 'Enter' && this.applyZoom());
    const exports = el('span', 'exports', undefined,
      button('Export Mermaid', 'export-mermaid', () => this.actions.exportAs('mermaid'), 'Export the shown diagram as Mermaid text'),
      button('Export SVG', 'export-svg', () => this.actions.exportAs('svg'), 'Export the shown diagram as SVG'));
    this.element = el('div', 'seq-filters', undefined, procs, this.pattern, kinds, zoom, exports, this.problem);
  }

  /** Rebuilds the process checklist when lifelines appeared. */
  setLanes(lanes: readonly Lane[]): void {
    if (lanes.length === this.lanesShown && this.procList.childElementCount === lanes.length) {
      this.updateSummary(lanes.length);
      return;
    }
    this.lanesShown = lanes.length;
    this.procList.replaceChildren(...lanes.map((l) => {
      const c = checkbox(l.name, !this.filter.hiddenPids.has(l.pid), (on) => {
        if (on) this.filter.hiddenPids.delete(l.pid);
        else this.filter.hiddenPids.add(l.pid);
        this.updateSummary(lanes.length);
        this.actions.changed();
      }, 'check proc');
      c.label.dataset.pid = l.pid;
      return c.label;
    }));
    this.updateSummary(lanes.length);
  }

  /** Sets the zoom inputs (e.g. restored state) without applying. */
  showZoom(): void {
    this.fromMs.value = this.filter.fromNs !== undefined ? String(this.filter.fromNs / 1e6) : '';
    this.toMs.value = this.filter.toNs !== undefined ? String(this.filter.toNs / 1e6) : '';
  }

  private updateSummary(total: number): void {
    const shown = total - this.filter.hiddenPids.size;
    this.procSummary.textContent = `Processes (${shown}/${total})`;
  }

  private setAll(hidden: boolean): void {
    for (const label of Array.from(this.procList.querySelectorAll<HTMLLabelElement>('label'))) {
      const pid = label.dataset.pid!;
      if (hidden) this.filter.hiddenPids.add(pid);
      else this.filter.hiddenPids.delete(pid);
      label.querySelector('input')!.checked = !hidden;
    }
    this.updateSummary(this.lanesShown);
    this.actions.changed();
  }

  private setKind(k: MessageKind, on: boolean): void {
    if (on) this.filter.kinds.add(k);
    else this.filter.kinds.delete(k);
    this.actions.changed();
  }

  private applyPattern(): void {
    try {
      compilePattern(this.pattern.value);
      this.problem.textContent = '';
      this.filter.pattern = this.pattern.value;
      this.actions.changed();
    } catch (err) {
      this.problem.textContent = `Bad pattern: ${(err as Error).message}`;
    }
  }

  private applyZoom(): void {
    const num = (s: string) => (s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s) * 1e6);
    this.filter.fromNs = num(this.fromMs.value);
    this.filter.toNs = num(this.toMs.value);
    this.actions.changed();
  }

  private zoomShown(): void {
    const r = this.actions.shownRange();
    if (!r) return;
    this.filter.fromNs = r.fromNs;
    this.filter.toNs = r.toNs;
    this.showZoom();
    this.actions.changed();
  }

  private resetZoom(): void {
    this.filter.fromNs = undefined;
    this.filter.toNs = undefined;
    this.showZoom();
    this.actions.changed();
  }
}
