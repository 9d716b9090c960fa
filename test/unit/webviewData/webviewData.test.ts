// The webview data model built from synthetic recordings: exact StateVersion and MessageEvent output
// (call ↔ reply pairing, cast vs info, spawn/exit, receive links), TermView trees, stable stream indexes
// under live ingest and eviction, the custom requests and the throttled streamGrew notifications.
import { strict as assert } from 'assert';
import { EventEmitter } from 'events';
import { termView } from '../../../adapter/terms/termView';
import { messageEvent } from '../../../adapter/webview/messageEvents';
import { handleWebviewRequest } from '../../../adapter/webview/requests';
import { stateVersion } from '../../../adapter/webview/stateVersions';
import { watchStreams, type WatchedRuntime } from '../../../adapter/webview/streamNotifications';
import { CustomEvents, CustomRequests, type StreamGrewEventBody } from '../../../adapter/protocol/customDap';
import type { MessageEvent, StateVersion, TermView } from '../../../adapter/protocol/webviewData';
import { elixirscope } from '../../../adapter/gen/wire';
import { Navigator, RecordingStore, streamIndexOf, type RecordingLimits } from '../../../adapter/store';
import { formatTerm } from '../../../adapter/terms/format';
import { Synth, mfa, t } from '../store/synth';

const K = elixirscope.EventKind;
const DEMO = '<0.150.0>';
const ACC = '<0.143.0>';
const LEDGER = '<0.142.0>';
const CHILD = '<0.160.0>';
const ACCOUNT = 'Elixir.Bank.Account';
const LEDGER_MOD = 'Elixir.Bank.Ledger';

const atomV = (text: string): TermView => ({ kind: 'atom', text });
const intV = (n: number): TermView => ({ kind: 'int', text: String(n) });
const tupleV = (text: string, ...items: TermView[]): TermView => ({ kind: 'tuple', text, children: items.map((value, i) => ({ key: `{${i}}`, value })) });
const accountV = (balance: number, ops: number): TermView => ({
  kind: 'struct',
  text: `%Bank.Account{balance: ${balance}, id: :b, ops: ${ops}}`,
  children: [
    { key: 'balance', value: intV(balance) },
    { key: 'id', value: atomV(':b') },
    { key: 'ops', value: intV(ops) },
  ],
});
const account = (balance: number, ops: number) =>
  t.map({ __struct__: t.atom(ACCOUNT), balance: t.int(balance), id: t.atom('b'), ops: t.int(ops) });

/** A GenServer.call {:withdraw, 5} from the demo to an account, which casts to the registered ledger and replies. */
function bank(): Synth {
  const s = new Synth();
  s.proc(ACC, { callbackModule: ACCOUNT, initialCall: `${ACCOUNT}:init/1` }); // 0
  s.proc(LEDGER, { registeredName: LEDGER_MOD, callbackModule: LEDGER_MOD }); // 1
  s.state(ACC, 1, 'init', account(100, 0)); // 2
  s.state(LEDGER, 1, 'init', t.map({ count: t.int(0) })); // 3
  const request = t.tuple(t.atom('$gen_call'), t.tuple({ pid: { repr: DEMO } }, t.atom('tag')), t.tuple(t.atom('withdraw'), t.int(5)));
  s.send(DEMO, ACC, request, 11, 7); // 4: call
  s.recv(ACC, request, 11); // 5
  s.add({ pid: ACC, kind: K.STATE, body: { state: { version: 2, callback: 'handle_call', state: account(95, 1), message: t.tuple(t.atom('withdraw'), t.int(5)), from: DEMO } } }); // 6
  const cast = t.tuple(t.atom('$gen_cast'), t.tuple(t.atom('record'), t.atom('b'), t.atom('withdraw'), t.int(5)));
  s.add({ pid: ACC, kind: K.SEND, msgHash: 12, body: { send: { to: LEDGER_MOD, message: cast } } }); // 7: cast by name
  s.send(ACC, DEMO, t.tuple(t.atom('tag'), t.tuple(t.atom('ok'), t.int(95))), 13, 7); // 8: reply
  s.recv(DEMO, t.tuple(t.atom('tag'), t.tuple(t.atom('ok'), t.int(95))), 13); // 9
  s.recv(LEDGER, cast, 12); // 10
  s.state(LEDGER, 2, 'handle_cast', t.map({ count: t.int(1) }), t.tuple(t.atom('record'), t.atom('b'), t.atom('withdraw'), t.int(5))); // 11
  s.send(DEMO, ACC, t.atom('ping'), 14); // 12: plain message, never received
  s.spawn(DEMO, CHILD); // 13
  s.call(CHILD, mfa('run')); // 14
  s.exit(CHILD, t.atom('normal')); // 15
  return s;
}

