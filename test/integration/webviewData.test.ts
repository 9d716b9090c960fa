// The custom DAP requests behind the webviews, over a real recording of examples/bank (Bank.Demo.run(3)):
// 1. the program runs to its end; streamGrew events announce the streams, the last one not live;
// 2. elixirScope.stateVersions for account b: init, then each GenServer.call changing balance and ops;
// 3. elixirScope.messages: a GenServer.call {:withdraw, 10} paired with its reply, the Ledger casts;
// 4. elixirScope.gotoEvent on a state version stops the Debug pane there (reason goto); elixirScope.cursor agrees.
import * as assert from 'assert';
import { DebugProtocol } from '@vscode/debugprotocol';
import {
  CustomEvents,
  CustomRequests,
  type StreamGrewEventBody,
} from '../../adapter/protocol/customDap';
import type { MessageEvent, StateVersion } from '../../adapter/protocol/webviewData';
import { bankProject, customRequestBody, endSession, TracedDebugClient } from '../support/dapSession';

const PID = /^<\d+\.\d+\.\d+>$/;

/** Every item of a stream, page by page as a view fetches it. */
async function all<T>(fetch: (from: number) => Promise<{ total: number; from: number; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const page = await fetch(out.length);
    assert.strictEqual(page.from, out.length, 'pages start where asked (nothing evicted in this recording)');
    out.push(...page.items);
    if (page.items.length === 0 || out.length >= page.total) return out;
  }
}

