// The DAP session against a fake DebugTarget, in-process over a loopback socket: proves the seam. The
// session only translates; the stop, the stack, the scopes and hovers come from the target's recording.
import * as assert from 'assert';
import { EventEmitter } from 'events';
import * as net from 'net';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ElixirScopeSession } from '../../../adapter/dap/session';
import { Errors, ScopeFailure } from '../../../adapter/errors';
import { CustomRequests } from '../../../adapter/protocol/customDap';
import { BreakpointBook, type BreakpointRequest, type BreakpointResult } from '../../../adapter/runtime/breakpointBook';
import type { DebugTarget, DebugTargetEvents, DebugTargetFactory, DebugTargetRequest, RuntimeEnvironment } from '../../../adapter/runtime/runtime';
import { Navigator, RecordingStore } from '../../../adapter/store';
import { repoRoot } from '../../support/dapSession';
import { Synth, mfa, t } from '../store/synth';

const PID = '<0.120.0>';

/** A target with no node: start() does nothing, hit() plays what an agent would send for a breakpoint hit. */
class FakeTarget extends EventEmitter<DebugTargetEvents> implements DebugTarget {
  readonly store: RecordingStore;
  readonly nav: Navigator;
  readonly breakpoints = new BreakpointBook();
  readonly modules = { describe: async () => undefined };
  programRunning = false;
  readonly calls: string[] = [];

  constructor(readonly what: DebugTargetRequest, readonly env: RuntimeEnvironment) {
    super();
    this.store = new RecordingStore({ ...what.options.recording, reorderWindowNs: 0, flushDelayMs: 0 });
    this.nav = new Navigator(this.store);
    this.nav.on('moved', (m) => this.emit('moved', m));
  }

  async start(): Promise<void> {
    this.calls.push('start');
    this.programRunning = true;
  }

  async setBreakpoints(file: string, requests: BreakpointRequest[]): Promise<BreakpointResult[]> {
    this.calls.push(`setBreakpoints ${file}`);
    return requests.map((r, i) => ({ id: i + 1, verified: true, line: r.line }));
  }

  async setExceptionFilters(raised: boolean, crashes: boolean): Promise<void> {
    this.calls.push(`setExceptionFilters ${raised} ${crashes}`);
  }

  async setConfigurationDone(): Promise<void> {
    this.calls.push('configurationDone');
    this.nav.continue({}); // as the live runtime: wait for the first hit
  }

  async evaluateOnNode(): Promise<never> {
    throw new ScopeFailure(Errors.nodeGone);
  }

  async emergencyStop(): Promise<void> {
    this.calls.push('emergencyStop');
  }

  async terminate(): Promise<void> {
    this.calls.push('terminate');
    this.programRunning = false;
  }

  /** Breakpoint 1 hit in Demo.withdraw/2 (line 12), recorded with its clause bindings. */
  hit(): void {
    const s = new Synth();
    s.call(PID, mfa('withdraw', 2), [t.int(10), t.atom('b')], { bindings: { amount: t.int(10), account: t.atom('b') }, line: 12, hit: 1 });
    for (const f of s.frames()) this.store.ingest(f);
    this.store.flush();
  }
}

describe('DAP session over an injected DebugTarget', function () {
  this.timeout(10_000);
  let server: net.Server;
  let dc: DebugClient;
  const made: FakeTarget[] = [];
  const factory: DebugTargetFactory = (what, env) => {
    const target = new FakeTarget(what, env);
    made.push(target);
    return target;
  };

  beforeEach(async () => {
    made.length = 0;
    server = net.createServer((socket) => {
      const session = new ElixirScopeSession(factory);
      session.setRunAsServer(true);
      session.start(socket, socket);
      socket.on('close', () => void session.shutdown());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    dc = new DebugClient('node', 'unused', 'elixir-scope');
    await dc.start((server.address() as net.AddressInfo).port);
  });

  afterEach(async () => {
    await dc.stop();
    server.close();
  });

  it('launch → a hit → stopped, stack, scopes, variables and hovers answered from the target\'s recording', async () => {
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized');
    await dc.launch({ projectDir: repoRoot, recording: { maxEvents: 5000 } });
    await initialized;
    assert.strictEqual(made.length, 1, 'one target per session');
    const target = made[0];
    assert.strictEqual(target.what.request, 'launch');
    assert.strictEqual(target.what.request === 'launch' && target.what.options.projectDir, repoRoot);
    assert.strictEqual(target.store.limits.maxEvents, 5000, 'the store is made with the request\'s limits');
    assert.ok(target.env.log, 'the environment is injected');

    const bps = await dc.setBreakpointsRequest({ source: { path: '/demo/lib/demo.ex' }, breakpoints: [{ line: 12 }] });
    assert.deepStrictEqual(bps.body.breakpoints.map((b) => [b.id, b.verified, b.line]), [[1, true, 12]]);
    const stopped = dc.waitForEvent('stopped');
    await dc.configurationDoneRequest();
    target.hit();
    const stop = (await stopped) as DebugProtocol.StoppedEvent;
    assert.strictEqual(stop.body.reason, 'breakpoint');
    assert.deepStrictEqual(stop.body.hitBreakpointIds, [1]);

    const threads = await dc.threadsRequest();
    assert.deepStrictEqual(threads.body.threads.map((th) => th.id), [stop.body.threadId]);
    const stack = await dc.stackTraceRequest({ threadId: stop.body.threadId! });
    assert.strictEqual(stack.body.stackFrames.length, 1);
    assert.match(stack.body.stackFrames[0].name, /Demo\.withdraw\/2/);
    assert.strictEqual(stack.body.stackFrames[0].line, 12);

    const frameId = stack.body.stackFrames[0].id;
    const scopes = await dc.scopesRequest({ frameId });
    const args = scopes.body.scopes.find((s) => s.name.startsWith('Arguments'));
    assert.ok(args, JSON.stringify(scopes.body.scopes));
    const vars = await dc.variablesRequest({ variablesReference: args.variablesReference });
    assert.deepStrictEqual(vars.body.variables.map((v) => `${v.name}=${v.value}`).sort(), ['account=:b', 'amount=10']);
    const hover = await dc.evaluateRequest({ expression: 'amount', frameId, context: 'hover' });
    assert.strictEqual(hover.body.result, '10');

    await dc.disconnectRequest();
    assert.deepStrictEqual(target.calls, ['start', 'setBreakpoints /demo/lib/demo.ex', 'configurationDone', 'terminate']);
  });

  it('before launch/attach: no target is made, threads are empty and a movement fails with a numbered error', async () => {
    await dc.initializeRequest();
    assert.deepStrictEqual((await dc.threadsRequest()).body.threads, []);
    await assert.rejects(dc.nextRequest({ threadId: 1 }), (err: Error) => err.message === new ScopeFailure(Errors.notStarted).message);
    await assert.rejects(dc.customRequest(CustomRequests.cursor, {}), (err: Error) => err.message === new ScopeFailure(Errors.notStarted).message);
    assert.strictEqual(made.length, 0);
  });

  it('invalid launch arguments fail with the configuration error and make no target', async () => {
    await dc.initializeRequest();
    await assert.rejects(dc.launch({ projectDir: 42 }), /Invalid launch configuration/);
    assert.strictEqual(made.length, 0);
  });
});
