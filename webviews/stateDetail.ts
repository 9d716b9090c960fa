// The state history's right pane: what produced the selected version, which version it is compared
// with, the diff controls (pin a base, hide unchanged, side by side) and the diff itself.
import type { StateVersion } from '../adapter/protocol/webviewData';
import { button, checkbox, el } from './dom';
import { renderDiff } from './diffRender';
import { formatTime } from './format';
import { diffTerms } from './termDiff';

export interface DetailState {
  split: boolean;
  hideUnchanged: boolean;
}

export interface DetailInput {
  selected: StateVersion | undefined;
  selectedIndex: number;
  base: StateVersion | undefined;
  baseIndex: number;
  pinned: boolean;
}

export class StateDetail {
  readonly element: HTMLElement;
  private readonly head = el('div', 'detail-head');
  private readonly body = el('div', 'detail-body');
  private readonly toggled = new Set<string>();
  private last: DetailInput | undefined;

  constructor(
    private readonly ui: DetailState,
    private readonly actions: { pin: () => void; unpin: () => void; uiChanged: () => void },
  ) {
    const controls = el('div', 'detail-controls');
    controls.append(
      button('Pin as base', 'pin', () => this.actions.pin(), 'Compare other versions with this one (shift+click a version, or B)'),
      button('Unpin', 'unpin', () => this.actions.unpin(), 'Compare each version with the previous one'),
      checkbox('Hide unchanged', ui.hideUnchanged, (c) => this.setUi({ hideUnchanged: c })).label,
      checkbox('Side by side', ui.split, (c) => this.setUi({ split: c })).label,
    );
    this.element = el('section', 'detail', { 'aria-label': 'Selected version' }, this.head, controls, this.body);
  }

  private setUi(patch: Partial<DetailState>): void {
    Object.assign(this.ui, patch);
    this.actions.uiChanged();
    if (this.last) this.show(this.last);
  }

  show(input: DetailInput): void {
    this.last = input;
    const { selected: v, base } = input;
    this.element.classList.toggle('pinned', input.pinned);
    if (!v) {
      this.head.replaceChildren(el('div', 'empty', undefined, 'No state version selected.'));
      this.body.replaceChildren();
      return;
    }
    const title = el('div', 'dtitle');
    title.append(el('span', 'vnum', undefined, `v${v.version}`), ` ${v.callback}`);
    if (v.message) title.append(' ', el('code', 'msg', undefined, v.message.text));
    if (v.from) title.append(' from ', el('span', 'from', undefined, v.from));
    const meta = el('div', 'dmeta', undefined, `${v.process} · ${formatTime(v.time)} · seq ${v.seq}`);
    const root = diffTerms(base?.state, v.state);
    const changed = (root.children ?? []).filter((c) => c.status !== 'same').map((c) => c.key);
    let against: string;
    if (!base) against = 'First version: nothing to compare with.';
    else {
      const which = input.pinned ? 'pinned base' : 'previous version';
      const diffSummary = root.status === 'same' ? 'no change' : changed.length ? `changed: ${changed.join(', ')}` : 'changed';
      against = `Compared with v${base.version} (${which}${base.pid !== v.pid ? `, process ${base.pid}` : ''}) — ${diffSummary}`;
    }
    this.head.replaceChildren(title, meta, el('div', 'dagainst', { 'data-changed': changed.join(',') }, against));
    this.body.replaceChildren(renderDiff(root, {
      split: this.ui.split,
      hideUnchanged: this.ui.hideUnchanged,
      toggled: this.toggled,
      onToggle: (id) => {
        if (this.toggled.has(id)) this.toggled.delete(id);
        else this.toggled.add(id);
        if (this.last) this.show(this.last);
      },
    }));
  }
}
