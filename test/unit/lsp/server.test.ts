// The recording language server over its loopback socket, driven by a real LSP client, against the
// real agent's recording of examples/bank (fixture) and a synthetic recording with line probes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { CodeLens, Hover, InlayHint, MarkupContent } from 'vscode-languageserver-protocol';
import type { RecordingLanguageServer } from '../../../adapter/lsp/server';
import { elixirscope } from '../../../adapter/gen/wire';
import { LanguageServerCommands } from '../../../adapter/protocol/customDap';
import { RecordingStore } from '../../../adapter/store';
import { mfa, Synth, t } from '../store/synth';
import { accountEx, bankCatalog, bankFixtureStore, FakeCatalog, settle, SourceOf, startWith, TestClient } from './support';

const ACCOUNT = 'Elixir.Bank.Account';
const uriOf = (f: string) => pathToFileURL(f).href;
const hoverText = (h: Hover | null): string => (h ? (h.contents as MarkupContent).value : '');

async function hoverAt(c: TestClient, uri: string, line1: number, needle: string, nth = 0): Promise<string> {
  const text = fs.readFileSync(accountEx, 'utf8').split('\n')[line1 - 1];
  let col = -1;
  for (let k = 0; k <= nth; k++) col = text.indexOf(needle, col + 1);
  assert.ok(col >= 0, `"${needle}" on line ${line1}`);
  const at = col + needle.lastIndexOf('.') + 2; // on the last segment of a field path
  return hoverText(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: line1 - 1, character: at } }));
}

