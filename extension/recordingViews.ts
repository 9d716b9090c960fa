// Commands elixirScope.openStateHistory / openMessageSequence. The webviews arrive with issue 8;
// until then the commands say so instead of opening an empty panel.
import * as vscode from 'vscode';

export function openStateHistory(): void {
  void vscode.window.showInformationMessage(
    'ElixirScope: the state history view arrives with the webviews. Meanwhile, step back through GenServer state in the Debug pane.',
  );
}

export function openMessageSequence(): void {
  void vscode.window.showInformationMessage(
    'ElixirScope: the message sequence view arrives with the webviews. Meanwhile, the Debug pane shows each process as a thread.',
  );
}
