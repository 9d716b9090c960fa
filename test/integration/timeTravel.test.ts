// Numbered DAP choreographies over a real recording of examples/bank: a conditional breakpoint hit,
// the stack, named bindings, a hover, stepping back through GenServer state versions, continue and
// reverseContinue between hits, log points, exception stops, function breakpoints, and a session
// that stays usable after the program exits. All of it twice: on this machine's Erlang/Elixir, and
// on OTP 27 + Elixir 1.18 (the trixie root of scripts/install-otp27.sh; skipped where it cannot be
// used, except under CI).
import * as assert from 'assert';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../support/dapSession';
import { otp27Runtime, startWithAgent } from '../support/otp27Root';

const WITHDRAW_CLAUSE_LINE = 31; // def handle_call({:withdraw, amount}, _from, %__MODULE__{balance: balance} = state)
const LEDGER_RECORD_LINE = 36; // Bank.Ledger.record(state.id, :withdraw, amount)
const VAULT_LOCKED_UNLOCK_LINE = 16; // def locked({:call, from}, {:unlock, code}, data) do

/** Where the debugged program runs: the project, the launch's env, the agent build for the adapter. */
interface Runtime {
  projectDir: string;
  env?: Record<string, string>;
  agentEbin?: string;
}

async function stopped(dc: TracedDebugClient, reason?: string): Promise<DebugProtocol.StoppedEvent> {
  const ev = (await dc.waitForEvent('stopped', 30_000)) as DebugProtocol.StoppedEvent;
  if (reason) assert.strictEqual(ev.body.reason, reason, `stop reason (${ev.body.description})`);
  return ev;
}

async function topFrame(dc: TracedDebugClient, threadId: number): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId });
  assert.ok(st.body.stackFrames.length > 0, 'a stack at the cursor');
  return st.body.stackFrames[0];
}

async function scopeVars(dc: TracedDebugClient, frameId: number): Promise<Map<string, DebugProtocol.Variable[]>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const out = new Map<string, DebugProtocol.Variable[]>();
  for (const s of scopes) out.set(s.name, (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables);
  return out;
}

function scopeNamed(scopes: Map<string, DebugProtocol.Variable[]>, prefix: string): [string, DebugProtocol.Variable[]] | undefined {
  return [...scopes.entries()].find(([name]) => name.startsWith(prefix));
}

async function hover(dc: TracedDebugClient, frameId: number, expression: string): Promise<string> {
  return (await dc.evaluateRequest({ expression, frameId, context: 'hover' })).body.result;
}

