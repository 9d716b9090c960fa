// Keeps track of running elixir-scope debug sessions (the extension's one list of them), so commands, the
// status bar, the views and the language clients know which session they act on even when another
// debugger's session is the active one.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';

export class ScopeSessions implements vscode.Disposable {
  private readonly running: vscode.DebugSession[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  /** Fires when a session starts or ends, or the active debug session changes. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.subscriptions = [
      this.changed,
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.type !== DEBUG_TYPE) return;
        this.running.push(s);
        this.changed.fire();
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        const i = this.running.findIndex((r) => r.id === s.id);
        if (i < 0) return;
        this.running.splice(i, 1);
        this.changed.fire();
      }),
      vscode.debug.onDidChangeActiveDebugSession(() => this.changed.fire()),
    ];
  }

  /** The active debug session if it is ours. */
  active(): vscode.DebugSession | undefined {
    const active = vscode.debug.activeDebugSession;
    return active?.type === DEBUG_TYPE ? active : undefined;
  }

  /** The active debug session if it is ours, otherwise the most recently started one of ours. */
  current(): vscode.DebugSession | undefined {
    return this.active() ?? this.running[this.running.length - 1];
  }

  /** A running session of ours by its id. */
  byId(sessionId: string): vscode.DebugSession | undefined {
    return this.running.find((s) => s.id === sessionId);
  }

  isRunning(sessionId: string): boolean {
    return this.running.some((s) => s.id === sessionId);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
