// Progress notification from the start of an elixir-scope session until the adapter sends
// elixirScope.ready (compiling, starting the node, instrumenting modules take a while).
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { CustomEvents, type ProgressEventBody } from '../adapter/protocol/customDap';

interface Pending {
  report(body: ProgressEventBody): void;
  finish(): void;
}

export class StartupProgress implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.type === DEBUG_TYPE && s.configuration.noDebug !== true) this.start(s);
      }),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        const p = this.pending.get(e.session.id);
        if (!p) return;
        if (e.event === CustomEvents.ready) p.finish();
        else if (e.event === CustomEvents.progress && typeof (e.body as ProgressEventBody | undefined)?.message === 'string') {
          p.report(e.body as ProgressEventBody);
        }
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.pending.get(s.id)?.finish()),
    ];
  }

  private start(session: vscode.DebugSession): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ElixirScope: starting ${session.name}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let percent = 0;
          const finish = () => {
            this.pending.delete(session.id);
            resolve();
          };
          this.pending.set(session.id, {
            report: ({ message, percent: next }) => {
              // withProgress takes increments; the adapter reports absolute percentages.
              const increment = next !== undefined && next > percent ? next - percent : undefined;
              if (next !== undefined) percent = Math.max(percent, next);
              progress.report({ message, increment });
            },
            finish,
          });
          token.onCancellationRequested(() => {
            finish();
            void vscode.debug.stopDebugging(session);
          });
        }),
    );
  }

  dispose(): void {
    for (const p of [...this.pending.values()]) p.finish();
    for (const d of this.subscriptions) d.dispose();
  }
}