function load(s: Synth, limits: RecordingLimits = {}, upTo = s.events.length): { store: RecordingStore; nav: Navigator } {
  const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0, ...limits });
  const nav = new Navigator(store);
  streamIndexOf(store); // index from the first commit on, as watchStreams does in a session
  for (const f of s.frames(4, 0, upTo)) store.ingest(f);
  store.flush();
  return { store, nav };
}

function ingest(store: RecordingStore, s: Synth, from: number, to: number): void {
  for (const f of s.frames(4, from, to)) store.ingest(f);
  store.flush();
}

const runtimeOf = (store: RecordingStore, nav: Navigator, programRunning = false) => ({ store, nav, programRunning });

describe('webview data: terms', () => {
  it('renders structs, maps, tuples, lists and keyword lists with rendered keys', () => {
    assert.deepEqual(termView(account(90, 17)), accountV(90, 17));
    assert.deepEqual(termView(t.map({ entries: t.list(), count: t.int(0) })), {
      kind: 'map',
      text: '%{entries: [], count: 0}',
      children: [
        { key: 'entries', value: { kind: 'list', text: '[]', children: [] } },
        { key: 'count', value: intV(0) },
      ],
    });
    assert.deepEqual(termView({ map: { entries: [{ key: t.str('k'), value: t.int(1) }] } }).children, [{ key: '"k"', value: intV(1) }]);
    assert.deepEqual(termView(t.list(t.int(1), t.atom('a'))), {
      kind: 'list',
      text: '[1, :a]',
      children: [
        { key: '[0]', value: intV(1) },
        { key: '[1]', value: atomV(':a') },
      ],
    });
    const kw = termView(t.list(t.tuple(t.atom('a'), t.int(1)), t.tuple(t.atom('a'), t.int(2))));
    assert.equal(kw.kind, 'keyword');
    assert.equal(kw.text, '[a: 1, a: 2]');
    assert.deepEqual(kw.children!.map((c) => c.key), ['a', 'a (2)'], 'repeated keyword keys stay unique');
    assert.deepEqual(termView(t.str('hi')), { kind: 'string', text: '"hi"' });
    assert.deepEqual(termView(t.list(t.int(104), t.int(105))), { kind: 'charlist', text: "'hi'" });
    assert.deepEqual(termView({ pid: { repr: '<0.1.0>' } }), { kind: 'pid', text: '#PID<0.1.0>' });
  });

  it('keeps agent cuts visible: omitted counts and truncated subterms', () => {
    const v = termView({ list: { items: [t.int(1), { truncated: { reason: 0 } }], omitted: 98 } });
    assert.equal(v.omitted, 98);
    assert.equal(v.text, '[1, …(depth limit), …(+98)]');
    assert.deepEqual(v.children![1].value, { kind: 'truncated', text: '…(depth limit)' });
  });

  it('composes container texts exactly as terms/format.ts renders the whole term', () => {
    const terms = [
      account(90, 17),
      t.map({ a: t.list(t.int(1), t.tuple(t.atom('x'), t.str('y'))), b: t.map({}) }),
      { map: { entries: [{ key: t.str('k'), value: t.int(1) }, { key: t.int(2), value: t.list() }], omitted: 3 } },
      { map: { entries: [{ key: t.atom('with space'), value: t.int(1) }] } },
      { list: { items: [t.int(1), t.int(2)], tail: t.atom('t') } },
      { list: { items: [], omitted: 4 } },
      { tuple: { items: [t.int(1)], omitted: 2 } },
      t.list(t.tuple(t.atom('file'), t.list(t.int(97))), t.tuple(t.atom('line'), t.int(41))),
      { list: { items: [t.tuple(t.atom('a'), t.int(1))], omitted: 5 } },
      t.list(t.tuple(t.atom('Elixir.Mod'), t.int(1))),
      t.tuple(t.atom('$gen_call'), t.tuple({ pid: { repr: '<0.1.0>' } }, { ref: { repr: '#Ref<0.1.2.3>' } }), t.atom('nil')),
      t.list(...Array.from({ length: 400 }, (_, i) => t.tuple(t.atom('n'), t.int(i)))),
      t.map(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, t.str('v'.repeat(i % 7))]))),
    ];
    for (const term of terms) {
      const full = formatTerm(term);
      assert.equal(termView(term).text, full.length > 1000 ? `${full.slice(0, 999)}…` : full, JSON.stringify(term).slice(0, 200));
    }
  });
});

