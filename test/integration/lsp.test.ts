// The recording language server against a real recording of examples/bank: the example runs through
// the real agent (DebugRuntime.launch, line probes on Bank.Account, a conditional breakpoint and one
// whose condition does not compile), and an LSP client talks to the server over its loopback socket.
// A second test takes the DAP path (dist/adapter.js announces the port with elixirScope.languageServer)
// and is skipped while the adapter does not announce it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { CodeLens, Hover, InlayHint, MarkupContent } from 'vscode-languageserver-protocol';
import { startRecordingLanguageServer, type RecordingLanguageServer } from '../../adapter/lsp/server';
import { CustomEvents, LanguageServerCommands, type LanguageServerEventBody } from '../../adapter/protocol/customDap';
import { DebugRuntime } from '../../adapter/runtime/debugRuntime';
import { Kind } from '../../adapter/store';
import { bankProject, printTraceOnFailure, repoRoot, TracedDebugClient } from '../support/dapSession';
import { accountEx, TestClient } from '../unit/lsp/support';

const WITHDRAW_CLAUSE_LINE = 31;
const lines = fs.readFileSync(accountEx, 'utf8').split('\n');

function col(line1: number, needle: string, nth = 0): number {
  let c = -1;
  for (let k = 0; k <= nth; k++) c = lines[line1 - 1].indexOf(needle, c + 1);
  assert.ok(c >= 0, `"${needle}" on line ${line1}`);
  return c + 1;
}

async function hover(c: TestClient, uri: string, line1: number, needle: string, nth = 0): Promise<string> {
  const h = (await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: line1 - 1, character: col(line1, needle, nth) } })) as Hover | null;
  return h ? (h.contents as MarkupContent).value : '';
}

async function hints(c: TestClient, uri: string): Promise<Map<number, string>> {
  const hs = (await c.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } } })) as InlayHint[];
  return new Map(hs.map((h) => [h.position.line + 1, String(h.label).trim()]));
}

