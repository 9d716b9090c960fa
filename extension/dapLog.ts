// Logs every DAP message of elixir-scope sessions to the "ElixirScope DAP" output channel when
// elixirScope.trace.dapLog is on; the first thing to look at when the Debug pane misbehaves.
import * as vscode from 'vscode';
import { readSettings } from './settings';

/** Long messages (variables, big terms) are cut so the log stays readable. */
const MAX_LOGGED_CHARS = 4000;

function clip(message: unknown): string {
  const text = JSON.stringify(message) ?? String(message);
  return text.length <= MAX_LOGGED_CHARS ? text : `${text.slice(0, MAX_LOGGED_CHARS)}… (${text.length - MAX_LOGGED_CHARS} more chars)`;
}

export class DapLogTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly channel: vscode.LogOutputChannel) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    if (!readSettings(session.workspaceFolder?.uri).dapLog) return undefined;
    const log = this.channel;
    const tag = `[${session.name}]`;
    return {
      onWillStartSession: () => log.info(`${tag} session starting`),
      onWillReceiveMessage: (m: unknown) => log.info(`${tag} → ${clip(m)}`),
      onDidSendMessage: (m: unknown) => log.info(`${tag} ← ${clip(m)}`),
      onError: (e: Error) => log.error(`${tag} adapter error: ${e.message}`),
      onExit: (code: number | undefined, signal: string | undefined) =>
        log.info(`${tag} adapter exited (code ${code ?? '-'}, signal ${signal ?? '-'})`),
      onWillStopSession: () => log.info(`${tag} session stopping`),
    };
  }
}
