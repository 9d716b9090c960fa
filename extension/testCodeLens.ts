// "Debug (time-travel)" code lens above ExUnit tests and describe blocks in *_test.exs files;
// it runs elixirScope.debugTestAtCursor for that line. Off with elixirScope.testCodeLens.
import * as vscode from 'vscode';
import { CommandIds } from './commandIds';
import { readSettings } from './settings';
import { SETTINGS_SECTION, SettingKeys } from './settingsSchema';
import { findTestLocations } from './testLocations';

export const TEST_FILES: vscode.DocumentSelector = { language: 'elixir', scheme: 'file', pattern: '**/*_test.exs' };

export class TestCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly watcher = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`${SETTINGS_SECTION}.${SettingKeys.testCodeLens}`)) this.changed.fire();
  });
  readonly onDidChangeCodeLenses = this.changed.event;

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!readSettings(document.uri).testCodeLens) return [];
    return findTestLocations(document.getText()).map(({ line, kind }) => {
      const range = new vscode.Range(line - 1, 0, line - 1, 0);
      return new vscode.CodeLens(range, {
        title: kind === 'describe' ? '$(debug-alt) Debug block (time-travel)' : '$(debug-alt) Debug (time-travel)',
        command: CommandIds.debugTestAtCursor,
        arguments: [document.uri, line],
        tooltip: `Run mix test ${document.uri.path.split('/').pop()}:${line} under ElixirScope`,
      });
    });
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }
}