describe('webview data: state versions', () => {
  it('maps STATE events to versions with the producing message and the caller', () => {
    const { store } = load(bank());
    const v0: StateVersion = { seq: 2, time: 2000, pid: ACC, process: `Bank.Account ${ACC}`, version: 0, callback: 'init', state: accountV(100, 0) };
    assert.deepEqual(stateVersion(store, 2), v0);
    const v1: StateVersion = {
      seq: 6,
      time: 6000,
      pid: ACC,
      process: `Bank.Account ${ACC}`,
      version: 1,
      callback: 'handle_call',
      message: tupleV('{:withdraw, 5}', atomV(':withdraw'), intV(5)),
      from: DEMO,
      state: accountV(95, 1),
    };
    assert.deepEqual(stateVersion(store, 6), v1);
    assert.equal(stateVersion(store, 4), undefined, 'not a STATE event');
  });

  it('pages one GenServer by thread id, pid or key', () => {
    const { store, nav } = load(bank());
    const rt = runtimeOf(store, nav);
    const byThread = handleWebviewRequest(CustomRequests.stateVersions, { threadId: store.pidId(ACC)! + 1, from: 0, count: 10 }, rt);
    assert.equal(byThread.handled, true);
    const body = byThread.body as { key: string; title: string; total: number; items: StateVersion[]; oldest: number; live: boolean; from: number };
    assert.deepEqual({ ...body, items: body.items.map((v) => v.seq) }, { key: `pid:${ACC}`, title: `Bank.Account ${ACC}`, total: 2, from: 0, oldest: 0, live: false, items: [2, 6] });
    const byKey = handleWebviewRequest(CustomRequests.stateVersions, { key: `pid:${ACC}`, from: 1, count: 10 }, rt).body as { items: StateVersion[]; from: number };
    assert.deepEqual(byKey.items.map((v) => v.version), [1]);
    assert.equal(byKey.from, 1);
    const ledger = handleWebviewRequest(CustomRequests.stateVersions, { pid: LEDGER, from: 0, count: 10 }, rt).body as { key: string; title: string; items: StateVersion[] };
    assert.equal(ledger.key, `name:${LEDGER_MOD}`);
    assert.equal(ledger.title, 'Bank.Ledger');
    assert.deepEqual(ledger.items.map((v) => [v.callback, v.message?.text]), [['init', undefined], ['handle_cast', '{:record, :b, :withdraw, 5}']]);
    const none = handleWebviewRequest(CustomRequests.stateVersions, { pid: DEMO, from: 0, count: 10 }, rt).body as { key: string; total: number };
    assert.deepEqual([none.key, none.total], ['', 0]);
    const procs = handleWebviewRequest(CustomRequests.stateProcesses, {}, rt).body as { processes: { key: string; title: string; pid: string; threadId: number; total: number }[] };
    assert.deepEqual(procs.processes.map((p) => [p.key, p.title, p.total]), [[`pid:${ACC}`, `Bank.Account ${ACC}`, 2], [`name:${LEDGER_MOD}`, 'Bank.Ledger', 2]]);
    assert.equal(procs.processes[0].threadId, store.pidId(ACC)! + 1);
  });

  it('keeps every incarnation of a registered GenServer in one stream', () => {
    const s = new Synth();
    const second = '<0.170.0>';
    s.proc(LEDGER, { registeredName: LEDGER_MOD, callbackModule: LEDGER_MOD });
    s.state(LEDGER, 1, 'init', t.map({ count: t.int(0) }));
    s.exit(LEDGER, t.atom('killed'));
    s.proc(second, { registeredName: LEDGER_MOD, callbackModule: LEDGER_MOD });
    s.state(second, 1, 'init', t.map({ count: t.int(0) }));
    const { store, nav } = load(s);
    const body = handleWebviewRequest(CustomRequests.stateVersions, { pid: second, from: 0, count: 10 }, runtimeOf(store, nav)).body as { items: StateVersion[] };
    assert.deepEqual(body.items.map((v) => [v.pid, v.version]), [[LEDGER, 0], [second, 0]]);
  });
});

