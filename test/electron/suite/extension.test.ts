// The extension inside a downloaded desktop VS Code (@vscode/test-electron): activation and
// contributions, then a debug session of examples/bank through the VS Code API: a conditional
// breakpoint on Bank.Account.handle_call/3, the stop, named variables, a hover evaluation, stepping
// back to an earlier GenServer state, the recording views, and stopping.
import * as assert from 'assert';
import * as path from 'path';
// This suite runs inside VS Code's extension host, like extension/**: the one test that may import vscode.
// eslint-disable-next-line no-restricted-imports
import * as vscode from 'vscode';
import { CommandIds } from '../../../extension/commandIds';

const EXTENSION_ID = 'elixir-scope.elixir-scope';
const CONDITION = 'state.id == :b and amount >= 10';

interface StoppedBody {
  reason: string;
  threadId: number;
  description?: string;
}
interface Frame {
  id: number;
  name: string;
  line: number;
  source?: { path?: string };
}
interface Variable {
  name: string;
  value: string;
  variablesReference: number;
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'the test runner opens a copy of examples/bank');
  return f;
}

const accountEx = (): vscode.Uri => vscode.Uri.joinPath(workspaceFolder().uri, 'lib', 'bank', 'account.ex');

/** Every `stopped` event the elixir-scope adapter sends, in order. */
class StopEvents implements vscode.Disposable {
  private readonly queue: { session: vscode.DebugSession; body: StoppedBody }[] = [];
  private waiters: ((e: { session: vscode.DebugSession; body: StoppedBody }) => void)[] = [];
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('elixir-scope', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: StoppedBody }) => {
          if (m.type !== 'event' || m.event !== 'stopped' || !m.body) return;
          const e = { session, body: m.body };
          const w = this.waiters.shift();
          if (w) w(e);
          else this.queue.push(e);
        },
      }),
    });
  }

  next(timeoutMs = 60_000): Promise<{ session: vscode.DebugSession; body: StoppedBody }> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stopped event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }

  dispose(): void {
    this.registration.dispose();
  }
}

async function scopes(session: vscode.DebugSession, frameId: number): Promise<Map<string, Variable[]>> {
  const out = new Map<string, Variable[]>();
  const body = (await session.customRequest('scopes', { frameId })) as { scopes: { name: string; variablesReference: number }[] };
  for (const s of body.scopes) {
    const vars = (await session.customRequest('variables', { variablesReference: s.variablesReference })) as { variables: Variable[] };
    out.set(s.name, vars.variables);
  }
  return out;
}

async function topFrame(session: vscode.DebugSession, threadId: number): Promise<Frame> {
  const st = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 })) as { stackFrames: Frame[] };
  assert.ok(st.stackFrames.length > 0, 'a stack at the stop');
  return st.stackFrames[0];
}

describe('ElixirScope in desktop VS Code (@vscode/test-electron)', function () {
  this.timeout(180_000);
  let stops: StopEvents;

  before(() => {
    stops = new StopEvents();
  });

  after(async () => {
    stops.dispose();
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  });

  it('1. activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded from the development path`);
    await ext.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const id of Object.values(CommandIds)) assert.ok(commands.includes(id), `command ${id}`);
  });

  it('2. gives .ex files the elixir language of its own grammar', async () => {
    const doc = await vscode.workspace.openTextDocument(accountEx());
    assert.strictEqual(doc.languageId, 'elixir');
    await vscode.window.showTextDocument(doc);
  });

  it('3. conditional breakpoint → stop with named bindings → hover → step back to an earlier GenServer state → views → stop', async () => {
    const line31 = new vscode.Position(30, 0);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(accountEx(), line31), true, CONDITION)]);
    const started = await vscode.debug.startDebugging(workspaceFolder(), 'Debug demo');
    assert.ok(started, 'the "Debug demo" configuration of .vscode/launch.json starts');

    const hit = await stops.next(120_000);
    assert.strictEqual(hit.body.reason, 'breakpoint', hit.body.description);
    const { session } = hit;
    const threadId = hit.body.threadId;
    const frame = await topFrame(session, threadId);
    assert.match(frame.name, /Bank\.Account\.handle_call\/3/);
    assert.strictEqual(frame.line, 31);
    assert.strictEqual(path.basename(frame.source?.path ?? ''), 'account.ex');

    const sc = await scopes(session, frame.id);
    const args = [...sc.entries()].find(([n]) => n.startsWith('Arguments'))?.[1] ?? [];
    assert.strictEqual(args.find((v) => v.name === 'amount')?.value, '10');
    assert.match(args.find((v) => v.name === 'state')?.value ?? '', /%Bank\.Account\{.*id: :b/);

    const hover = (await session.customRequest('evaluate', { expression: 'amount', frameId: frame.id, context: 'hover' })) as { result: string };
    assert.strictEqual(hover.result, '10');

    let earlier = false;
    for (let i = 0; i < 40 && !earlier; i++) {
      const next = stops.next(30_000);
      await session.customRequest('stepBack', { threadId });
      await next;
      const f = await topFrame(session, threadId);
      const state = [...(await scopes(session, f.id)).entries()].find(([n]) => n.startsWith('GenServer State'));
      earlier = !!state && /balance: 95\b/.test(state[1][0]?.value ?? '');
    }
    assert.ok(earlier, 'stepping back reaches the GenServer state before the previous callback (balance 95)');

    for (const command of [CommandIds.openStateHistory, CommandIds.openMessageSequence]) {
      const before = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview).length;
      await vscode.commands.executeCommand(command);
      await new Promise((r) => setTimeout(r, 1000));
      const after = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview).length;
      assert.ok(after > before, `${command} opens a webview panel`);
    }

    const ended = new Promise<void>((resolve) => {
      const d = vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id === session.id) {
          d.dispose();
          resolve();
        }
      });
    });
    await vscode.debug.stopDebugging(session);
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the session did not end within 15 s of stopDebugging')), 15_000))]);
  });
});