describe('webview data over a real recording (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
  });

  it('1. run to the end → 2. state versions of Bank.Account b → 3. messages: call ↔ reply, Ledger casts → 4. gotoEvent stops there', async () => {
    dc = new TracedDebugClient();
    // Run against another adapter bundle (e.g. one with unreleased session changes) when asked to.
    if (process.env.ELIXIR_SCOPE_TEST_ADAPTER) (dc as unknown as { _executable: string })._executable = process.env.ELIXIR_SCOPE_TEST_ADAPTER;
    const grew: StreamGrewEventBody[] = [];
    dc.on(CustomEvents.streamGrew, (e: DebugProtocol.Event) => grew.push(e.body as StreamGrewEventBody));
    await dc.start();
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 60_000);
    await dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['demo.exs'] } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.configurationDoneRequest();

    // 1. No breakpoints: the demo runs to its end while recording.
    await dc.waitForOutput((o) => /The program exited/.test(o), 60_000);
    const deadline = Date.now() + 5_000;
    while (!grew.some((g) => g.stream === 'messages' && !g.live) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lastMessages = grew.filter((g) => g.stream === 'messages').pop();
    assert.ok(lastMessages && !lastMessages.live, `a final streamGrew for messages with live: false (got ${JSON.stringify(grew.slice(-3))})`);
    assert.ok(grew.some((g) => g.stream === 'versions' && g.key), 'version streams were announced');

    // 2. The GenServers with state versions; account b is the one that got {:withdraw, 5}.
    const procs = (await customRequestBody(dc, CustomRequests.stateProcesses, {})).processes;
    const accounts = procs.filter((p) => p.title.startsWith('Bank.Account'));
    // Streams group a process's incarnations by their registered or via name: b's restart joins b's history.
    assert.deepStrictEqual(accounts.map((p) => p.title).sort(), ['Bank.Account {:account, :a}', 'Bank.Account {:account, :b}'], JSON.stringify(procs));
    let b: { info: (typeof procs)[number]; versions: StateVersion[] } | undefined;
    for (const info of accounts) {
      const versions = await all((from) => customRequestBody(dc!, CustomRequests.stateVersions, { threadId: info.threadId, from, count: 50 }));
      if (versions.some((v) => v.message?.text === '{:withdraw, 5}')) b = { info, versions };
    }
    assert.ok(b, 'an account got {:withdraw, 5}');
    const v = b.versions;
    assert.deepStrictEqual(
      v.slice(0, 7).map((x) => [x.version, x.callback, x.message?.text ?? null, x.state.text]),
      [
        [0, 'init', null, '%Bank.Account{balance: 100, id: :b, ops: 0}'],
        [1, 'handle_call', '{:withdraw, 5}', '%Bank.Account{balance: 95, id: :b, ops: 1}'],
        [2, 'handle_call', '{:deposit, 5}', '%Bank.Account{balance: 100, id: :b, ops: 2}'],
        [3, 'handle_call', '{:withdraw, 10}', '%Bank.Account{balance: 90, id: :b, ops: 3}'],
        [4, 'handle_call', '{:deposit, 10}', '%Bank.Account{balance: 100, id: :b, ops: 4}'],
        [5, 'handle_call', '{:withdraw, 15}', '%Bank.Account{balance: 85, id: :b, ops: 5}'],
        [6, 'handle_call', '{:deposit, 15}', '%Bank.Account{balance: 100, id: :b, ops: 6}'],
      ],
      'versions in order; the crashing {:withdraw, -1} produced none',
    );
    // Then the restarted account b (a new pid under the same via name) starts again from init.
    const restart = v[7];
    assert.deepStrictEqual([restart.version, restart.callback, restart.state.text], [0, 'init', '%Bank.Account{balance: 100, id: :b, ops: 0}']);
    assert.notStrictEqual(restart.pid, v[0].pid);
    const withdraw5 = v[1];
    assert.strictEqual(withdraw5.pid, v[0].pid, 'the first incarnation');
    assert.strictEqual(b.info.pid, restart.pid, 'the stream names its latest incarnation');
    assert.match(withdraw5.process, /^Bank\.Account \{:account, :b\} <\d+\.\d+\.\d+>$/);
    assert.match(withdraw5.from ?? '', /<\d+\.\d+\.\d+>$/, 'the caller');
    const balance = withdraw5.state.children?.find((c) => c.key === 'balance');
    assert.deepStrictEqual(balance?.value, { kind: 'int', text: '95' }, 'structural state for the diff');
    assert.ok(v.every((x, i) => i === 0 || x.seq > v[i - 1].seq), 'ascending seq');

    // 3. Messages: the call {:withdraw, 10} to account b paired with its reply {:ok, 90}; the Ledger casts.
    // (Round 1's calls from the demo process can precede the agent's switching on message tracing for it.)
    const msgs = await all((from) => customRequestBody(dc!, CustomRequests.messages, { from, count: 2000 }));
    assert.ok(msgs.every((m, i) => i === 0 || m.seq > msgs[i - 1].seq), 'ascending seq');
    const bySeq = new Map(msgs.map((m) => [m.seq, m]));
    const call = msgs.find((m) => m.kind === 'call' && m.message.text === '{:withdraw, 10}' && m.to === v[0].pid);
    assert.ok(call, 'the call is in the stream');
    assert.match(call.from, PID);
    assert.ok(call.receiveSeq !== undefined && call.receiveSeq > call.seq, 'received by the account');
    assert.ok(call.pairSeq !== undefined, 'paired with its reply');
    const reply = bySeq.get(call.pairSeq) as MessageEvent;
    assert.deepStrictEqual(
      [reply.kind, reply.from, reply.to, reply.message.text, reply.pairSeq],
      ['reply', call.to, call.from, '{:ok, 90}', call.seq],
    );
    const withdraw10 = v[3];
    assert.ok(call.receiveSeq! < withdraw10.seq && withdraw10.seq < reply.seq, 'received, new state version, then the reply');
    assert.match(call.toName, /^Bank\.Account \{:account, :b\} <\d+\.\d+\.\d+>$/);
    assert.ok(withdraw10.from?.endsWith(call.from), `the version's caller is the sender of the call (${withdraw10.from})`);
    const casts = msgs.filter((m) => m.kind === 'cast' && /^Bank\.Ledger/.test(m.toName));
    const rounds23 = [
      '{:record, :a, :deposit, 20}', '{:record, :b, :withdraw, 10}', '{:record, :b, :deposit, 10}',
      '{:record, :a, :deposit, 30}', '{:record, :b, :withdraw, 15}', '{:record, :b, :deposit, 15}',
    ];
    // Round 1 races the agent switching on message tracing for the accounts: it may or may not be there.
    assert.deepStrictEqual(casts.slice(-6).map((m) => m.message.text), rounds23, `casts: ${casts.map((m) => m.message.text).join(' ')}`);
    assert.ok(casts.length <= 9);
    assert.ok(casts.slice(-6).every((m) => m.pairSeq === undefined && m.receiveSeq !== undefined), `casts: no reply, received by the ledger: ${JSON.stringify(casts.map((m) => [m.seq, m.message.text, m.from, m.receiveSeq ?? null]))}`);
    assert.ok(msgs.some((m) => m.kind === 'exit' && m.from === v[0].pid), 'account b exits (the negative withdrawal)');

    // 4. Selecting a version moves the Debug pane there: stopped (reason goto) on that thread, cursor agrees.
    const stopped = dc.waitForEvent('stopped', 10_000) as Promise<DebugProtocol.StoppedEvent>;
    assert.deepStrictEqual(await customRequestBody(dc, CustomRequests.gotoEvent, { seq: withdraw5.seq }), { moved: true });
    const ev = await stopped;
    assert.strictEqual(ev.body.reason, 'goto');
    const cursor = await customRequestBody(dc, CustomRequests.cursor, {});
    assert.deepStrictEqual([cursor.seq, cursor.pid, cursor.threadId], [withdraw5.seq, withdraw5.pid, ev.body.threadId]);
    await assert.rejects(dc.customRequest(CustomRequests.gotoEvent, { seq: 10_000_000 }), /no longer in the recording/);
  });
});
