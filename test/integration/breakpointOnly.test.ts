// A breakpoint-only session (launch `trace: []`) over real DAP against examples/bank: nothing is
// recorded but the breakpoint's hits (meta patterns, no process trace flags), and a conditional
// breakpoint still stops with the clause's named bindings and the GenServer state the callback was
// called with; continue / reverseContinue move between hits in the order they happened, each hit a
// frame of its own (not nested in the previous one). Twice: on this machine's Erlang/Elixir and on
// OTP 27 + Elixir 1.18 (trace sessions; skipped where its root cannot be used, except under CI).
import * as assert from 'assert';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../support/dapSession';
import { otp27Runtime, startWithAgent } from '../support/otp27Root';

const WITHDRAW_CLAUSE_LINE = 31; // def handle_call({:withdraw, amount}, _from, %__MODULE__{balance: balance} = state)

interface Runtime {
  projectDir: string;
  env?: Record<string, string>;
  agentEbin?: string;
}

async function stopped(dc: TracedDebugClient, reason: string): Promise<DebugProtocol.StoppedEvent> {
  const ev = (await dc.waitForEvent('stopped', 30_000)) as DebugProtocol.StoppedEvent;
  assert.strictEqual(ev.body.reason, reason, `stop reason (${ev.body.description})`);
  return ev;
}

async function scopeVars(dc: TracedDebugClient, frameId: number): Promise<Map<string, DebugProtocol.Variable[]>> {
  const out = new Map<string, DebugProtocol.Variable[]>();
  for (const s of (await dc.scopesRequest({ frameId })).body.scopes) out.set(s.name, (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables);
  return out;
}

function scopeNamed(scopes: Map<string, DebugProtocol.Variable[]>, prefix: string): [string, DebugProtocol.Variable[]] | undefined {
  return [...scopes.entries()].find(([name]) => name.startsWith(prefix));
}

/** The stop's stack, arguments and state: what the Debug pane shows. */
async function atStop(dc: TracedDebugClient, threadId: number): Promise<{ frames: DebugProtocol.StackFrame[]; args: Map<string, string>; state?: string; argsScope: string }> {
  const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
  assert.ok(frames.length > 0, 'a stack at the stop');
  const scopes = await scopeVars(dc, frames[0].id);
  const [argsScope, args] = scopeNamed(scopes, 'Arguments') ?? ['', []];
  return { frames, argsScope, args: new Map(args.map((v) => [v.name, v.value])), state: scopeNamed(scopes, 'GenServer State')?.[1][0]?.value };
}

function suite(label: string, runtime: (ctx: Mocha.Context) => Runtime, done?: () => void): void {
  describe(`breakpoint-only session${label} (real BEAM, real DAP)`, function () {
    let dc: TracedDebugClient | undefined;
    let rt: Runtime = { projectDir: bankProject };

    before(function () {
      rt = runtime(this);
    });
    if (done) after(done);

    afterEach(async function () {
      await endSession(this, dc);
      dc = undefined;
    });

    it('trace: [] → a conditional hit with bindings and state → continue / reverseContinue in time order', async () => {
      dc = new TracedDebugClient();
      await startWithAgent(dc, rt.agentEbin);
      await dc.initializeRequest();
      const initialized = dc.waitForEvent('initialized', 60_000);
      await dc.launchRequest({ projectDir: rt.projectDir, task: 'run', taskArgs: ['demo.exs', '4'], trace: [], ...(rt.env ? { env: rt.env } : {}) } as DebugProtocol.LaunchRequestArguments);
      await initialized;
      const accountEx = path.join(rt.projectDir, 'lib', 'bank', 'account.ex');
      const set = await dc.setBreakpointsRequest({ source: { path: accountEx }, breakpoints: [{ line: WITHDRAW_CLAUSE_LINE, condition: 'state.id == :b and amount >= 10' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
      const first = stopped(dc, 'breakpoint');
      await dc.configurationDoneRequest();
      const hit = await first;
      assert.deepStrictEqual(hit.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
      const threadId = hit.body.threadId!;

      // Round 2 (withdraw 10 from :b, balance 100): the clause head, named bindings, the state.
      const s2 = await atStop(dc, threadId);
      assert.match(s2.frames[0].name, /Bank\.Account\.handle_call\/3/);
      assert.strictEqual(s2.frames[0].source?.path, accountEx);
      assert.strictEqual(s2.frames[0].line, WITHDRAW_CLAUSE_LINE);
      assert.match(s2.argsScope, /clause 2/);
      assert.strictEqual(s2.args.get('amount'), '10');
      assert.strictEqual(s2.args.get('balance'), '100');
      assert.ok(s2.state, 'a GenServer State scope at a hit in a callback');
      assert.match(s2.state!, /^%Bank\.Account\{(?=.*\bbalance: 100\b)(?=.*\bid: :b\b)(?=.*\bops: 2\b)[^{}]*\}$/); // round 1 made 2 ops

      // Forward: rounds 3 and 4, in order; each hit its own frame, the state the one it was called with.
      // (:b withdraws and deposits the same amount each round: balance 100 at every withdrawal, 2 ops more.)
      const expected = [
        ['15', '4'],
        ['20', '6'],
      ];
      for (const [amount, ops] of expected) {
        const next = stopped(dc, 'breakpoint');
        await dc.continueRequest({ threadId });
        await next;
        const s = await atStop(dc, threadId);
        assert.strictEqual(s.args.get('amount'), amount);
        assert.strictEqual(s.args.get('balance'), '100');
        assert.match(s.state ?? '', new RegExp(`ops: ${ops}\\b`));
        assert.strictEqual(s.frames.length, s2.frames.length, `not nested in the previous hit: ${s.frames.map((f) => f.name).join(' < ')}`);
      }

      // Back: round 3, then round 2, then nothing earlier (the first event of the process).
      for (const amount of ['15', '10']) {
        const back = stopped(dc, 'breakpoint');
        await dc.send('reverseContinue', { threadId });
        await back;
        assert.strictEqual((await atStop(dc, threadId)).args.get('amount'), amount);
      }

      // Stepping has little to step through: a step back lands on the state seen at this hit, and
      // shows it; a step forward returns to the hit (or beyond); nothing fails.
      const sb = stopped(dc, 'step');
      await dc.stepBackRequest({ threadId });
      await sb;
      const back = await atStop(dc, threadId);
      assert.match(back.state ?? '', /ops: 2\b/);
      const sf = dc.waitForEvent('stopped', 30_000);
      await dc.nextRequest({ threadId });
      await sf;
      await atStop(dc, threadId);

      // Only the breakpoint's own events were recorded: no other function's calls.
      await dc.waitForOutput((o) => /The program exited/.test(o), 60_000);
      const threads = (await dc.threadsRequest()).body.threads;
      assert.ok(threads.every((t) => /Bank\.Account/.test(t.name)), `threads: ${threads.map((t) => t.name).join(', ')}`);
    });
  });
}

suite('', () => ({ projectDir: bankProject }));

const otp27 = otp27Runtime();
suite(' on OTP 27 + Elixir 1.18', otp27.setup, otp27.teardown);
