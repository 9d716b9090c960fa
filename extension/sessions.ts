// Keeps track of running elixir-scope debug sessions, so commands and the status bar know which
// session they act on even when another debugger's session is the active one.
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

  /** The active debug session if it is ours, otherwise the most recently started one of ours. */
  current(): vscode.DebugSession | undefined {
    const active = vscode.debug.activeDebugSession;
    if (active && active.type === DEBUG_TYPE) return active;
    return this.running[this.running.length - 1];
  }

  isRunning(sessionId: string): boolean {
    return this.running.some((s) => s.id === sessionId);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
