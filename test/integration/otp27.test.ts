// The whole chain against a node on Erlang/OTP 27 + Elixir 1.18 (the trixie root of
// scripts/install-otp27.sh, selected by the launch's PATH): the agent records inside its own trace
// session, a conditional breakpoint hits with named bindings and a hover, stepping back works, and the
// live node answers in the Debug Console; attaching to a running OTP 27 node and detaching leaves it
// as it was, another tool's trace settings included. Skipped where the root cannot be used, except
// under CI.
import * as assert from 'assert';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { endSession, TracedDebugClient, waitForThread } from '../support/dapSession';
import { otp27Unavailable, otp27Workspace, Otp27Workspace, startWithAgent } from '../support/otp27Root';
import { RemoteNode } from '../support/remoteNode';

describe('a node on OTP 27 + Elixir 1.18 (real BEAM in a trixie root, real DAP)', function () {
  let dc: TracedDebugClient | undefined;
  let ws: Otp27Workspace | undefined;

  before(function () {
    const why = otp27Unavailable();
    if (why && process.env.CI !== 'true') this.skip();
    assert.strictEqual(why, undefined, why);
    ws = otp27Workspace();
  });

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
  });

  after(() => ws?.dispose());

  it('1. launch → conditional hit → bindings → hover → stepBack → Debug Console on the live OTP 27 node, recording in a trace session', async () => {
    const accountEx = path.join(ws!.projectDir, 'lib', 'bank', 'account.ex');
    dc = new TracedDebugClient();
    await startWithAgent(dc, ws!.agentEbin); // the agent as OTP 27's compiler builds it
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 120_000);
    await dc.launchRequest({ projectDir: ws!.projectDir, task: 'run', taskArgs: ['demo.exs', '400'], env: { PATH: ws!.path } } as DebugProtocol.LaunchRequestArguments);
    await initialized;

    const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: 31, condition: 'state.id == :b and amount >= 10' }] });
    assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const hit = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    const ev = await hit;
    assert.strictEqual(ev.body.reason, 'breakpoint');
    const threadId = ev.body.threadId!;

    const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    assert.match(frame.name, /Bank\.Account\.handle_call\/3/);
    assert.strictEqual(frame.source?.path, accountEx);
    assert.strictEqual(frame.line, 31);
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const args = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name.startsWith('Arguments'))!.variablesReference })).body.variables;
    assert.strictEqual(args.find((v) => v.name === 'amount')?.value, '10');
    assert.strictEqual((await dc.evaluateRequest({ expression: 'state.balance', frameId: frame.id, context: 'hover' })).body.result, '100');

    const back = dc.waitForEvent('stopped', 10_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepBackRequest({ threadId });
    assert.strictEqual((await back).body.reason, 'step');

    // The live node: OTP 27, and the agent's settings live in its own trace session.
    const repl = async (expression: string) => (await dc!.evaluateRequest({ expression, context: 'repl' })).body.result;
    assert.match(await repl(':erlang.system_info(:otp_release)'), /27/);
    assert.match(await repl('System.version()'), /^"1\.18\./);
    assert.match(await repl(':trace.session_info(:all)'), /elixir_scope: \d+/);
  });

  it('2. attach to a running OTP 27 node → records → detach: no agent module, no session, and a pattern another tool set is still there', async () => {
    const target = new RemoteNode();
    try {
      await target.start(ws!.projectDir, { ...process.env, PATH: ws!.path });
      // What a user's :dbg would leave: a call pattern on a function we also record.
      assert.strictEqual(target.eval(`rpc:call(Node, erlang, trace_pattern, [{'Elixir.Bank.Ledger', entries, 0}, true, [local]])`), '1');
      dc = new TracedDebugClient();
      // The adapter's own OTP 25 build: its attach helper runs on this machine's OTP and ships the
      // agent to the OTP 27 node (which loads code compiled by earlier releases).
      await startWithAgent(dc, undefined);
      await dc.initializeRequest();
      await dc.attachRequest({ node: target.node, cookie: target.cookie } as never);
      assert.match(target.eval(`rpc:call(Node, trace, session_info, [all])`), /elixir_scope/);
      target.eval(`rpc:call(Node, 'Elixir.Bank.Demo', run, [2, 1])`);
      await waitForThread(dc, 'Bank.Account');

      await dc.disconnectRequest({});
      assert.strictEqual(target.eval(`[M || {M, _} <- rpc:call(Node, code, all_loaded, []), lists:prefix("esc_", atom_to_list(M))]`), '[]');
      assert.strictEqual(target.eval(`[N || {N, _} <- rpc:call(Node, trace, session_info, [all])]`), '[legacy]');
      assert.strictEqual(target.eval(`rpc:call(Node, erlang, trace_info, [{'Elixir.Bank.Ledger', entries, 0}, traced])`), '{traced,local}');
      assert.strictEqual(target.eval(`rpc:call(Node, erlang, trace_info, [{'Elixir.Bank.Account', handle_call, 3}, traced])`), '{traced,false}');
    } finally {
      target.stop();
    }
  });
});
