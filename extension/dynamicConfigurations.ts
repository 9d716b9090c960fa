// The configurations listed in the Run and Debug view's dropdown without a launch.json:
// "mix run" and "mix test" for every Mix project in the workspace.
import * as vscode from 'vscode';
import { mixLaunchConfig } from './launchTemplates';
import { mixProjectsIn } from './mixProject';

/** Registered for the Dynamic trigger only: it must not resolve (the ConfigurationProvider does). */
export class DynamicConfigurations implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const folders = folder ? [folder] : vscode.workspace.workspaceFolders ?? [];
    const projects = (await Promise.all(folders.map((f) => mixProjectsIn(f)))).flat();
    return projects.flatMap((dir) => [mixLaunchConfig(dir, 'run'), mixLaunchConfig(dir, 'test')]);
  }
}
