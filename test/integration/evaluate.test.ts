// Watches, hovers and the Debug Console over a real recording of examples/bank (real BEAM, real DAP):
// every value of the State scope can be watched (also where the callback's parameter is not named
// `state`), hovers evaluate pure expressions and refuse anything that could change the program, and
// the console rebinds the exact pid and local fun of a hit's bindings on the live node.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../support/dapSession';

const VAULT_LOCKED_UNLOCK_LINE = 16; // def locked({:call, from}, {:unlock, code}, data) do
const WITHDRAW_CLAUSE_LINE = 31; // def handle_call({:withdraw, amount}, _from, %__MODULE__{balance: balance} = state)
const CATCH_EXIT_LINE = 21; // defp catch_exit(fun) do

async function stoppedAt(dc: TracedDebugClient, file: string, line: number): Promise<{ threadId: number; frame: DebugProtocol.StackFrame }> {
  const ev = (await dc.waitForEvent('stopped', 30_000)) as DebugProtocol.StoppedEvent;
  assert.strictEqual(ev.body.reason, 'breakpoint', ev.body.description);
  const frame = (await dc.stackTraceRequest({ threadId: ev.body.threadId! })).body.stackFrames[0];
  assert.strictEqual(path.basename(frame.source?.path ?? ''), file);
  assert.strictEqual(frame.line, line);
  return { threadId: ev.body.threadId!, frame };
}

async function scope(dc: TracedDebugClient, frameId: number, prefix: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name.startsWith(prefix));
  assert.ok(s, `a scope named ${prefix}…; scopes: ${scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

/** Adds every value under `vars` to the watch (by its evaluateName) and checks it shows the same. */
async function watchAll(dc: TracedDebugClient, frameId: number, vars: DebugProtocol.Variable[], depth = 0): Promise<number> {
  let n = 0;
  for (const v of vars) {
    if (v.name === '…' || v.name === '| tail') continue;
    assert.ok(v.evaluateName, `${v.name} = ${v.value} can be added to the watch`);
    const w = await dc.evaluateRequest({ expression: v.evaluateName, frameId, context: 'watch' });
    assert.strictEqual(w.body.result, v.value, `watch ${v.evaluateName}`);
    n++;
    if (v.variablesReference > 0 && depth < 4) n += await watchAll(dc, frameId, (await dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables, depth + 1);
  }
  return n;
}

const ev = async (dc: TracedDebugClient, frameId: number, expression: string, context: string) => (await dc.evaluateRequest({ expression, frameId, context })).body.result;

describe('watches, hovers and the Debug Console use what the scopes show (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;
  let tmp = '';

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('gen_statem and GenServer hits: State scope watches, pure hovers, refused side effects, exact pid and fun in the console', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-evaluate-'));
    const victim = path.join(tmp, 'keep.txt');
    fs.writeFileSync(victim, 'keep');
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 60_000);
    await dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['console.exs'] } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const lib = path.join(bankProject, 'lib', 'bank');
    for (const [file, line] of [['vault.ex', VAULT_LOCKED_UNLOCK_LINE], ['account.ex', WITHDRAW_CLAUSE_LINE], ['demo.ex', CATCH_EXIT_LINE]] as const) {
      const set = await dc.setBreakpointsRequest({ source: { path: path.join(lib, file) }, breakpoints: [{ line, ...(file === 'account.ex' ? { condition: 'state.id == :b' } : {}) }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, `${file}:${line} ${set.body.breakpoints[0].message}`);
    }
    const first = stoppedAt(dc, 'vault.ex', VAULT_LOCKED_UNLOCK_LINE);
    await dc.configurationDoneRequest();

    // 1. A gen_statem whose callback names its data `data`: the State scope ({state name, data}) is
    //    watchable as `state`, down to every nested value.
    const vault = await first;
    const vaultState = await scope(dc, vault.frame.id, 'gen_statem State');
    assert.strictEqual(vaultState[0].evaluateName, 'state');
    assert.ok(await watchAll(dc, vault.frame.id, vaultState) >= 4);
    assert.strictEqual(await ev(dc, vault.frame.id, 'elem(state, 1).code == data.code', 'watch'), 'true');
    // The console rebinds the caller's exact pid (from = {pid, tag}): it is the live caller.
    assert.strictEqual(await ev(dc, vault.frame.id, 'is_pid(elem(from, 0)) and Process.alive?(elem(from, 0))', 'repl'), 'true');

    // 2. A GenServer hit: hovers of pure expressions, answered in the adapter or as a pure evaluation on the node.
    const second = stoppedAt(dc, 'account.ex', WITHDRAW_CLAUSE_LINE);
    await dc.continueRequest({ threadId: vault.threadId });
    const account = await second;
    const stateScope = await scope(dc, account.frame.id, 'GenServer State');
    assert.strictEqual(stateScope[0].evaluateName, 'state');
    await watchAll(dc, account.frame.id, stateScope);
    const balance = Number(await ev(dc, account.frame.id, 'state.balance', 'hover'));
    assert.ok(Number.isInteger(balance));
    assert.strictEqual(await ev(dc, account.frame.id, 'state.balance + 1', 'hover'), String(balance + 1));
    assert.strictEqual(await ev(dc, account.frame.id, 'Map.get(state, :balance)', 'hover'), String(balance));
    assert.strictEqual(await ev(dc, account.frame.id, 'String.upcase(to_string(state.id))', 'hover'), '"B"'); // on the node, pure
    // Side effects are never run from a hover or a watch, and say why.
    await assert.rejects(dc.evaluateRequest({ expression: 'File.rm!("x")', frameId: account.frame.id, context: 'hover' }), /File\.rm!\/1 is not on the pure allow-list/);
    await assert.rejects(dc.evaluateRequest({ expression: `File.rm!(${JSON.stringify(victim)})`, frameId: account.frame.id, context: 'watch' }), /not on the pure allow-list/);
    await assert.rejects(dc.evaluateRequest({ expression: 'send(self(), :x)', frameId: account.frame.id, context: 'hover' }), /not on the pure allow-list/);
    assert.ok(fs.existsSync(victim), 'the hover did not delete the file');

    // 3. A binding holding a local fun: the console calls the exact fun's identity (not a rebuilt copy).
    const third = stoppedAt(dc, 'demo.ex', CATCH_EXIT_LINE);
    await dc.continueRequest({ threadId: account.threadId });
    const demo = await third;
    assert.strictEqual(await ev(dc, demo.frame.id, 'is_function(fun, 0) and :erlang.fun_info(fun)[:module] == Bank.Demo', 'repl'), 'true');
    // …while a hover never binds a fun (it could run anything).
    await assert.rejects(dc.evaluateRequest({ expression: 'Enum.map([1], fn _ -> fun end)', frameId: demo.frame.id, context: 'hover' }), /holds a fun/);
  });
});
