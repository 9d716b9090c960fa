// State history view: wires the host messages (init, pages, live appends, cursor) to the timeline and the
// diff pane, and turns the user's picks into moveCursor messages.
import type { HostToView, StateVersion } from '../adapter/protocol/webviewData';
import { el } from './dom';
import { formatCount, lastAtOrBefore } from './format';
import { HostBridge } from './hostBridge';
import { PagedStream } from './pagedStream';
import { DetailState, StateDetail } from './stateDetail';
import { StateTimeline } from './stateTimeline';

interface SavedUi extends DetailState {
  view: 'stateHistory';
}

export function startStateHistory(root: HTMLElement, host: HostBridge): void {
  const saved = host.getState<SavedUi>();
  const ui: DetailState = { split: saved?.split ?? false, hideUnchanged: saved?.hideUnchanged ?? false };
  let selected = -1;
  let base: number | undefined;
  let cursorSeq: number | null = null;
  let cursor = -1;
  let live = false;
  /** Until the user picks a version, the selection follows the cursor (also as later pages arrive). */
  let followCursor = true;

  const stream = new PagedStream<'versions'>('versions', (m) => host.post(m), () => added());
  const versions: StateVersion[] = stream.items;
  const title = el('h1', 'title', undefined, 'State history');
  const status = el('span', 'status', { role: 'status' });
  const timeline = new StateTimeline(versions, () => ({ selected, base, cursor }), (i, how) => pick(i, how));
  const detail = new StateDetail(ui, {
    pin: () => pick(selected, 'pin'),
    unpin: () => {
      base = undefined;
      redraw();
    },
    uiChanged: () => host.setState({ view: 'stateHistory', ...ui } satisfies SavedUi),
  });
  root.replaceChildren(
    el('header', 'toolbar', undefined, title, status),
    el('main', 'state-main', undefined, timeline.element, detail.element),
  );

  let postTimer: ReturnType<typeof setTimeout> | undefined;
  function pick(i: number, how: 'click' | 'key' | 'pin'): void {
    if (i < 0 || i >= versions.length) return;
    followCursor = false;
    if (how === 'pin') {
      base = base === i ? undefined : i;
      redraw();
      return;
    }
    selected = i;
    redraw();
    // Key repeat would flood the debugger with cursor moves: only the version the user stops on counts.
    clearTimeout(postTimer);
    const v = versions[i];
    const send = () => host.post({ type: 'moveCursor', seq: v.seq, pid: v.pid });
    if (how === 'click') send();
    else postTimer = setTimeout(send, 150);
  }

  function redraw(): void {
    timeline.refresh();
    const baseIndex = base ?? selected - 1;
    detail.show({
      selected: versions[selected],
      selectedIndex: selected,
      base: baseIndex >= 0 && baseIndex !== selected ? versions[baseIndex] : undefined,
      baseIndex,
      pinned: base !== undefined,
    });
    const loading = stream.complete ? '' : ` · loading ${formatCount(versions.length)}/${formatCount(stream.total)}`;
    status.textContent = `${formatCount(stream.total)} versions${loading}${live ? ' · recording' : ''}`;
    document.body.dataset.versions = String(versions.length);
  }

  /** The version current at the cursor: the last one recorded at or before it. */
  function locateCursor(): void {
    cursor = cursorSeq === null ? -1 : lastAtOrBefore(versions, cursorSeq, (v) => v.seq);
  }

  function added(): void {
    // Count first: revealing a row needs the scroll height that includes it.
    timeline.setCount(versions.length);
    const before = cursor;
    if (cursorSeq !== null) locateCursor();
    if (selected < 0 && versions.length > 0) {
      selected = cursor >= 0 ? cursor : versions.length - 1;
      timeline.reveal(selected);
    } else if (followCursor && cursor >= 0 && cursor !== before) {
      selected = cursor;
      timeline.reveal(cursor);
    }
    redraw();
    performance.mark('elixirscope:render');
  }

  host.onMessage((m: HostToView) => {
    switch (m.type) {
      case 'init':
        if (m.view !== 'stateHistory') return;
        title.textContent = m.title;
        document.title = m.title;
        live = m.live;
        cursorSeq = m.cursorSeq ?? null;
        selected = -1;
        followCursor = true;
        base = undefined;
        cursor = -1;
        stream.reset(m.items, m.total);
        if (m.items.length === 0) added();
        break;
      case 'append':
        if (m.stream === 'versions') stream.append(m.from, m.items);
        break;
      case 'page':
        if (m.stream === 'versions') stream.page(m.requestId, m.from, m.items, m.total);
        break;
      case 'cursor': {
        cursorSeq = m.seq;
        followCursor = true;
        locateCursor();
        // Follow the Debug pane: its version becomes the selection (without echoing a moveCursor back).
        if (cursor >= 0) {
          selected = cursor;
          timeline.reveal(cursor);
        }
        redraw();
        break;
      }
      case 'live':
        live = m.live;
        redraw();
        break;
      case 'error':
        status.textContent = `Error: ${m.message}`;
        break;
    }
  });
  host.post({ type: 'ready', view: 'stateHistory' });
}
