// Attach to a running node over distribution: the agent is loaded by RPC, records, and on disconnect
// leaves the node exactly as it was (no agent module, no trace flag or pattern, its processes alive).
import * as assert from 'assert';
import { bankProject, printTraceOnFailure, TracedDebugClient, waitForThread } from '../support/dapSession';
import { RemoteNode } from '../support/remoteNode';

describe('attach to a running node (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;
  const target = new RemoteNode();

  before(async () => target.start(bankProject));
  after(() => target.stop());

  afterEach(async function () {
    printTraceOnFailure(this, dc);
    await dc?.stop().catch(() => undefined);
    dc = undefined;
  });

  const agentModules = () => target.eval(`[M || {M, _} <- rpc:call(Node, code, all_loaded, []), lists:prefix("esc_", atom_to_list(M))]`);
  const tracedProcesses = () =>
    target.eval(`[P || P <- rpc:call(Node, erlang, processes, []), {flags, F} <- [rpc:call(Node, erlang, trace_info, [P, flags])], F =/= []]`);
  const bankPids = () => target.eval(`[rpc:call(Node, erlang, whereis, ['Elixir.Bank.Ledger']), rpc:call(Node, erlang, whereis, ['Elixir.Bank.Supervisor'])]`);

  it('1. refuses a wrong cookie and an unknown node with actionable errors', async () => {
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    await assert.rejects(dc.attachRequest({ node: target.node, cookie: 'wrong' } as never), /cookie is probably wrong/);
    await assert.rejects(dc.attachRequest({ node: `nobody_here@${target.node.split('@')[1]}`, cookie: target.cookie } as never), /not reachable/);
    assert.strictEqual(agentModules(), '[]');
  });

  it('2. attaches, records the running app, and detaches leaving the node as it was', async () => {
    const before = bankPids();
    assert.match(before, /^\[<\d+\.\d+\.\d+>,<\d+\.\d+\.\d+>\]$/);
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    await dc.attachRequest({ node: target.node, cookie: target.cookie } as never);
    assert.match(agentModules(), /esc_conn/, 'the agent is loaded into the node');

    // Work happens on the node after the attach; its processes appear as threads.
    target.eval(`rpc:call(Node, 'Elixir.Bank.Demo', run, [2, 1])`);
    await waitForThread(dc, 'Bank.Account');

    await dc.disconnectRequest({});
    assert.strictEqual(agentModules(), '[]', 'every agent module is unloaded');
    assert.strictEqual(tracedProcesses(), '[]', 'no process keeps a trace flag');
    assert.strictEqual(target.eval(`rpc:call(Node, erlang, trace_info, [{'Elixir.Bank.Account', handle_call, 3}, traced])`), '{traced,false}');
    assert.strictEqual(bankPids(), before, 'the node and its processes kept running');
  });
});
