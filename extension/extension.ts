// Entry point of the VS Code extension (bundled to dist/extension.js): registers the elixir-scope
// debugger's providers, the commands, the status bar and the DAP log. VS Code wiring only.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { CommandIds } from './commandIds';
import { ConfigurationProvider } from './configurationProvider';
import { DapLogTrackerFactory } from './dapLog';
import { DynamicConfigurations } from './dynamicConfigurations';
import { debugTestAtCursor } from './debugTestAtCursor';
import { DescriptorFactory } from './descriptorFactory';
import { emergencyStop } from './emergencyStop';
import { RecordingStatusBar } from './recordingStatusBar';
import { RecordingLanguageClients } from './languageClient';
import { openMessageSequence, openStateHistory, registerRecordingViews } from './recordingViews';
import { ScopeSessions } from './sessions';
import { StartupProgressTrackerFactory } from './startupProgress';
import { TEST_FILES, TestCodeLensProvider } from './testCodeLens';

export function activate(context: vscode.ExtensionContext): void {
  const sessions = new ScopeSessions();
  const codeLens = new TestCodeLensProvider();
  const dapChannel = vscode.window.createOutputChannel('ElixirScope DAP', { log: true });

  context.subscriptions.push(
    sessions,
    codeLens,
    dapChannel,
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      new DynamicConfigurations(),
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new DescriptorFactory(context.extensionPath)),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new DapLogTrackerFactory(dapChannel)),
    new RecordingStatusBar(sessions),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new StartupProgressTrackerFactory()),
    vscode.languages.registerCodeLensProvider(TEST_FILES, codeLens),
    vscode.commands.registerCommand(CommandIds.emergencyStop, () => emergencyStop(sessions)),
    vscode.commands.registerCommand(CommandIds.debugTestAtCursor, (uri?: vscode.Uri, line?: number) =>
      debugTestAtCursor(uri instanceof vscode.Uri ? uri : undefined, typeof line === 'number' ? line : undefined),
    ),
    vscode.commands.registerCommand(CommandIds.openStateHistory, openStateHistory),
    vscode.commands.registerCommand(CommandIds.openMessageSequence, openMessageSequence),
    registerRecordingViews(context, sessions), // follows the cursor of every session from its start
    new RecordingLanguageClients(sessions), // captured values in the editor, per debug session
  );
}

export function deactivate(): void {
  // Everything registered above is disposed through context.subscriptions.
}
