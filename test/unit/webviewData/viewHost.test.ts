// The extension's host side of the webview exchange (extension/viewHost.ts, no VS Code) wired straight to the
// adapter's request handler: init, pages, live appends, cursor moves, the end of recording, and a view opened
// after the ring buffer evicted the start of its stream; the view side is the webviews' own PagedStream.
import { strict as assert } from 'assert';
import { handleWebviewRequest } from '../../../adapter/webview/requests';
import type { HostToView, MessageEvent, RequestRangeMessage, StateVersion } from '../../../adapter/protocol/webviewData';
import { Navigator, RecordingStore, streamIndexOf, type RecordingLimits } from '../../../adapter/store';
import { ViewHost, type ViewHostOptions } from '../../../extension/viewHost';
import { PagedStream } from '../../../webviews/pagedStream';
import { Synth, t } from '../store/synth';

const A = '<0.1.0>';
const B = '<0.2.0>';

function recording(limits: RecordingLimits = {}) {
  const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0, ...limits });
  const nav = new Navigator(store);
  streamIndexOf(store);
  const rt = { store, nav, programRunning: true };
  const s = new Synth();
  const feed = (from: number, to: number) => {
    for (const f of s.frames(4, from, to)) store.ingest(f);
    store.flush();
  };
  return { store, nav, rt, s, feed };
}

function host(rt: Parameters<typeof handleWebviewRequest>[2], o: Partial<ViewHostOptions> = {}) {
  const posted: HostToView[] = [];
  const warnings: string[] = [];
  const h = new ViewHost({
    view: 'messageSequence',
    title: 'Messages',
    request: async (command, args) => {
      const r = handleWebviewRequest(command, args, rt);
      if (r.error !== undefined) throw new Error(r.error);
      return r.body;
    },
    post: (m) => posted.push(m),
    exportDiagram: async () => undefined,
    warn: (m) => warnings.push(m),
    ...o,
  });
  return { h, posted, warnings };
}

const texts = (items: MessageEvent[]) => items.map((m) => m.message.text);

describe('view host (extension side) over the adapter requests', () => {
  it('init, a requested page, live appends, cursor moves both ways, and the end of recording', async () => {
    const { rt, s, feed, nav } = recording();
    for (let i = 0; i < 6; i++) s.send(A, B, t.tuple(t.atom('n'), t.int(i)), 100 + i);
    s.state(B, 1, 'init', t.map({ n: t.int(0) }));
    feed(0, 3);
    const { h, posted, warnings } = host(rt);
    await h.onMessage({ type: 'ready', view: 'messageSequence' });
    const init = posted.shift()!;
    assert.ok(init.type === 'init' && init.view === 'messageSequence');
    assert.deepEqual([init.total, init.live, init.cursorSeq, texts(init.items)], [3, true, undefined, ['{:n, 0}', '{:n, 1}', '{:n, 2}']]);

    await h.onMessage({ type: 'requestRange', stream: 'messages', requestId: 7, from: 1, to: 3 });
    const page = posted.shift()!;
    assert.ok(page.type === 'page' && page.stream === 'messages');
    assert.deepEqual([page.requestId, page.from, page.total, texts(page.items)], [7, 1, 3, ['{:n, 1}', '{:n, 2}']]);

    feed(3, 7);
    await h.grew({ stream: 'versions', key: `pid:${B}`, total: 1, live: true }); // not this view's stream
    await h.grew({ stream: 'messages', total: 6, live: true });
    const append = posted.shift()!;
    assert.ok(append.type === 'append' && append.stream === 'messages');
    assert.deepEqual([append.from, texts(append.items)], [3, ['{:n, 3}', '{:n, 4}', '{:n, 5}']]);
    assert.equal(posted.length, 0);

    await h.onMessage({ type: 'moveCursor', seq: 4, pid: A });
    assert.equal(nav.cursor, 4);
    await h.cursorMoved();
    assert.deepEqual(posted.shift(), { type: 'cursor', seq: 4 });
    await h.onMessage({ type: 'moveCursor', seq: 99 });
    assert.equal(posted.shift()?.type, 'error');
    assert.match(warnings[0], /no longer in the recording/);

    await h.grew({ stream: 'messages', total: 6, live: false });
    assert.deepEqual(posted.shift(), { type: 'live', live: false });
  });

  it('state history: the key picks the stream; other GenServers do not append', async () => {
    const { rt, s, feed } = recording();
    s.state(B, 1, 'init', t.map({ n: t.int(0) }));
    s.state(A, 1, 'init', t.map({ n: t.int(9) }));
    s.state(B, 2, 'handle_cast', t.map({ n: t.int(1) }), t.atom('inc'));
    feed(0, 2);
    const { h, posted } = host(rt, { view: 'stateHistory', title: `Demo ${B}`, key: `pid:${B}` });
    await h.onMessage({ type: 'ready', view: 'stateHistory' });
    const init = posted.shift()!;
    assert.ok(init.type === 'init' && init.view === 'stateHistory');
    assert.deepEqual(init.items.map((v: StateVersion) => v.state.text), ['%{n: 0}']);
    feed(2, 3);
    await h.grew({ stream: 'versions', key: `pid:${A}`, total: 1, live: true });
    assert.equal(posted.length, 0);
    await h.grew({ stream: 'versions', key: `pid:${B}`, total: 2, live: true });
    const append = posted.shift()!;
    assert.ok(append.type === 'append' && append.stream === 'versions');
    assert.deepEqual(append.items.map((v) => [v.version, v.message?.text]), [[1, ':inc']]);
  });

  it('a view opened after eviction starts at the oldest retained item and fills its stream by pages and appends', async () => {
    const { rt, s, feed } = recording({ maxEvents: 16, maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 50; i++) s.send(A, B, t.tuple(t.atom('n'), t.int(i)), 100 + i);
    feed(0, 40); // events 24..39 retained
    const requests: RequestRangeMessage[] = [];
    const view = new PagedStream<'messages'>('messages', (m) => requests.push(m), () => undefined, 5, (fn) => fn());
    const { h, posted } = host(rt);
    const deliver = () => {
      for (const m of posted.splice(0)) {
        if (m.type === 'init' && m.view === 'messageSequence') view.reset(m.items, m.total);
        else if (m.type === 'page' && m.stream === 'messages') view.page(m.requestId, m.from, m.items, m.total);
        else if (m.type === 'append' && m.stream === 'messages') view.append(m.from, m.items);
      }
    };
    await h.onMessage({ type: 'ready', view: 'messageSequence' });
    deliver();
    assert.equal(view.total, 16, 'the view counts from the oldest retained message');
    assert.equal(view.items[0].message.text, '{:n, 24}');
    feed(40, 44); // head moves to 28: the view's indexes stay (view index = adapter index - 24)
    await h.grew({ stream: 'messages', total: 44, live: true });
    deliver();
    assert.equal(view.total, 20);
    assert.deepEqual(texts(view.items), Array.from({ length: 20 }, (_, i) => `{:n, ${24 + i}}`));
    assert.equal(requests.length, 0, 'init carried everything: nothing to request');
    feed(44, 50);
    await h.grew({ stream: 'messages', total: 50, live: false });
    deliver();
    assert.deepEqual([view.items.length, view.total, view.complete], [26, 26, true]);
    assert.equal(view.items[25].message.text, '{:n, 49}');
  });
});