async function lensesAt(c: TestClient, uri: string, line1: number): Promise<CodeLens[]> {
  for (let i = 0; i < 50; i++) {
    const all = (await c.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    const at = all.filter((l) => l.range.start.line === line1 - 1);
    if (at.length > 0) return at;
    await new Promise((r) => setTimeout(r, 100)); // module outlines arrive from the agent asynchronously
  }
  return [];
}

describe('recording language server over a real recording of examples/bank', function () {
  this.timeout(120_000);

  describe('in-process (DebugRuntime + real agent)', () => {
    let rt: DebugRuntime | undefined;
    let server: RecordingLanguageServer | undefined;
    let client: TestClient | undefined;

    after(async () => {
      client?.close();
      await server?.close();
      await rt?.terminate();
    });

    afterEach(function () {
      const out = (this as unknown as { output?: () => string }).output;
      if (this.currentTest?.state === 'failed' && out) console.log(`node output:\n${out()}`);
    });

    it('hover, code lenses, inlay hints and diagnostics show the recorded values', async function () {
      // In-process the runtime's default agent path (next to dist/) does not apply.
      process.env.ELIXIR_SCOPE_AGENT_EBIN ??= path.join(repoRoot, 'erlang', 'ebin');
      rt = new DebugRuntime({ request: 'launch', options: { projectDir: bankProject, task: 'run', taskArgs: ['demo.exs'], env: {}, trace: { projectModules: true, patterns: [] }, lineProbes: ['Bank.Account'], recording: { maxEvents: 100_000, maxBytes: 64 << 20 } } });
      let output = '';
      rt.on('output', (text) => (output += text));
      this.test!.ctx!.output = () => output;
      const exited = new Promise<void>((r) => rt!.once('programExited', () => r()));
      await rt.start();
      server = await startRecordingLanguageServer(rt, undefined, { hintRefreshMs: 20, lensRefreshMs: 50 });
      const requests = [{ line: 25, condition: 'amount >>> (' }, { line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }];
      const results = await rt.setBreakpoints(accountEx, requests);
      assert.deepStrictEqual(results.map((r) => r.verified), [false, true], JSON.stringify(results));
      server.setBreakpointResults(accountEx, requests, results);

      client = await TestClient.connect(server.port, server.token);
      const uri = await client.open(accountEx);
      await client.until(() => client!.diagnostics.has(uri), 5000, 'diagnostics');
      const diag = client.diagnostics.get(uri)!.diagnostics;
      assert.strictEqual(diag.length, 1);
      assert.strictEqual(diag[0].range.start.line, 24);
      assert.match(diag[0].message, /^Breakpoint (condition did not compile|could not be placed): .+/);

      const hit = new Promise<void>((r) => rt!.once('moved', () => r()));
      await rt.setConfigurationDone();
      await hit; // the first hit: round 2's withdrawal of 10 from :b (balance 100)
      await exited;
      rt.store.flush();

      // Hover at the cursor: the hit's clause bindings.
      const amount = await hover(client, uri, WITHDRAW_CLAUSE_LINE, 'amount');
      assert.match(amount, /amount = 10\n/);
      assert.match(amount, /at the debugger's cursor, Bank\.Account\.handle_call\/3/);
      assert.match(await hover(client, uri, WITHDRAW_CLAUSE_LINE, 'balance', 1), /balance = 100\n/);

      // Code lenses: handle_call/3's calls and exceptions, counted independently from the store.
      const st = rt.store;
      let calls = 0;
      let exceptions = 0;
      let lastCall = -1;
      for (let g = st.head; g < st.tail; g++) {
        const m = st.interner.mfas[st.cols.mfa[st.slot(g)]];
        if (m?.module !== 'Elixir.Bank.Account' || m.function !== 'handle_call' || m.arity !== 3) continue;
        if (st.kind(g) === Kind.CALL) {
          calls++;
          lastCall = g;
        }
        if (st.kind(g) === Kind.EXCEPTION) exceptions++;
      }
      // 3 rounds × 3 operations, the too-large and the negative withdrawal (the final balance/1 calls come
      // after the crash, right before the node halts, and may not reach the recording).
      assert.ok(calls >= 11, `handle_call/3 calls: ${calls}`);
      assert.strictEqual(exceptions, 1, 'the negative withdrawal raises');
      const hc = await lensesAt(client, uri, 25);
      assert.match(hc[0].command!.title, new RegExp(`^\\$\\(history\\) ${calls} calls · 1 exception · last → `));
      assert.deepStrictEqual(hc[1].command, { title: 'Step to last call', command: LanguageServerCommands.stepToEvent, arguments: [{ seq: lastCall }] });

      // Inlay hints: move the cursor to the line probe of line 36 in the hit's frame.
      const frame = rt.nav.stack(rt.nav.pid).frames[0];
      const line36 = (() => {
        for (let g = frame.call + 1; g < st.tail; g++) if (st.kind(g) === Kind.LINE && st.body(g)?.line?.line === 36 && st.pidOf(g) === rt!.nav.pid) return g;
        return -1;
      })();
      assert.ok(line36 > 0, 'a line probe event for line 36');
      const refreshed = client.hintRefreshes;
      rt.nav.goto(line36);
      await client.until(() => client!.hintRefreshes > refreshed, 3000, 'inlayHint/refresh');
      const h = await hints(client, uri);
      assert.match(h.get(WITHDRAW_CLAUSE_LINE) ?? '', /amount = 10, balance = 100, state = %Bank\.Account\{balance: 100, id: :b/);
      assert.match(h.get(33) ?? '', /fee = 0/);
      assert.match(h.get(34) ?? '', /new_balance = 90/);
      assert.match(h.get(35) ?? '', /state = %Bank\.Account\{balance: 90, id: :b/);
      assert.strictEqual(h.has(37), false, 'line 37 runs after the cursor');
      // A local at the cursor, from the line probes.
      assert.match(await hover(client, uri, 34, 'new_balance'), /new_balance = 90\n/);
    });
  });

  describe('through the DAP session (dist/adapter.js)', () => {
    let dc: TracedDebugClient | undefined;
    let client: TestClient | undefined;

    afterEach(async function () {
      printTraceOnFailure(this, dc);
      client?.close();
      await dc?.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
      await dc?.stop().catch(() => undefined);
      dc = undefined;
    });

    it('announces the server with elixirScope.languageServer; hover and diagnostics over it', async function () {
      dc = new TracedDebugClient();
      await dc.start();
      await dc.initializeRequest();
      const announced = dc.waitForEvent(CustomEvents.languageServer, 60_000).catch(() => undefined);
      const initialized = dc.waitForEvent('initialized', 60_000);
      await dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['demo.exs'] } as never);
      await initialized;
      const ev = (await Promise.race([announced, new Promise((r) => setTimeout(r, 3000))])) as { body?: Partial<LanguageServerEventBody> } | undefined;
      if (!ev?.body?.port || !ev.body.token) this.skip(); // the adapter does not start the server yet (session.ts wiring)
      client = await TestClient.connect(ev!.body!.port!, ev!.body!.token!);
      const uri = await client.open(accountEx);
      await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: 25, condition: 'amount >>> (' }, { line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }] });
      await client.until(() => client!.diagnostics.get(uri)?.diagnostics.length === 1, 10_000, 'diagnostics from setBreakpoints');
      const stopped = dc.waitForEvent('stopped', 30_000);
      await dc.configurationDoneRequest();
      await stopped;
      // Module outlines come from the agent (DescribeModules) asynchronously: allow a moment.
      let h = '';
      for (let i = 0; i < 50 && !/amount = 10\n/.test(h); i++) {
        h = await hover(client, uri, WITHDRAW_CLAUSE_LINE, 'amount');
        if (!h) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(h, /amount = 10\n/);
      assert.match(h, /at the debugger's cursor/);
    });
  });
});
