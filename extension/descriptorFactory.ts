// Starts the debug adapter for a session: the bundled dist/adapter.js in its own process, or a
// running adapter server (elixirScope.adapter.serverPort) when developing the adapter.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readSettings } from './settings';

export class DescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const { serverPort } = readSettings(session.workspaceFolder?.uri);
    if (serverPort > 0) return new vscode.DebugAdapterServer(serverPort, '127.0.0.1');

    const adapter = path.join(this.extensionPath, 'dist', 'adapter.js');
    if (!fs.existsSync(adapter)) {
      throw new Error(`ElixirScope's debug adapter is missing (${adapter}). Reinstall the extension, or run npm run build.`);
    }
    // VS Code's own runtime runs the adapter, so users need no Node on PATH: in desktop VS Code
    // process.execPath is Electron, which ELECTRON_RUN_AS_NODE turns into plain Node; in
    // code-server and remote hosts it already is Node and the variable is ignored.
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], {
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
  }
}
