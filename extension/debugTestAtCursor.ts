// Command elixirScope.debugTestAtCursor: runs `mix test file:line` under the debugger for the test
// at the cursor (or at a given file and line, for callers such as a code lens).
import * as path from 'path';
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { testProjectFor } from './mixProject';
import { testLocation } from './testLocations';

export async function debugTestAtCursor(uri?: vscode.Uri, line?: number): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const file = uri ?? editor?.document.uri;
  if (!file || file.scheme !== 'file' || !file.fsPath.endsWith('.exs')) {
    void vscode.window.showInformationMessage('ElixirScope: open a test file (*_test.exs) and put the cursor on a test.');
    return;
  }
  const projectDir = testProjectFor(file.fsPath);
  if (!projectDir) {
    void vscode.window.showErrorMessage(`ElixirScope: ${path.basename(file.fsPath)} is not inside a Mix project (no mix.exs above it).`);
    return;
  }
  // Lines are 1-based for mix; editor positions are 0-based.
  const testLine = line ?? (editor && !uri ? editor.selection.active.line + 1 : 1);
  const location = testLocation(projectDir, file.fsPath, testLine);
  await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(file), {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `ElixirScope: mix test ${location}`,
    projectDir,
    task: 'test',
    taskArgs: [location],
  });
}
