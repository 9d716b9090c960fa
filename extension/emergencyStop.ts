// Command elixirScope.emergencyStop: asks the adapter to remove all tracing at once (the recording
// so far stays), for when recording itself hurts the node.
import * as vscode from 'vscode';
import { customRequest, CustomRequests } from '../adapter/protocol/customDap';
import type { ScopeSessions } from './sessions';

export async function emergencyStop(sessions: ScopeSessions): Promise<void> {
  const session = sessions.current();
  if (!session) {
    void vscode.window.showInformationMessage('ElixirScope: no debug session is recording.');
    return;
  }
  try {
    const body = await customRequest(session, CustomRequests.emergencyStop, {});
    void vscode.window.showInformationMessage(
      body?.stopped === false
        ? `ElixirScope: "${session.name}" was not recording.`
        : `ElixirScope: recording of "${session.name}" stopped (${body?.removed ?? 0} trace patterns and probes removed). The recording so far stays available.`,
    );
  } catch (err) {
    void vscode.window.showErrorMessage(
      `ElixirScope: emergency stop failed (${err instanceof Error ? err.message : String(err)}). Stop the debug session: that removes all tracing too.`,
    );
  }
}
