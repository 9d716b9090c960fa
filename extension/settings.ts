// Reads the elixirScope.* settings (declared in settingsSchema.ts) for a folder, with typed defaults.
import * as vscode from 'vscode';
import { SETTING_DEFAULTS, SETTINGS_SECTION, SettingKeys } from './settingsSchema';

export interface Settings {
  traceDefault: readonly string[];
  maxEvents: number;
  maxBytes: number;
  /** 0 = start the bundled adapter. */
  serverPort: number;
  dapLog: boolean;
  testCodeLens: boolean;
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return {
    traceDefault: c.get<string[]>(SettingKeys.traceDefault, [...SETTING_DEFAULTS.traceDefault]),
    maxEvents: c.get<number>(SettingKeys.maxEvents, SETTING_DEFAULTS.maxEvents),
    maxBytes: c.get<number>(SettingKeys.maxBytes, SETTING_DEFAULTS.maxBytes),
    serverPort: c.get<number>(SettingKeys.serverPort, SETTING_DEFAULTS.serverPort),
    dapLog: c.get<boolean>(SettingKeys.dapLog, SETTING_DEFAULTS.dapLog),
    testCodeLens: c.get<boolean>(SettingKeys.testCodeLens, SETTING_DEFAULTS.testCodeLens),
  };
}
