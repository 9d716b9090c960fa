// Progress notification from the start of an elixir-scope session until the adapter sends
// elixirScope.ready (compiling, starting the node, instrumenting modules take a while).
// A DAP tracker, not a session listener: it sees the adapter's first message, before launch returns.
import * as vscode from 'vscode';
import { CustomEvents, type ProgressEventBody } from '../adapter/protocol/customDap';

interface DapEvent {
  type: 'event';
  event: string;
  body?: unknown;
}

function isEvent(m: unknown, name: string): m is DapEvent {
  return typeof m === 'object' && m !== null && (m as DapEvent).type === 'event' && (m as DapEvent).event === name;
}

export class StartupProgressTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    if (session.configuration.noDebug === true) return undefined;
    let report: ((body: ProgressEventBody) => void) | undefined;
    let finish: (() => void) | undefined;
    let done = false;
    let percent = 0;
    const end = () => {
      done = true;
      finish?.();
    };

    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ElixirScope: starting ${session.name}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          if (done) return resolve();
          finish = resolve;
          report = ({ message, percent: next }) => {
            // withProgress takes increments; the adapter reports absolute percentages.
            const increment = next !== undefined && next > percent ? next - percent : undefined;
            if (next !== undefined) percent = Math.max(percent, next);
            progress.report({ message, increment });
          };
          token.onCancellationRequested(() => {
            end();
            void vscode.debug.stopDebugging(session);
          });
        }),
    );

    return {
      onDidSendMessage: (m: unknown) => {
        if (done) return;
        if (isEvent(m, CustomEvents.ready)) end();
        else if (isEvent(m, CustomEvents.progress) && typeof (m.body as ProgressEventBody | undefined)?.message === 'string') {
          report?.(m.body as ProgressEventBody);
        }
      },
      onWillStopSession: end,
      onExit: end,
      onError: end,
    };
  }
}
