// Turns what the user has (F5 with or without launch.json) into an elixir-scope configuration,
// fills defaults from the settings, and rejects invalid ones with the adapter's own validator.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { validateAttachArgs, validateLaunchArgs } from '../adapter/config/validate';
import { Errors, formatError } from '../adapter/errors';
import { mixLaunchConfig } from './launchTemplates';
import { launchProjectFor, mixProjectsIn } from './mixProject';
import { readSettings } from './settings';

const OPEN_LAUNCH_JSON = 'Open launch.json';

async function projectForF5(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  const file = vscode.window.activeTextEditor?.document.uri;
  if (file?.scheme === 'file') {
    const fromFile = launchProjectFor(file.fsPath);
    if (fromFile) return fromFile;
  }
  const folders = folder ? [folder] : vscode.workspace.workspaceFolders ?? [];
  for (const f of folders) {
    const [first] = await mixProjectsIn(f);
    if (first) return first;
  }
  return undefined;
}

/** Adds what the settings say for attributes the configuration leaves out. */
function applySettingDefaults(config: vscode.DebugConfiguration, folder: vscode.WorkspaceFolder | undefined): void {
  const settings = readSettings(folder?.uri);
  if (config.trace === undefined) config.trace = [...settings.traceDefault];
  if (config.recording === undefined) config.recording = {};
  if (typeof config.recording === 'object' && config.recording !== null && !Array.isArray(config.recording)) {
    config.recording = { maxEvents: settings.maxEvents, maxBytes: settings.maxBytes, ...config.recording };
  }
}

async function showInvalid(config: vscode.DebugConfiguration, errors: string[]): Promise<null | undefined> {
  const choice = await vscode.window.showErrorMessage(
    `ElixirScope cannot start "${config.name ?? DEBUG_TYPE}": the configuration is invalid.`,
    { modal: true, detail: errors.join('\n') },
    OPEN_LAUNCH_JSON,
  );
  // Returning null (not undefined) tells VS Code to open launch.json.
  return choice === OPEN_LAUNCH_JSON ? null : undefined;
}

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** Called with an empty configuration when F5 is pressed and there is no launch.json. */
  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | null | undefined> {
    if (!config.type && !config.request && !config.name) {
      const projectDir = await projectForF5(folder);
      if (!projectDir) {
        void vscode.window.showErrorMessage(
          'ElixirScope: no Mix project (mix.exs) found in this workspace. Open a Mix project, or add an elixir-scope configuration to launch.json.',
        );
        return undefined;
      }
      config = mixLaunchConfig(projectDir, 'run');
    }
    if (config.request === 'launch' && config.projectDir === undefined) {
      const projectDir = folder?.uri.fsPath ?? projectFromActiveFile();
      if (!projectDir) {
        void vscode.window.showErrorMessage(
          `ElixirScope: "${config.name}" has no "projectDir" and no folder is open. Set "projectDir" to the folder holding mix.exs.`,
        );
        return undefined;
      }
      config.projectDir = projectDir;
    }
    applySettingDefaults(config, folder);
    return config;
  }

  /** Last check after VS Code substituted ${…} variables: the same validation the adapter runs. */
  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | null | undefined> {
    const result =
      config.request === 'attach'
        ? validateAttachArgs(config)
        : config.request === 'launch'
          ? validateLaunchArgs(config, { baseDir: folder?.uri.fsPath })
          : { ok: false as const, errors: [wrongRequest(config.request)] };
    if (!result.ok) return showInvalid(config, result.errors);
    // The adapter runs with another working directory: hand it the absolute project path.
    if (result.config.request === 'launch') config.projectDir = result.config.projectDir;
    return config;
  }
}

function wrongRequest(request: unknown): string {
  const { code } = Errors.configWrongRequest;
  return `[${code}] ${formatError(Errors.configWrongRequest, { expected: 'launch" or "attach', actual: JSON.stringify(request) ?? 'nothing' })}`;
}

function projectFromActiveFile(): string | undefined {
  const file = vscode.window.activeTextEditor?.document.uri;
  return file?.scheme === 'file' ? launchProjectFor(file.fsPath) : undefined;
}
