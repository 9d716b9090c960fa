// Breakpoint conditions that could change the program, or that fail, over real DAP against a real
// examples/bank node: side effects are refused naming the call (the file they would delete stays)
// unless the launch sets allowSideEffects; a condition that raises is reported once with its count
// and treated as false; a trace pattern that matches no module is said at start-up.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../../support/dapSession';

const accountEx = path.join(bankProject, 'lib', 'bank', 'account.ex');
const DEPOSIT_LINE = 25; // def handle_call({:deposit, amount}, _from, state) when amount > 0 do
const WITHDRAW_CLAUSE_LINE = 31; // def handle_call({:withdraw, amount}, _from, %__MODULE__{balance: balance} = state)
const WITHDRAW_FALLBACK_LINE = 40; // def handle_call({:withdraw, amount}, _from, state) do
const BALANCE_LINE = 45; // def handle_call(:balance, _from, state), do: {:reply, state.balance, state}
const OPT_IN = 'set "allowSideEffects": true in the launch configuration to allow it';
const RAISED_REPORT = /\[ElixirScope 2201\] Breakpoint at lib\/bank\/account\.ex:40: condition raised (\w+) on (\d+) hits?; treated as false/;

async function launch(dc: TracedDebugClient, args: Record<string, unknown>): Promise<void> {
  await dc.start();
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized', 60_000);
  await dc.launchRequest({ projectDir: bankProject, task: 'run', ...args } as DebugProtocol.LaunchRequestArguments);
  await initialized;
}

describe('breakpoint conditions: side effects refused, raising conditions reported (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;
  let tmp = '';

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-conditions-'));
  });

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses File.rm! and send naming the call, keeps pure conditions, reports a raising one once; an unmatched trace pattern is said', async () => {
    const victim = path.join(tmp, 'keep.txt');
    fs.writeFileSync(victim, 'keep');
    dc = new TracedDebugClient();
    // console.exs: one round of the demo (2 deposits, withdrawals taking clauses 2 and 3, 2 balance
    // calls), then the node stays up.
    await launch(dc, { taskArgs: ['console.exs'], trace: ['$project', 'Bank.Nope.*', 'Bank.Ledger'] });
    const set = await dc.setBreakpointsRequest({
      source: { path: accountEx },
      breakpoints: [
        { line: DEPOSIT_LINE, condition: `File.rm!(${JSON.stringify(victim)}) == :ok` },
        { line: BALANCE_LINE, condition: 'send(self(), :x) == :x' },
        { line: WITHDRAW_FALLBACK_LINE, condition: 'hd([]) == 1' },
        { line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b' },
      ],
    });
    const [rm, send, raising, pure] = set.body.breakpoints;
    assert.strictEqual(rm.verified, false, 'File.rm! condition refused');
    assert.strictEqual(rm.message, `condition calls File.rm!/1, which may have side effects; ${OPT_IN}`);
    assert.strictEqual(send.verified, false, 'send condition refused');
    assert.match(send.message ?? '', /^condition calls send\/2, which may have side effects/);
    assert.strictEqual(raising.verified, true, raising.message);
    assert.strictEqual(pure.verified, true, pure.message);

    // Start-up said which trace pattern matched nothing (and only that one).
    assert.match(dc.output, /\[ElixirScope 1020\] trace pattern "Bank\.Nope\.\*" matches no loaded module/);
    assert.doesNotMatch(dc.output, /trace pattern "Bank\.Ledger"/);

    // The pure condition still stops, at :b's withdrawal.
    const stop = dc.waitForEvent('stopped', 30_000);
    await dc.configurationDoneRequest();
    const hit = (await stop) as DebugProtocol.StoppedEvent;
    assert.deepStrictEqual(hit.body.hitBreakpointIds, [pure.id]);

    // hd([]) raised on both calls of clause 3 (withdraw :a 1_000_000, withdraw :b -1): one report, with
    // the count; never a stop (treated as false), and no second report for the same count.
    await dc.waitForOutput((o) => /console workload finished/.test(o), 30_000);
    await dc.waitForOutput((o) => RAISED_REPORT.test(o), 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const reports = [...dc.output.matchAll(new RegExp(RAISED_REPORT.source, 'g'))];
    assert.strictEqual(reports.length, 1, dc.output);
    assert.deepStrictEqual([reports[0][1], reports[0][2]], ['ArgumentError', '2']);
    assert.strictEqual(dc.events.filter((e) => e.event === 'stopped').length, 1, 'no stop for the raising condition');
    assert.ok(fs.existsSync(victim), 'the refused condition did not delete the file');
  });

  it('allowSideEffects: true accepts them, and they run', async () => {
    const victim = path.join(tmp, 'gone.txt');
    fs.writeFileSync(victim, 'gone');
    dc = new TracedDebugClient();
    await launch(dc, { taskArgs: ['demo.exs', '1'], trace: [], allowSideEffects: true });
    const set = await dc.setBreakpointsRequest({
      source: { path: accountEx },
      breakpoints: [
        { line: DEPOSIT_LINE, condition: `File.rm!(${JSON.stringify(victim)}) == :ok` },
        { line: BALANCE_LINE, condition: 'send(self(), :x) == :x' },
      ],
    });
    assert.deepStrictEqual(set.body.breakpoints.map((b) => [b.verified, b.message]), [[true, undefined], [true, undefined]]);
    const stop = dc.waitForEvent('stopped', 30_000);
    await dc.configurationDoneRequest();
    const hit = (await stop) as DebugProtocol.StoppedEvent;
    assert.deepStrictEqual(hit.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.ok(!fs.existsSync(victim), 'the allowed condition ran File.rm!');
  });
});
