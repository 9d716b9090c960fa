// Browser-side fake of the extension host for the webview test page: provides acquireVsCodeApi, answers
// `ready` with `init` and `requestRange` with pages from fixture data chosen by the page's query string,
// records what the view posts, CSP violations and the time from init to the first painted frame.
import type { HostToView, MessageEvent, StateVersion, ViewToHost } from '../../../adapter/protocol/webviewData';
import { bankRecording, versionsOf } from '../fixtures/bankRecording';
import { bigMessages, bigVersions } from '../fixtures/bigRecording';

interface FakeHost {
  posted: ViewToHost[];
  violations: string[];
  send(message: HostToView): void;
  versions: StateVersion[];
  messages: MessageEvent[];
  /** ms from posting init to the frame after the view's first render. */
  firstPaintMs?: number;
  state: unknown;
  /** Sends init again on the loaded page and resolves with the ms until the next painted frame. */
  reinit(): Promise<number>;
}

declare global {
  interface Window {
    fakeHost: FakeHost;
  }
}

const q = new URLSearchParams(location.search);
const view = q.get('view') === 'messageSequence' ? 'messageSequence' : 'stateHistory';
const fixture = q.get('fixture') ?? 'bank';
const n = Number(q.get('n') ?? 100_000);
/** When set, init carries only the first page and the rest is fetched with requestRange. */
const firstPage = q.get('firstPage') ? Number(q.get('firstPage')) : undefined;
const cursor = q.get('cursor') ? Number(q.get('cursor')) : undefined;
const onlyPids = q.get('only') ? q.get('only')!.split(',') : undefined;

const rec = fixture === 'bank' ? bankRecording() : undefined;
const versions = rec ? versionsOf(rec, q.get('process') ?? 'Bank.Account {:account, :b}') : bigVersions(Math.min(n, 10_000));
const messages = rec ? rec.messages : bigMessages(n);
/** `gaps`: the recording lost events before version 2 and before message 3 (the views mark both). */
if (q.get('gaps')) {
  versions[2] = { ...versions[2], gapBefore: { count: 1204, text: '1,204 events of this process not recorded (the agent was overloaded)' } };
  messages[3] = { ...messages[3], gapBefore: { count: 512, text: '512 events not recorded (Bank.Ledger <0.142.0>: 512; the agent could not encode fast enough)' } };
}

document.body.classList.add(q.get('theme') === 'light' ? 'vscode-light' : q.get('theme') === 'hc' ? 'vscode-high-contrast' : 'vscode-dark');

const host: FakeHost = {
  posted: [],
  violations: [],
  versions,
  messages,
  state: undefined,
  send: (m) => window.postMessage(m, '*'),
  reinit: () => {
    host.firstPaintMs = undefined;
    initAt = performance.now();
    watchFirstPaint();
    host.send(init());
    return new Promise((resolve) => {
      const wait = () => (host.firstPaintMs === undefined ? setTimeout(wait, 5) : resolve(host.firstPaintMs));
      wait();
    });
  },
};
window.fakeHost = host;
document.addEventListener('securitypolicyviolation', (e) => host.violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`));

let initAt = 0;
/**
 * First paint: poll every frame from init on; in the first frame whose rAF sees the view's render mark,
 * that render is in the frame being produced, and a timer set there runs once it is painted.
 */
function watchFirstPaint(): void {
  performance.clearMarks('elixirscope:render');
  const tick = () => {
    if (performance.getEntriesByName('elixirscope:render').length === 0) requestAnimationFrame(tick);
    else setTimeout(() => (host.firstPaintMs = performance.now() - initAt), 0);
  };
  requestAnimationFrame(tick);
}

function init(): HostToView {
  const title = view === 'stateHistory' ? (versions[0]?.process.replace(/ <[^>]*>$/, '') ?? 'State history') : 'Message sequence';
  const all = view === 'stateHistory' ? versions : messages;
  const items = firstPage !== undefined ? all.slice(0, firstPage) : all;
  return view === 'stateHistory'
    ? { type: 'init', view, title, total: all.length, items: items as StateVersion[], live: false, cursorSeq: cursor }
    : { type: 'init', view, title, total: all.length, items: items as MessageEvent[], live: false, cursorSeq: cursor, onlyPids };
}

window.acquireVsCodeApi = () => ({
  postMessage(m: unknown) {
    const msg = m as ViewToHost;
    host.posted.push(msg);
    if (msg.type === 'ready') {
      const i = init();
      initAt = performance.now();
      watchFirstPaint();
      host.send(i);
    } else if (msg.type === 'requestRange') {
      const all = msg.stream === 'versions' ? versions : messages;
      const items = all.slice(msg.from, msg.to);
      host.send(msg.stream === 'versions'
        ? { type: 'page', stream: 'versions', requestId: msg.requestId, from: msg.from, items: items as StateVersion[], total: all.length }
        : { type: 'page', stream: 'messages', requestId: msg.requestId, from: msg.from, items: items as MessageEvent[], total: all.length });
    }
  },
  getState: () => host.state,
  setState: (s: unknown) => {
    host.state = s;
  },
});
