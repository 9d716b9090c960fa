// The extension's settings (contributes.configuration), as data: scripts/sync-manifest.ts writes them
// into package.json and settings.ts reads them; defaults come from the launch schema. No vscode import.
import { launchSchema, RECORDING_DEFAULTS } from '../adapter/config/launchSchema';

export const SETTINGS_SECTION = 'elixirScope';

/** Setting keys relative to SETTINGS_SECTION. */
export const SettingKeys = {
  traceDefault: 'trace.default',
  maxEvents: 'recording.maxEvents',
  maxBytes: 'recording.maxBytes',
  serverPort: 'adapter.serverPort',
  dapLog: 'trace.dapLog',
  testCodeLens: 'testCodeLens',
} as const;

const recordingProps = launchSchema.properties.recording.properties;

/** The `contributes.configuration` block of package.json. */
export const configurationContribution = {
  title: 'ElixirScope',
  properties: {
    [`${SETTINGS_SECTION}.${SettingKeys.traceDefault}`]: {
      type: 'array',
      items: launchSchema.properties.trace.items,
      uniqueItems: true,
      default: launchSchema.properties.trace.default,
      scope: 'resource',
      markdownDescription:
        'Modules to record when a launch configuration has no `trace` attribute. ' +
        '`$project` = the project\'s own modules; `Bank.*` = Bank and every module below it; `:ets` = an Erlang module.',
    },
    [`${SETTINGS_SECTION}.${SettingKeys.maxEvents}`]: {
      ...recordingProps.maxEvents,
      scope: 'resource',
      markdownDescription: 'Maximum number of events a recording keeps when the configuration has no `recording.maxEvents`.',
    },
    [`${SETTINGS_SECTION}.${SettingKeys.maxBytes}`]: {
      ...recordingProps.maxBytes,
      scope: 'resource',
      markdownDescription: 'Maximum memory (bytes) a recording uses when the configuration has no `recording.maxBytes`.',
    },
    [`${SETTINGS_SECTION}.${SettingKeys.serverPort}`]: {
      type: 'integer',
      default: 0,
      minimum: 0,
      maximum: 65535,
      scope: 'machine',
      markdownDescription:
        'For adapter development: the port of an adapter started with `node dist/adapter.js --server=PORT`. ' +
        'Debug sessions connect to it instead of starting the bundled adapter. `0` = start the bundled adapter.',
    },
    [`${SETTINGS_SECTION}.${SettingKeys.dapLog}`]: {
      type: 'boolean',
      default: false,
      scope: 'window',
      markdownDescription: 'Log all Debug Adapter Protocol traffic of ElixirScope sessions to the "ElixirScope DAP" output channel.',
    },
    [`${SETTINGS_SECTION}.${SettingKeys.testCodeLens}`]: {
      type: 'boolean',
      default: true,
      scope: 'resource',
      markdownDescription: 'Show a "Debug (time-travel)" code lens above each ExUnit `test` and `describe` in `*_test.exs` files.',
    },
  },
} as const;

export const SETTING_DEFAULTS = {
  traceDefault: launchSchema.properties.trace.default,
  maxEvents: RECORDING_DEFAULTS.maxEvents,
  maxBytes: RECORDING_DEFAULTS.maxBytes,
  serverPort: 0,
  dapLog: false,
  testCodeLens: true,
} as const;