describe('webview data: messages', () => {
  it('maps sends, spawns and exits: call ↔ reply paired, cast vs info, receives linked', () => {
    const { store } = load(bank());
    const ix = streamIndexOf(store);
    const all = [4, 7, 8, 12, 13, 15].map((g) => messageEvent(store, g, ix.names)!);
    const call: MessageEvent = {
      seq: 4,
      time: 4000,
      kind: 'call',
      from: DEMO,
      to: ACC,
      fromName: DEMO,
      toName: `Bank.Account ${ACC}`,
      message: tupleV('{:withdraw, 5}', atomV(':withdraw'), intV(5)),
      pairSeq: 8,
      receiveSeq: 5,
      receiveTime: 5000,
    };
    assert.deepEqual(all[0], call);
    const cast: MessageEvent = {
      seq: 7,
      time: 7000,
      kind: 'cast',
      from: ACC,
      to: LEDGER,
      fromName: `Bank.Account ${ACC}`,
      toName: `Bank.Ledger Bank.Ledger ${LEDGER}`,
      message: tupleV('{:record, :b, :withdraw, 5}', atomV(':record'), atomV(':b'), atomV(':withdraw'), intV(5)),
      receiveSeq: 10,
      receiveTime: 10000,
    };
    assert.deepEqual(all[1], cast, 'a cast sent by name: the receiver is the process of its receive');
    const reply: MessageEvent = {
      seq: 8,
      time: 8000,
      kind: 'reply',
      from: ACC,
      to: DEMO,
      fromName: `Bank.Account ${ACC}`,
      toName: DEMO,
      message: tupleV('{:ok, 95}', atomV(':ok'), intV(95)),
      pairSeq: 4,
      receiveSeq: 9,
      receiveTime: 9000,
    };
    assert.deepEqual(all[2], reply);
    const info: MessageEvent = { seq: 12, time: 12000, kind: 'info', from: DEMO, to: ACC, fromName: DEMO, toName: `Bank.Account ${ACC}`, message: atomV(':ping') };
    assert.deepEqual(all[3], info, 'never received: no receiveSeq');
    assert.deepEqual(all[4], { seq: 13, time: 13000, kind: 'spawn', from: DEMO, to: CHILD, fromName: DEMO, toName: CHILD, message: { kind: 'other', text: '?' } });
    assert.deepEqual(all[5], { seq: 15, time: 15000, kind: 'exit', from: CHILD, to: DEMO, fromName: CHILD, toName: DEMO, message: atomV(':normal') });
    assert.equal(messageEvent(store, 5), undefined, 'receives are part of their send');
  });

  it('answers the messages request in stream order', () => {
    const { store, nav } = load(bank());
    const r = handleWebviewRequest(CustomRequests.messages, { from: 1, count: 3 }, runtimeOf(store, nav, true));
    const body = r.body as { total: number; from: number; oldest: number; live: boolean; items: MessageEvent[] };
    assert.deepEqual({ ...body, items: body.items.map((m) => `${m.seq}:${m.kind}`) }, { total: 6, from: 1, oldest: 0, live: true, items: ['7:cast', '8:reply', '12:info'] });
    const past = handleWebviewRequest(CustomRequests.messages, { from: 6, count: 3 }, runtimeOf(store, nav)).body as { items: unknown[]; total: number };
    assert.deepEqual([past.items.length, past.total], [0, 6]);
  });

  it('tells a reply whose request was evicted from a call, and a sent-by-name message whose receive was not recorded', () => {
    const s = new Synth();
    s.proc(LEDGER, { registeredName: LEDGER_MOD, callbackModule: LEDGER_MOD });
    s.send(ACC, DEMO, t.tuple(t.atom('tag'), t.atom('ok')), 21, 9); // 1: reply, request never recorded
    s.add({ pid: DEMO, kind: K.SEND, msgHash: 22, body: { send: { to: LEDGER_MOD, message: t.tuple(t.atom('$gen_cast'), t.atom('flush')) } } }); // 2
    const { store } = load(s);
    const ix = streamIndexOf(store);
    const reply = messageEvent(store, 1, ix.names)!;
    assert.deepEqual([reply.kind, reply.message.text, reply.pairSeq], ['reply', ':ok', undefined]);
    const cast = messageEvent(store, 2, ix.names)!;
    assert.deepEqual([cast.kind, cast.to, cast.toName, cast.message.text], ['cast', LEDGER, `Bank.Ledger Bank.Ledger ${LEDGER}`, ':flush']);
  });
});

