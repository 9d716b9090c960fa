// Breakpoints in test files under `task: "test"` (real BEAM, real DAP): a test body line and a
// conditional clause head in a module defined inside a test file. Both live only in memory (ExUnit
// compiles .exs files without writing a .beam), and neither exists when the breakpoints are set: they
// must turn verified once ExUnit loads the file and stop with their bindings. Then the same on
// gen_stage's own test file (a producer defined inside it, a body line of an `async: true` test module);
// skipped when the real-world corpus is absent. All of it twice: on this machine's Erlang/Elixir, and on
// OTP 27 + Elixir 1.18 (whose Mix compiles test files without debug info; the root of
// scripts/install-otp27.sh, skipped where it cannot be used, except under CI).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../support/dapSession';
import { otp27Runtime, startWithAgent } from '../support/otp27Root';
import { realworldDir } from '../support/realworld';

const realworld = realworldDir;

const TALLY_ADD_LINE = 15; // def handle_call({:add, n}, _from, total) when is_integer(n) do   (Bank.InlineModuleTest.Tally)
const SECOND_ADD_LINE = 24; // second = Tally.add(pid, 7)   (body of the test)
const ACCOUNT_TEST_DEPOSIT_LINE = 6; // assert {:ok, balance} = Bank.Account.deposit(:a, 5)
const COUNTER_DEMAND_LINE = 78; // def handle_demand(demand, counter) when demand > 0 do   (GenStageTest.Counter)
const SUBSCRIBE_LINE = 411; // :ok = GenStage.async_subscribe(consumer, to: producer, max_demand: 1, min_demand: 0)   (test "with 1 max and 0 min demand")

/** Where the debugged program runs: the bank project, a folder to copy gen_stage into, the launch's env, the agent build. */
interface Runtime {
  projectDir: string;
  scratchDir: string;
  env?: Record<string, string>;
  agentEbin?: string;
}

async function launch(dc: TracedDebugClient, rt: Runtime, projectDir: string, taskArgs: string[], trace?: string[]): Promise<void> {
  await startWithAgent(dc, rt.agentEbin);
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized', 240_000);
  await dc.launchRequest({ projectDir, task: 'test', taskArgs, ...(trace ? { trace } : {}), ...(rt.env ? { env: rt.env } : {}) } as DebugProtocol.LaunchRequestArguments);
  await initialized;
}

async function topFrame(dc: TracedDebugClient, threadId: number): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId });
  assert.ok(st.body.stackFrames.length > 0, 'a stack at the cursor');
  return st.body.stackFrames[0];
}

/** Scope name → variable name → value. */
async function scopeVars(dc: TracedDebugClient, frameId: number): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const s of (await dc.scopesRequest({ frameId })).body.scopes) {
    const vars = (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
    out.set(s.name, new Map(vars.map((v) => [v.name, v.value])));
  }
  return out;
}

function scope(scopes: Map<string, Map<string, string>>, prefix: string): Map<string, string> {
  const found = [...scopes.entries()].find(([name]) => name.startsWith(prefix));
  assert.ok(found, `a ${prefix} scope; scopes: ${[...scopes.keys()].join(', ')}`);
  return found[1];
}

/** Resolves once every id in `ids` was reported verified by a `breakpoint` changed event (or fails with the last messages). */
function verifiedLater(dc: TracedDebugClient, ids: number[], timeoutMs: number): Promise<void> {
  const left = new Set(ids);
  const last = new Map<number, string>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`breakpoints not verified within ${timeoutMs} ms: ${[...left].map((id) => `${id}: ${last.get(id) ?? 'no event'}`).join('; ')}`)), timeoutMs);
    const on = (e: DebugProtocol.BreakpointEvent) => {
      const bp = e.body.breakpoint;
      if (bp.id === undefined || !left.has(bp.id)) return;
      last.set(bp.id, `verified=${bp.verified} ${bp.message ?? ''}`);
      if (bp.verified) left.delete(bp.id);
      if (left.size === 0) {
        clearTimeout(timer);
        dc.removeListener('breakpoint', on);
        resolve();
      }
    };
    dc.on('breakpoint', on);
  });
}