function timeTravelSuite(label: string, runtime: (ctx: Mocha.Context) => Runtime, done?: () => void): void {
  describe(`time travel over a recording${label} (real BEAM, real DAP)`, function () {
    let dc: TracedDebugClient | undefined;
    let rt: Runtime = { projectDir: bankProject };
    let accountEx = '';

    before(function () {
      rt = runtime(this);
      accountEx = path.join(rt.projectDir, 'lib', 'bank', 'account.ex');
    });
    if (done) after(done);

    async function launch(client: TracedDebugClient, task: string, taskArgs: string[], initializedMs: number): Promise<void> {
      await startWithAgent(client, rt.agentEbin);
      await client.initializeRequest();
      const initialized = client.waitForEvent('initialized', initializedMs);
      await client.launchRequest({ projectDir: rt.projectDir, task, taskArgs, ...(rt.env ? { env: rt.env } : {}) } as DebugProtocol.LaunchRequestArguments);
      await initialized;
    }

    const start = (client: TracedDebugClient, taskArgs: string[] = ['demo.exs']) => launch(client, 'run', taskArgs, 60_000);

    afterEach(async function () {
      await endSession(this, dc);
      dc = undefined;
    });

    it('1. conditional hit → stack → named bindings → hover → stepBack to an earlier state → continue → reverseContinue → usable after exit', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      // 1. A condition over a struct field of the GenServer state on the multi-clause handle_call/3.
      const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const hitEvent = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const hit = await hitEvent;
      assert.deepStrictEqual(hit.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
      const threadId = hit.body.threadId!;
      const threads = (await dc.threadsRequest()).body.threads;
      assert.match(threads.find((t) => t.id === threadId)!.name, /^Bank\.Account \{:account, :b\} <\d+\.\d+\.\d+>$/); // callback module, via name, pid

      // 2. Stack: the callback at its clause head, in account.ex.
      const frame = await topFrame(dc, threadId);
      assert.match(frame.name, /Bank\.Account\.handle_call\/3/);
      assert.strictEqual(frame.source?.path, accountEx);
      assert.strictEqual(frame.line, WITHDRAW_CLAUSE_LINE);

      // 3. Named bindings of the matched clause (clause 2), not arg1..argN.
      const scopes = await scopeVars(dc, frame.id);
      const [argsName, args] = scopeNamed(scopes, 'Arguments')!;
      assert.match(argsName, /clause 2/);
      const byName = new Map(args.map((v) => [v.name, v.value]));
      assert.strictEqual(byName.get('amount'), '10');
      assert.strictEqual(byName.get('balance'), '100');
      // Field order is the captured map's own: alphabetical on OTP 25, OTP >= 26 orders small-map atom keys otherwise.
      assert.match(byName.get('state')!, /^%Bank\.Account\{(?=.*\bbalance: 100\b)(?=.*\bid: :b\b)(?=.*\bops: \d+\b)[^{}]*\}$/);
      const stateScope = scopeNamed(scopes, 'GenServer State');
      assert.ok(stateScope, `scopes: ${[...scopes.keys()].join(', ')}`);

      // 4. Hover a field path, answered from the recording.
      assert.strictEqual(await hover(dc, frame.id, 'state.balance'), '100');
      assert.strictEqual(await hover(dc, frame.id, 'amount'), '10');

      // 5. Step back until the GenServer state is the one before the last change (balance 95, after round 1's withdrawal).
      let sawEarlierState = false;
      for (let i = 0; i < 40 && !sawEarlierState; i++) {
        const next = stopped(dc, 'step');
        await dc.stepBackRequest({ threadId });
        await next;
        const f = await topFrame(dc, threadId);
        // VS Code only shows scopes for a frame with a source: state and message stops point at the callback.
        assert.strictEqual(f.source?.path, accountEx, `frame of a step-back stop: ${JSON.stringify(f)}`);
        assert.ok(f.line > 0, `a line for ${f.name}`);
        const st = scopeNamed(await scopeVars(dc, f.id), 'GenServer State');
        if (st && /balance: 95/.test(st[1][0].value)) {
          sawEarlierState = true;
          // Named by the callback involved and by what the event is (a state version or a received call).
          assert.match(f.name, /^Bank\.Account\.handle_call\/3 · (GenServer state v\d+ after handle_call|receive \{:"\$gen_call")/);
        }
      }
      assert.ok(sawEarlierState, 'stepping back reaches the state before the previous callback');

      // 6. continue → the next hit after the cursor: the round-2 hit we stepped back from, then round 3's.
      const c1 = stopped(dc, 'breakpoint');
      await dc.continueRequest({ threadId });
      await c1;
      assert.strictEqual(await hover(dc, (await topFrame(dc, threadId)).id, 'amount'), '10');
      const c = stopped(dc, 'breakpoint');
      await dc.continueRequest({ threadId });
      await c;
      const f3 = await topFrame(dc, threadId);
      assert.strictEqual(await hover(dc, f3.id, 'amount'), '15');

      // 7. reverseContinue → the previous hit (round 2: withdraw 10).
      const rc = stopped(dc, 'breakpoint');
      await dc.send('reverseContinue', { threadId });
      await rc;
      const f2 = await topFrame(dc, threadId);
      assert.strictEqual(await hover(dc, f2.id, 'amount'), '10');

      // 8. The program ends; the recording stays usable.
      await dc.waitForOutput((o) => /The program exited/.test(o), 30_000);
      assert.ok((await dc.threadsRequest()).body.threads.length > 0);
      // The status bar's last figures: what the recording kept, marked as final.
      const finalStats = () => dc!.events.find((e) => e.event === 'elixirScope.stats' && e.body.ended === true);
      for (let i = 0; i < 50 && !finalStats(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok((finalStats()?.body.eventsKept ?? 0) > 0, `final stats: ${JSON.stringify(dc.events.filter((e) => e.event === 'elixirScope.stats').map((e) => e.body))}`);
      const f4 = await topFrame(dc, threadId);
      assert.strictEqual(await hover(dc, f4.id, 'state.balance'), '100');
      await assert.rejects(dc.evaluateRequest({ expression: '1 + 1', context: 'repl' }), /program has exited/);
    });

    it('1b. Break on Value Change of state.balance: reverseContinue and continue stop where it changed', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }] });
      const hitEvent = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const threadId = (await hitEvent).body.threadId!;
      const frame = await topFrame(dc, threadId);
      const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
      const stateScope = scopes.find((sc) => sc.name.startsWith('GenServer State'))!;
      const [stateVar] = (await dc.variablesRequest({ variablesReference: stateScope.variablesReference })).body.variables;
      // Only values inside a GenServer State can be watched; an argument cannot.
      const argsScope = scopes.find((sc) => sc.name.startsWith('Arguments'))!;
      const notWatchable = await dc.send('dataBreakpointInfo', { variablesReference: argsScope.variablesReference, name: 'amount' });
      assert.strictEqual(notWatchable.body.dataId, null);
      const info = await dc.send('dataBreakpointInfo', { variablesReference: stateVar.variablesReference, name: 'balance' });
      assert.ok(info.body.dataId, JSON.stringify(info.body));
      assert.match(info.body.description, /^state\.balance of Bank\.Account \{:account, :b\}/);
      const set = await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
      const watchId = set.body.breakpoints[0].id as number;
      assert.strictEqual(set.body.breakpoints[0].verified, true);

      const balanceNow = async (): Promise<string> => {
        const f = await topFrame(dc!, threadId);
        const st = (await dc!.scopesRequest({ frameId: f.id })).body.scopes.find((sc) => sc.name.startsWith('GenServer State'))!;
        const [v] = (await dc!.variablesRequest({ variablesReference: st.variablesReference })).body.variables;
        return (await dc!.variablesRequest({ variablesReference: v.variablesReference })).body.variables.find((x) => x.name === 'balance')!.value;
      };
      const go = async (move: 'reverseContinue' | 'continue') =>
        (await Promise.all([dc!.waitForEvent('stopped', 10_000), dc!.send(move, { threadId })]))[0] as DebugProtocol.StoppedEvent;
      // Back to where the balance last changed; forward again, the breakpoint we came from comes
      // first, then the change its withdrawal makes.
      for (const move of ['reverseContinue', 'continue', 'continue'] as const) {
        const ev = await go(move);
        if (ev.body.reason === 'breakpoint') {
          assert.strictEqual(move, 'continue');
          assert.strictEqual(await hover(dc, (await topFrame(dc, threadId)).id, 'amount'), '10', 'the hit we started from');
          continue;
        }
        assert.strictEqual(ev.body.reason, 'data breakpoint', `${move}: ${ev.body.description}`);
        assert.deepStrictEqual(ev.body.hitBreakpointIds, [watchId]);
        const m = /^state\.balance changed: (\d+) → (\d+)$/.exec(ev.body.description ?? '');
        assert.ok(m && m[1] !== m[2], `${move}: ${ev.body.description}`);
        assert.strictEqual(await balanceNow(), m![2], `${move}: the state at the stop holds the new value`);
        if (move === 'continue') assert.deepStrictEqual([m![1], m![2]], ['100', '90'], 'the withdrawal of 10 at the hit');
      }
    });

    it('1c. a :gen_statem: its versions are {state, data}, named as gen_statem state, and Step Back walks them', async () => {
      dc = new TracedDebugClient();
      await start(dc, ['vault.exs']);
      const vaultEx = path.join(rt.projectDir, 'lib', 'bank', 'vault.ex');
      // The state function's clause head, on the last unlock (the wrong code after the vault was locked again).
      const set = await dc.setBreakpointsRequest({ source: { path: vaultEx }, breakpoints: [{ line: VAULT_LOCKED_UNLOCK_LINE, condition: 'code == 4321' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const hitEvent = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const threadId = (await hitEvent).body.threadId!;
      const frame = await topFrame(dc, threadId);
      assert.match(frame.name, /Bank\.Vault\.locked\/3/);
      const stateAt = async (frameId: number): Promise<[string, string] | undefined> => {
        const st = scopeNamed(await scopeVars(dc!, frameId), 'gen_statem State');
        return st && [st[0], st[1][0].value];
      };
      const scopes = await scopeVars(dc, frame.id);
      assert.ok(!scopeNamed(scopes, 'GenServer State'), `a gen_statem's state is not called a GenServer's: ${[...scopes.keys()].join(', ')}`);
      const process = new Map(scopeNamed(scopes, 'Process')![1].map((v) => [v.name, v.value]));
      assert.strictEqual(process.get('behaviour'), 'gen_statem');
      // Locked again by `open` (the lock), with the failures reset by the good code.
      const [name, value] = (await stateAt(frame.id))!;
      assert.match(name, /^gen_statem State \(v\d+, after open\)$/);
      assert.match(value, /^\{:locked, %\{(?=.*\bcode: 1234\b)(?=.*\bfailed: 0\b)[^{}]*\}\}$/);
      // Back through the versions: open (after the good code), then locked with one failure.
      const seen: string[] = [];
      for (let i = 0; i < 40 && !seen.some((v) => /failed: 1\b/.test(v)); i++) {
        const next = stopped(dc, 'step');
        await dc.stepBackRequest({ threadId });
        await next;
        const f = await topFrame(dc, threadId);
        const st = await stateAt(f.id);
        if (st && st[1] !== seen[seen.length - 1]) seen.push(st[1]);
        if (/gen_statem state v\d+ after/.test(f.name)) assert.match(f.name, /^Bank\.Vault\.\w+\/\d+ · gen_statem state v\d+ after (init|locked|open)/);
      }
      assert.deepStrictEqual(seen.map((v) => /^\{:(\w+),.*failed: (\d+)/.exec(v)!.slice(1).join(' ')), ['locked 0', 'open 0', 'locked 1'],
        `state versions seen stepping back: ${seen.join(' | ')}`);
    });

    it('2. a log point prints interpolated bindings and does not stop', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: LEDGER_RECORD_LINE, logMessage: 'withdraw {amount} from {state.id}, new balance {new_balance}' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      let stops = 0;
      dc.on('stopped', () => stops++);
      await dc.configurationDoneRequest();
      // Interpolations render like inspect/1, so any term reads unambiguously (:b, "text", %{...}).
      await dc.waitForOutput((o) => /withdraw 10 from :b, new balance 90/.test(o), 30_000);
      await dc.waitForOutput((o) => /The program exited/.test(o), 30_000);
      assert.strictEqual(stops, 0, 'a log point never stops');
    });

    it('3. an exception breakpoint stops on the raise inside the GenServer', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      await dc.setExceptionBreakpointsRequest({ filters: ['raised'] });
      const ex = stopped(dc, 'exception');
      await dc.configurationDoneRequest();
      const ev = await ex;
      const frame = await topFrame(dc, ev.body.threadId!);
      assert.match(frame.name, /Bank\.Account\.handle_call\/3/);
      const scopes = await scopeVars(dc, frame.id);
      const exScope = scopeNamed(scopes, 'Exception');
      assert.ok(exScope, `scopes: ${[...scopes.keys()].join(', ')}`);
      assert.match(exScope[1].map((v) => v.value).join(' '), /ArgumentError/);
    });

    it('4. a function breakpoint by name with a condition over the clause names', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Bank.Ledger.handle_cast/2', condition: 'kind == :withdraw' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const hit = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const ev = await hit;
      const frame = await topFrame(dc, ev.body.threadId!);
      assert.match(frame.name, /Bank\.Ledger\.handle_cast\/2/);
      assert.strictEqual(await hover(dc, frame.id, 'kind'), ':withdraw');
    });

    it('4b. a function breakpoint on a module that does not exist yet turns verified when the module is loaded, then hits', async () => {
      dc = new TracedDebugClient();
      await start(dc, ['demo.exs', '400']); // the node keeps running while we load code into it
      const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Late.double/1' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, false);
      assert.match(set.body.breakpoints[0].message ?? '', /pending/);
      await dc.configurationDoneRequest();
      // Loaded on the live node, as a user would from iex; VS Code is told through a `breakpoint` event.
      const changed = dc.waitForEvent('breakpoint', 10_000) as Promise<DebugProtocol.BreakpointEvent>;
      await dc.evaluateRequest({ expression: 'Code.compile_string("defmodule Late do\\n  def double(x), do: x * 2\\nend") |> length()', context: 'repl' });
      const ev = (await changed).body;
      assert.strictEqual(ev.reason, 'changed');
      assert.strictEqual(ev.breakpoint.id, set.body.breakpoints[0].id);
      assert.strictEqual(ev.breakpoint.verified, true);
      const hit = stopped(dc, 'breakpoint');
      await dc.evaluateRequest({ expression: 'spawn(fn -> Late.double(21) end) |> is_pid()', context: 'repl' });
      const frame = await topFrame(dc, (await hit).body.threadId!);
      assert.match(frame.name, /Late\.double\/1/);
    });

    it('5. unplaceable breakpoints are unverified with a reason the user can act on', async () => {
      dc = new TracedDebugClient();
      await start(dc);
      const bad = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: WITHDRAW_CLAUSE_LINE, condition: 'amount >>> (' }, { line: 23 }] });
      assert.strictEqual(bad.body.breakpoints[0].verified, false);
      assert.ok(bad.body.breakpoints[0].message && bad.body.breakpoints[0].message.length > 0);
      // Line 23 is blank: the breakpoint moves to the nearest line with code.
      assert.ok(bad.body.breakpoints[1].verified ? bad.body.breakpoints[1].line !== 23 : !!bad.body.breakpoints[1].message);
      const nowhere = await dc.setBreakpointsRequest({ source: { path: path.join(rt.projectDir, 'scratch', 'not_compiled.ex') }, breakpoints: [{ line: 3 }] });
      assert.strictEqual(nowhere.body.breakpoints[0].verified, false);
      assert.match(nowhere.body.breakpoints[0].message ?? '', /compiled|module/i);
      await dc.configurationDoneRequest();
    });

    it('6. the Debug Console evaluates Elixir on the live node with the cursor\'s bindings', async () => {
      dc = new TracedDebugClient();
      await start(dc, ['demo.exs', '100']); // long enough for the node to still run at the hit
      await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }] });
      const hit = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const ev = await hit;
      const frame = await topFrame(dc, ev.body.threadId!);
      const r = await dc.evaluateRequest({ expression: 'amount * 2 + state.balance', frameId: frame.id, context: 'repl' });
      assert.strictEqual(r.body.result, '120'); // amount 10, balance 100: bindings from the recording
      const live = await dc.evaluateRequest({ expression: 'is_pid(Process.whereis(Bank.Ledger))', frameId: frame.id, context: 'repl' });
      assert.strictEqual(live.body.result, 'true'); // and the code runs on the node itself
    });

    it('7. `mix test file:line` runs under the debugger and stops in the code under test', async () => {
      dc = new TracedDebugClient();
      await launch(dc, 'test', ['test/account_test.exs:4'], 120_000);
      const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: 25 }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const hit = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const ev = await hit;
      const frame = await topFrame(dc, ev.body.threadId!);
      assert.strictEqual(await hover(dc, frame.id, 'amount'), '5'); // Bank.AccountTest deposits 5
      await dc.waitForOutput((o) => /1 test, 0 failures/.test(o), 60_000);
    });
  });
}

timeTravelSuite('', () => ({ projectDir: bankProject }));

const otp27 = otp27Runtime();
timeTravelSuite(' on OTP 27 + Elixir 1.18', otp27.setup, otp27.teardown);