describe('lsp: recording language server over a socket', function () {
  this.timeout(10_000);
  let server: RecordingLanguageServer | undefined;
  let client: TestClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  describe('on the real recording of examples/bank', () => {
    let source: SourceOf;
    let uri: string;

    beforeEach(async () => {
      source = new SourceOf(bankFixtureStore(), new FakeCatalog(bankCatalog()));
      server = await startWith(source);
      client = await TestClient.connect(server.port, server.token);
      uri = await client.open(accountEx);
      await settle();
    });

    it('hover: a parameter\'s values in the last recorded calls through the hovered clause (guards decide)', async () => {
      const deposit = await hoverAt(client!, uri, 25, 'amount');
      assert.match(deposit, /amount = 60 .*\n.*amount = 50 .*\n.*amount = 40 /);
      assert.match(deposit, /last 3 calls \(of 6 recorded\) of Bank\.Account\.handle_call\/3/);
      // Clause 2 (withdraw with enough balance): 25 and 20; the withdrawal of 30 from 25 went through clause 3.
      const clause2 = await hoverAt(client!, uri, 31, 'amount');
      assert.match(clause2, /amount = 25 .*\n.*amount = 20 /);
      assert.doesNotMatch(clause2, /amount = 30/);
      assert.match(await hoverAt(client!, uri, 40, 'amount'), /amount = 30 /);
      assert.doesNotMatch(await hoverAt(client!, uri, 40, 'amount'), /amount = 25/);
      // A pattern variable bound from a struct field, and a field path.
      assert.match(await hoverAt(client!, uri, 31, 'balance', 1), /balance = 50 .*\n.*balance = 70 /);
      assert.match(await hoverAt(client!, uri, 26, 'state.ops', 0), /state = %Bank\.Account\{balance: 250, id: :a, ops: 5\}|state\.ops = 5/);
      // A local never captured (no line probes in this recording): no hover rather than a guess.
      assert.strictEqual(await hoverAt(client!, uri, 33, 'fee'), '');
    });

    it('hover: the value at the debugger\'s cursor when the cursor is in that function', async () => {
      source.nav.goto(48); // handle_call({:withdraw, 25}, …) of account :b
      const h = await hoverAt(client!, uri, 31, 'amount');
      assert.match(h, /amount = 25\n/);
      assert.match(h, /at the debugger's cursor, Bank\.Account\.handle_call\/3/);
      assert.match(await hoverAt(client!, uri, 35, 'state.ops'), /state\.ops = 4\n/);
      source.nav.goto(49); // inside fee_for/1, called from handle_call/3: the caller frame answers
      assert.match(await hoverAt(client!, uri, 31, 'balance', 1), /balance = 50\n[\s\S]*caller frame/);
    });

    it('code lenses: call counts, exceptions, last return value, step to last call', async () => {
      const lenses = (await client!.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
      const at = (line1: number) => lenses.filter((l) => l.range.start.line === line1 - 1);
      const hc = at(25);
      assert.match(hc[0].command!.title, /^\$\(history\) 6 calls · last → \{:reply, \{:error, :insufficient_funds\}, %Bank\.Account\{/);
      assert.deepStrictEqual(hc[1].command, { title: 'Step to last call', command: LanguageServerCommands.stepToEvent, arguments: [{ seq: 85 }] });
      assert.match(at(13)[0].command!.title, /3 calls · last → \{:ok, 310\}/);
      assert.match(at(47)[0].command!.title, /2 calls · last → 0$/);
      assert.strictEqual(at(20).length, 0, 'init/1 was not recorded');
    });

    it('diagnostics: unplaced breakpoints and conditions that did not compile, at their lines', async () => {
      server!.setBreakpointResults(
        accountEx,
        [{ line: 31, condition: 'amount >>> (' }, { line: 33 }, { line: 23 }],
        [
          { id: 1, verified: false, message: "condition does not compile: syntax error before: '('" },
          { id: 2, verified: true, line: 33 },
          { id: 3, verified: false, message: 'no code at line 23' },
        ],
      );
      await client!.until(() => client!.diagnostics.has(uri), 3000, 'diagnostics');
      const d = client!.diagnostics.get(uri)!.diagnostics;
      assert.strictEqual(d.length, 2);
      assert.strictEqual(d[0].range.start.line, 30);
      assert.match(d[0].message, /^Breakpoint condition did not compile: condition does not compile: syntax error before: '\('/);
      assert.strictEqual(d[0].code, 'breakpoint-condition');
      assert.strictEqual(d[1].range.start.line, 22);
      assert.match(d[1].message, /^Breakpoint could not be placed: no code at line 23/);
      // Fixed: the diagnostics go away.
      server!.setBreakpointResults(accountEx, [{ line: 33 }], [{ id: 2, verified: true, line: 33 }]);
      await client!.until(() => client!.diagnostics.get(uri)!.diagnostics.length === 0, 3000, 'cleared diagnostics');
      // A client that connects later gets them too.
      server!.setBreakpointResults(accountEx, [{ line: 23 }], [{ id: 3, verified: false, message: 'no code at line 23' }]);
      const late = await TestClient.connect(server!.port, server!.token);
      try {
        await late.until(() => late.diagnostics.get(uri)?.diagnostics.length === 1, 3000, 'diagnostics on connect');
      } finally {
        late.close();
      }
    });

    it('refuses a client without the session token', async () => {
      const intruder = await TestClient.connect(server!.port, 'not-the-token').then(
        () => 'accepted',
        (err: Error) => err.message,
      );
      assert.match(intruder, /wrong or missing initializationOptions\.token/);
      // The rightful client still works.
      assert.match(await hoverAt(client!, uri, 25, 'amount'), /amount = 60/);
    });

    it('pushes refreshes: inlay hints when the cursor moves, lenses when events arrive; exit ends only that connection', async () => {
      const before = client!.hintRefreshes;
      source.nav.goto(20);
      source.nav.goto(48);
      await client!.until(() => client!.hintRefreshes > before, 2000, 'inlayHint/refresh');
      const lensBefore = client!.lensRefreshes;
      const s = new Synth();
      s.call('<0.999.0>', mfa('fee_for', 1, ACCOUNT), [t.int(500)]);
      for (const f of s.frames()) source.store.ingest(f);
      source.store.flush();
      await client!.until(() => client!.lensRefreshes > lensBefore, 2000, 'codeLens/refresh');
      const lenses = (await client!.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
      assert.match(lenses.find((l) => l.range.start.line === 46)!.command!.title, /^\$\(history\) 3 calls/);
      // shutdown + exit from the client closes its socket; the adapter process and the server stay.
      await client!.conn.sendRequest('shutdown');
      await client!.conn.sendNotification('exit');
      await new Promise<void>((r) => client!.socket.once('close', () => r()));
      const again = await TestClient.connect(server!.port, server!.token);
      again.close();
    });
  });

  describe('inlay hints on a recording with line probes', () => {
    it('shows the values of the variables on each recorded line of the cursor\'s frame, as of the cursor', async () => {
      const s = new Synth();
      const pid = '<0.150.0>';
      const hc = mfa('handle_call', 3, ACCOUNT);
      const st0 = t.map({ __struct__: t.atom(ACCOUNT), balance: t.int(100), id: t.atom('b'), ops: t.int(3) });
      const st1 = t.map({ __struct__: t.atom(ACCOUNT), balance: t.int(90), id: t.atom('b'), ops: t.int(4) });
      const from = t.tuple(t.atom('from'), t.atom('tag'));
      const base = { amount: t.int(10), balance: t.int(100), state: st0 };
      // As the agent records a call without a breakpoint: arguments only, clause unknown.
      s.add({ pid, kind: elixirscope.EventKind.CALL, mfa: hc, body: { call: { args: [t.tuple(t.atom('withdraw'), t.int(10)), from, st0] } } });
      s.line(pid, 33, base);
      s.call(pid, mfa('fee_for', 1, ACCOUNT), [t.int(10)]);
      s.ret(pid, mfa('fee_for', 1, ACCOUNT), t.int(0));
      s.line(pid, 34, { ...base, fee: t.int(0) });
      s.line(pid, 35, { ...base, fee: t.int(0), new_balance: t.int(90) });
      const cursor = s.line(pid, 36, { ...base, fee: t.int(0), new_balance: t.int(90), state: st1 });
      s.line(pid, 37, { ...base, fee: t.int(0), new_balance: t.int(90), state: st1 });
      s.ret(pid, hc, t.tuple(t.atom('reply'), t.tuple(t.atom('ok'), t.int(90)), st1));
      const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
      for (const f of s.frames(4)) store.ingest(f);
      store.flush();
      const source = new SourceOf(store, new FakeCatalog(bankCatalog()));
      server = await startWith(source);
      client = await TestClient.connect(server.port, server.token);
      const uri = await client.open(accountEx);
      const hintsNow = async () =>
        (await client!.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 60, character: 0 } } })) as InlayHint[];
      assert.deepStrictEqual(await hintsNow(), [], 'no cursor, no hints');
      source.nav.goto(cursor);
      await settle();
      const byLine = new Map((await hintsNow()).map((h) => [h.position.line + 1, String(h.label).trim()]));
      assert.strictEqual(byLine.get(31), '⟵ amount = 10, balance = 100, state = %Bank.Account{balance: 100, id: :b, ops: 3}');
      assert.strictEqual(byLine.get(33), 'amount = 10, fee = 0');
      assert.strictEqual(byLine.get(34), 'amount = 10, balance = 100, fee = 0, new_balance = 90');
      assert.strictEqual(byLine.get(35), 'state = %Bank.Account{balance: 90, id: :b, ops: 4}, new_balance = 90');
      assert.strictEqual(byLine.get(36), 'amount = 10, state = %Bank.Account{balance: 90, id: :b, ops: 4}');
      assert.strictEqual(byLine.has(37), false, 'line 37 runs after the cursor');
      // Hover on a local inside the function at the cursor: line-probe locals.
      assert.match(await hoverAt(client, uri, 34, 'new_balance'), /new_balance = 90\n/);
      // The inlay hint is placed at the end of the line's code.
      const h34 = (await hintsNow()).find((h) => h.position.line === 33)!;
      assert.strictEqual(h34.position.character, '    new_balance = balance - amount - fee'.length);
      assert.ok(uriOf(accountEx));
    });
  });

  describe('Erlang modules', () => {
    it('hover and inlay hints with Erlang variables and syntax', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-lsp-'));
      const file = path.join(dir, 'bank_erl.erl');
      fs.writeFileSync(file, ['-module(bank_erl).', '-export([add/2]).', '', 'add(Amount, Balance) ->', '    Total = Amount + Balance, % sum', "    {ok, Total, 'done'}."].join('\n'));
      const s = new Synth();
      const p = '<0.77.0>';
      const add = mfa('add', 2, 'bank_erl');
      s.call(p, add, [t.int(5), t.int(7)], { bindings: { Amount: t.int(5), Balance: t.int(7) } });
      s.line(p, 5, { Amount: t.int(5), Balance: t.int(7) });
      const l6 = s.line(p, 6, { Amount: t.int(5), Balance: t.int(7), Total: t.int(12) });
      s.ret(p, add, t.tuple(t.atom('ok'), t.int(12), t.atom('done')));
      const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
      for (const f of s.frames()) store.ingest(f);
      store.flush();
      const catalog = new FakeCatalog({ bank_erl: { module: 'bank_erl', source: file, functionLines: new Map([['add/2', 4]]), functionLastLines: new Map([['add/2', 6]]) } });
      const source = new SourceOf(store, catalog);
      server = await startWith(source);
      client = await TestClient.connect(server.port, server.token);
      const uri = await client.open(file);
      await settle();
      const hov = async (line: number, character: number) => hoverText(await client!.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } }));
      assert.match(await hov(5, 13), /^```erlang\nTotal = 12    % <0\.77\.0>, event 0\n/);
      assert.match(await hov(3, 6), /Amount = 5 /);
      assert.strictEqual(await hov(4, 30), '', 'comment');
      const lenses = (await client.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
      assert.match(lenses[0].command!.title, /1 call · last → \{ok,12,done\}/);
      source.nav.goto(l6);
      const hs = (await client.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } })) as InlayHint[];
      assert.deepStrictEqual(hs.map((h) => [h.position.line + 1, String(h.label).trim()]), [
        [4, '⟵ Amount = 5, Balance = 7'],
        [5, 'Amount = 5, Balance = 7, Total = 12'],
        [6, 'Total = 12'],
      ]);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
