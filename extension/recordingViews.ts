// Commands elixirScope.openStateHistory / openMessageSequence: open the webviews over the recording of an
// elixir-scope debug session, fed by the adapter's custom DAP requests; a debug adapter tracker relays
// `stopped` (→ cursor highlight), `elixirScope.streamGrew` (→ live appends) and the end of the session.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { customRequest, CustomEvents, CustomRequests, type StreamGrewEventBody } from '../adapter/protocol/customDap';
import { ScopeSessions } from './sessions';
import { StreamPanel, type PanelSpec } from './webviewPanel';

/** A thread of the Call Stack view: the command argument of `debug/callstack/context`, or the focused item. */
interface ThreadRef {
  session: vscode.DebugSession;
  threadId: number;
}

interface DapMessage {
  type?: string;
  event?: string;
  body?: unknown;
}

export class RecordingViews implements vscode.Disposable {
  private readonly panels = new Set<StreamPanel>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: ScopeSessions,
  ) {
    this.subscriptions = [
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({ onDidSendMessage: (m: DapMessage) => this.fromAdapter(session, m) }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        for (const p of this.panels) if (p.sessionId === s.id) p.setLive(false);
      }),
    ];
  }

  dispose(): void {
    for (const p of [...this.panels]) p.dispose();
    for (const d of this.subscriptions) d.dispose();
  }

  private fromAdapter(session: vscode.DebugSession, m: DapMessage): void {
    if (m.type !== 'event' || this.panels.size === 0) return;
    if (m.event === 'stopped') {
      for (const p of this.panels) if (p.sessionId === session.id) p.cursorMoved();
    } else if (m.event === CustomEvents.streamGrew && typeof m.body === 'object' && m.body !== null) {
      for (const p of this.panels) if (p.sessionId === session.id) p.grew(m.body as StreamGrewEventBody);
    }
  }

  /** The session to show: the focused one if it is ours, else the most recent of ours. */
  private session(): vscode.DebugSession | undefined {
    const item = vscode.debug.activeStackItem;
    if (item?.session.type === DEBUG_TYPE) return item.session;
    return this.sessions.current();
  }

  /** The thread a command is about: its Call Stack argument (a thread id), else the focused thread or frame. */
  private thread(arg: unknown): ThreadRef | undefined {
    const item = vscode.debug.activeStackItem;
    const session = item?.session.type === DEBUG_TYPE ? item.session : this.session();
    if (!session) return undefined;
    if (typeof arg === 'number') return { session, threadId: arg };
    if (typeof arg === 'object' && arg !== null && typeof (arg as { threadId?: unknown }).threadId === 'number') {
      return { session, threadId: (arg as { threadId: number }).threadId };
    }
    return item && item.session.type === DEBUG_TYPE ? { session: item.session, threadId: item.threadId } : undefined;
  }

  async openStateHistory(arg?: unknown): Promise<void> {
    const t = this.thread(arg);
    const session = t?.session ?? this.session();
    if (!session) {
      void vscode.window.showInformationMessage('ElixirScope: start an elixir-scope debug session to see GenServer state history.');
      return;
    }
    try {
      let target: { key: string; title: string } | undefined;
      if (t) {
        const r = await customRequest(session, CustomRequests.stateVersions, { threadId: t.threadId, from: 0, count: 0 });
        if (r.key) target = { key: r.key, title: r.title };
      }
      target ??= await this.pickGenServer(session, t ? 'That process has no GenServer state versions. ' : '');
      if (target) this.open({ view: 'stateHistory', session, key: target.key, title: target.title });
    } catch (err) {
      void vscode.window.showErrorMessage(`ElixirScope: cannot open the state history: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async pickGenServer(session: vscode.DebugSession, why: string): Promise<{ key: string; title: string } | undefined> {
    const { processes } = await customRequest(session, CustomRequests.stateProcesses, {});
    if (processes.length === 0) {
      void vscode.window.showInformationMessage(`ElixirScope: ${why}No GenServer state versions are recorded (yet).`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      processes.map((p) => ({ label: p.title, description: `${p.total} version${p.total === 1 ? '' : 's'}`, detail: p.pid, key: p.key })),
      { title: 'ElixirScope: state history of…', placeHolder: `${why}Pick a GenServer` },
    );
    return pick ? { key: pick.key, title: pick.label } : undefined;
  }

  async openMessageSequence(arg?: unknown): Promise<void> {
    const t = arg !== undefined ? this.thread(arg) : undefined;
    const session = t?.session ?? this.session();
    if (!session) {
      void vscode.window.showInformationMessage('ElixirScope: start an elixir-scope debug session to see its messages.');
      return;
    }
    let onlyPids: string[] | undefined;
    if (t) {
      const threads = ((await session.customRequest('threads')) as { threads?: { id: number; name: string }[] }).threads ?? [];
      const pid = /<\d+\.\d+\.\d+>$/.exec(threads.find((x) => x.id === t.threadId)?.name ?? '')?.[0];
      if (pid) onlyPids = [pid];
    }
    this.open({ view: 'messageSequence', session, title: `Messages: ${session.name}`, onlyPids });
  }

  private open(spec: PanelSpec): void {
    for (const p of this.panels) {
      const s = p.spec;
      if (s.session.id === spec.session.id && s.view === spec.view && s.key === spec.key && String(s.onlyPids) === String(spec.onlyPids)) {
        p.reveal();
        return;
      }
    }
    const panel: StreamPanel = new StreamPanel(this.extensionUri, spec, () => this.panels.delete(panel));
    this.panels.add(panel);
  }
}

let views: RecordingViews | undefined;

/**
 * Creates the views at activation (so the tracker sees every session from its start); returns what to add to
 * context.subscriptions. Without it, the first command creates them.
 */
export function registerRecordingViews(context: vscode.ExtensionContext, sessions: ScopeSessions): vscode.Disposable {
  views ??= new RecordingViews(context.extensionUri, sessions);
  const v = views;
  return new vscode.Disposable(() => {
    v.dispose();
    if (views === v) views = undefined;
  });
}

function ensureViews(): RecordingViews {
  if (!views) {
    const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string } | undefined)?.name === 'elixir-scope');
    if (!ext) throw new Error('the ElixirScope extension is not installed');
    // Not activated (or already deactivated): a list of sessions of its own, from now on.
    views = new RecordingViews(ext.extensionUri, new ScopeSessions());
  }
  return views;
}

/** Command elixirScope.openStateHistory; from the Call Stack context menu the argument is the thread id. */
export function openStateHistory(arg?: unknown): Promise<void> {
  return ensureViews().openStateHistory(arg);
}

/** Command elixirScope.openMessageSequence; from a thread's context menu, only that process's lifeline at first. */
export function openMessageSequence(arg?: unknown): Promise<void> {
  return ensureViews().openMessageSequence(arg);
}