describe('webview data: stable stream indexes', () => {
  it('live ingest only appends; call items gain their pair and receive once those are recorded', () => {
    const s = bank();
    const { store, nav } = load(s, {}, 5); // up to the call and its receive
    const rt = runtimeOf(store, nav, true);
    const first = handleWebviewRequest(CustomRequests.messages, { from: 0, count: 10 }, rt).body as { items: MessageEvent[]; total: number };
    assert.deepEqual(first.items.map((m) => [m.seq, m.kind, m.pairSeq]), [[4, 'call', undefined]]);
    ingest(store, s, 5, s.events.length);
    const again = handleWebviewRequest(CustomRequests.messages, { from: 0, count: 10 }, rt).body as { items: MessageEvent[]; total: number };
    assert.deepEqual(again.items.map((m) => m.seq), [4, 7, 8, 12, 13, 15]);
    assert.equal(again.items[0].pairSeq, 8);
  });

  it('eviction raises `oldest`, keeps indexes and totals, and answers evicted ranges with empty pages', () => {
    const s = new Synth();
    for (let i = 0; i < 40; i++) s.send(DEMO, ACC, t.tuple(t.atom('n'), t.int(i)), 100 + i);
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0, maxEvents: 16, maxBytes: 64 * 1024 * 1024 });
    const nav = new Navigator(store);
    const rt = runtimeOf(store, nav);
    streamIndexOf(store);
    ingest(store, s, 0, 40);
    assert.equal(store.head, 24);
    const body = handleWebviewRequest(CustomRequests.messages, { from: 20, count: 8 }, rt).body as { total: number; oldest: number; from: number; items: MessageEvent[] };
    assert.deepEqual([body.total, body.oldest, body.from], [40, 24, 24], 'indexes 20..23 are gone: the page starts at the oldest');
    assert.deepEqual(body.items.map((m) => m.message.text), [24, 25, 26, 27].map((i) => `{:n, ${i}}`), 'stream index i is still the i-th message');
    const gone = handleWebviewRequest(CustomRequests.messages, { from: 0, count: 10 }, rt).body as { items: unknown[]; from: number };
    assert.deepEqual([gone.items.length, gone.from], [0, 0]);
  });
});

describe('webview requests: cursor', () => {
  it('gotoEvent moves the navigator (reason goto) and cursor reports it; evicted or bad seqs are errors', () => {
    const { store, nav } = load(bank());
    const rt = runtimeOf(store, nav);
    assert.deepEqual(handleWebviewRequest(CustomRequests.cursor, {}, rt).body, { seq: null, pid: null, threadId: null });
    const moves: string[] = [];
    nav.on('moved', (m) => moves.push(`${m.index}:${m.reason}`));
    assert.deepEqual(handleWebviewRequest(CustomRequests.gotoEvent, { seq: 6 }, rt), { handled: true, body: { moved: true } });
    assert.deepEqual(moves, ['6:goto']);
    assert.deepEqual(handleWebviewRequest(CustomRequests.cursor, {}, rt).body, { seq: 6, pid: ACC, threadId: store.pidId(ACC)! + 1 });
    const far = handleWebviewRequest(CustomRequests.gotoEvent, { seq: 999 }, rt);
    assert.match(far.error!, /no longer in the recording/);
    assert.match(handleWebviewRequest(CustomRequests.gotoEvent, { seq: 'x' }, rt).error!, /must be an event number/);
    assert.deepEqual(handleWebviewRequest('elixirScope.emergencyStop', {}, rt), { handled: false });
  });
});

describe('webview requests: streamGrew notifications', () => {
  class FakeRuntime extends EventEmitter {
    programRunning = true;
    constructor(public store: RecordingStore, public nav: Navigator) {
      super();
    }
  }

  it('sends one event per grown stream at most 4 times a second and ends with live: false', async () => {
    const s = bank();
    const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
    const rt = new FakeRuntime(store, new Navigator(store));
    const sent: StreamGrewEventBody[] = [];
    const stop = watchStreams(rt as unknown as WatchedRuntime, (event, body) => {
      assert.equal(event, CustomEvents.streamGrew);
      sent.push(body);
    });
    const t0 = Date.now();
    for (let i = 0; i < s.events.length; i += 2) ingest(store, s, i, Math.min(s.events.length, i + 2));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sent.map((b) => `${b.stream}${b.key ? ` ${b.key}` : ''} ${b.total} ${b.live}`).sort(), [`messages 6 true`, `versions name:${LEDGER_MOD} 2 true`, `versions pid:${ACC} 2 true`]);
    ingest(store, s, 12, 13); // one more send (the same event again: a new message of the stream)
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sent.length, 3, 'throttled: nothing within 250 ms of the last notification');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sent.length, 4);
    assert.deepEqual(sent[3], { stream: 'messages', total: 7, live: true });
    assert.ok(Date.now() - t0 >= 250);
    rt.programRunning = false;
    rt.emit('programExited', 0);
    assert.deepEqual(sent[4], { stream: 'messages', total: 7, live: false });
    stop();
    ingest(store, s, 12, 13);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sent.length, 5, 'stopped');
  });
});