function testFilesSuite(label: string, runtime: (ctx: Mocha.Context) => Runtime, done?: () => void): void {
  describe(`breakpoints in test files with task "test"${label} (real BEAM, real DAP)`, function () {
    this.timeout(300_000);
    let dc: TracedDebugClient | undefined;
    const dirs: string[] = [];
    let rt: Runtime = { projectDir: bankProject, scratchDir: os.tmpdir() };

    before(function () {
      rt = runtime(this);
    });
    if (done) after(done);

    afterEach(async function () {
      await endSession(this, dc);
      dc = undefined;
    });

    after(() => {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it('a test body line and a conditional clause head of a module defined in a test file: verified once loaded, stop with their bindings', async () => {
      dc = new TracedDebugClient();
      const inlineTest = path.join(rt.projectDir, 'test', 'inline_module_test.exs');
      const accountTest = path.join(rt.projectDir, 'test', 'account_test.exs');
      await launch(dc, rt, rt.projectDir, ['test/inline_module_test.exs', 'test/account_test.exs']);

      // Set before anything runs: neither test module exists yet.
      const inline = await dc.setBreakpointsRequest({
        source: { path: inlineTest },
        breakpoints: [{ line: TALLY_ADD_LINE, condition: 'n == 7 and total == 15' }, { line: SECOND_ADD_LINE }],
      });
      const account = await dc.setBreakpointsRequest({ source: { path: accountTest }, breakpoints: [{ line: ACCOUNT_TEST_DEPOSIT_LINE }] });
      const [tallyBp, secondBp] = inline.body.breakpoints;
      const depositBp = account.body.breakpoints[0];
      for (const bp of [tallyBp, secondBp, depositBp]) assert.strictEqual(bp.verified, false, 'not loaded yet: pending');
      const ids = [tallyBp.id!, secondBp.id!, depositBp.id!];
      const verified = verifiedLater(dc, ids, 120_000);
      const firstStop = dc.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.configurationDoneRequest();
      await verified;
      let stop = await firstStop;

      // Walk the hits in recording order (the test order is ExUnit's random one) and check each one.
      const seen = new Set<number>();
      for (let i = 0; i < 6 && seen.size < 3; i++) {
        assert.strictEqual(stop.body.reason, 'breakpoint', `stop reason (${stop.body.description})`);
        const id = stop.body.hitBreakpointIds?.[0] ?? 0;
        const threadId = stop.body.threadId!;
        const frame = await topFrame(dc, threadId);
        const scopes = await scopeVars(dc, frame.id);
        if (id === tallyBp.id) {
          assert.match(frame.name, /Bank\.InlineModuleTest\.Tally\.handle_call\/3/);
          assert.strictEqual(frame.source?.path, inlineTest);
          assert.strictEqual(frame.line, TALLY_ADD_LINE);
          const args = scope(scopes, 'Arguments');
          assert.strictEqual(args.get('n'), '7');
          assert.strictEqual(args.get('total'), '15');
        } else if (id === secondBp.id) {
          assert.match(frame.name, /Bank\.InlineModuleTest\.("test a module defined in a test file keeps a running total"|test a module)/);
          assert.strictEqual(frame.source?.path, inlineTest);
          assert.strictEqual(frame.line, SECOND_ADD_LINE);
          const locals = scope(scopes, 'Locals');
          assert.strictEqual(locals.get('first'), '15');
          assert.match(locals.get('pid') ?? '', /^#PID<\d+\.\d+\.\d+>$/);
        } else if (id === depositBp.id) {
          assert.strictEqual(frame.source?.path, accountTest);
          assert.strictEqual(frame.line, ACCOUNT_TEST_DEPOSIT_LINE);
          assert.match(scope(scopes, 'Locals').get('before') ?? '', /^\d+$/);
        } else {
          assert.fail(`a stop on an unexpected breakpoint: ${JSON.stringify(stop.body)}`);
        }
        seen.add(id);
        if (seen.size === 3) break;
        const next = dc.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
        await dc.continueRequest({ threadId });
        stop = await next;
      }
      assert.deepStrictEqual([...seen].sort(), [...ids].sort(), 'every breakpoint stopped once');
      await dc.waitForOutput((o) => /2 tests, 0 failures/.test(o), 60_000);
    });

    it("gen_stage's test file: a condition on the clause head of a producer defined in the test file, and a body line of an async test, stop", async function () {
      const src = path.join(realworld, 'gen_stage');
      if (!fs.existsSync(src)) {
        console.log(`      skipped: ${src} is absent (set ELIXIR_SCOPE_REALWORLD to the real-world corpus)`);
        this.skip();
      }
      const dir = fs.mkdtempSync(path.join(rt.scratchDir, 'escope-genstage-bp-'));
      dirs.push(dir);
      fs.cpSync(src, dir, { recursive: true, filter: (p) => !/[/\\](_build|deps)$/.test(p) });
      const testFile = path.join(dir, 'test', 'gen_stage_test.exs');
      dc = new TracedDebugClient();
      // Breakpoints need no recording of their modules; recording all of gen_stage would overload this
      // small machine's agent (events dropped) and make gen_stage's timing-sensitive tests fail.
      await launch(dc, rt, dir, ['test/gen_stage_test.exs'], ['GenStageTest.Counter']);
      const set = await dc.setBreakpointsRequest({
        source: { path: testFile },
        breakpoints: [{ line: COUNTER_DEMAND_LINE, condition: 'demand == 1 and counter == 2' }, { line: SUBSCRIBE_LINE }],
      });
      const [demandBp, subscribeBp] = set.body.breakpoints;
      for (const bp of [demandBp, subscribeBp]) assert.strictEqual(bp.verified, false, 'not loaded yet: pending');
      const verified = verifiedLater(dc, [demandBp.id!, subscribeBp.id!], 180_000);
      let next = dc.waitForEvent('stopped', 180_000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.configurationDoneRequest();
      await verified;

      // The producer's condition holds in a few tests (max_demand: 1), the body line runs once: continue
      // until both were seen, in recording order.
      const seen = new Set<number>();
      for (let i = 0; i < 50 && seen.size < 2; i++) {
        const stop = await next;
        assert.strictEqual(stop.body.reason, 'breakpoint', `stop reason (${stop.body.description})`);
        const id = stop.body.hitBreakpointIds?.[0] ?? 0;
        const threadId = stop.body.threadId!;
        if (!seen.has(id)) {
          const frame = await topFrame(dc, threadId);
          const scopes = await scopeVars(dc, frame.id);
          assert.strictEqual(frame.source?.path, testFile);
          if (id === demandBp.id) {
            assert.match(frame.name, /GenStageTest\.Counter\.handle_demand\/2/);
            assert.strictEqual(frame.line, COUNTER_DEMAND_LINE);
            const args = scope(scopes, 'Arguments');
            assert.strictEqual(args.get('demand'), '1');
            assert.strictEqual(args.get('counter'), '2');
          } else if (id === subscribeBp.id) {
            // A test body line of an `async: true` module: in place before ExUnit could start its tests.
            assert.match(frame.name, /GenStageTest\.test .*with 1 max and 0 min demand\/1/);
            assert.strictEqual(frame.line, SUBSCRIBE_LINE);
            const locals = scope(scopes, 'Locals');
            assert.match(locals.get('producer') ?? '', /^#PID</);
            assert.match(locals.get('consumer') ?? '', /^#PID</);
          } else {
            assert.fail(`a stop on an unexpected breakpoint: ${JSON.stringify(stop.body)}`);
          }
          seen.add(id);
        }
        if (seen.size === 2) break;
        next = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
        await dc.continueRequest({ threadId });
      }
      assert.deepStrictEqual([...seen].sort(), [demandBp.id, subscribeBp.id].sort(), 'both breakpoints stopped');
      // The run ends (gen_stage's timing-sensitive tests may time out under the debugger on a slow machine).
      await dc.waitForOutput((o) => /\d+ tests, \d+ failures?/.test(o), 180_000);
    });
  });
}

testFilesSuite('', () => ({ projectDir: bankProject, scratchDir: os.tmpdir() }));

const otp27 = otp27Runtime();
testFilesSuite(
  ' on OTP 27 + Elixir 1.18',
  (ctx) => {
    const rt = otp27.setup(ctx);
    return { ...rt, scratchDir: path.dirname(rt.projectDir) };
  },
  otp27.teardown,
);
