// The launch and attach attributes of debug type `elixir-scope`: the single definition that
// package.json (scripts/sync-manifest.ts), the extension's defaults and the adapter's validator share.
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_EVENTS, type RecordingLimits } from '../store/config';
import type { AttributeSchema, RequestSchema } from './schemaTypes';

export const DEBUG_TYPE = 'elixir-scope';

/**
 * A trace pattern: `Bank.Account` (that module), `Bank.*` (Bank and every module below it),
 * `:ets` or `:cowboy*` (Erlang modules, `*` = name prefix), or `$project` (the project's own modules).
 */
export const TRACE_PATTERN_RE = String.raw`^(\$project|[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*(\.\*)?|:[a-z][A-Za-z0-9_@]*\*?)$`;
/** A module name: `Bank.Account` or `:my_erlang_mod`. */
export const MODULE_NAME_RE = String.raw`^([A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*|:[a-z][A-Za-z0-9_@]*)$`;
/** The token in `trace` that stands for the project's own modules. */
export const PROJECT_MODULES = '$project';

/** Recording limits, used when neither the configuration nor the settings give them: the store's own. */
export const RECORDING_DEFAULTS = { maxEvents: DEFAULT_MAX_EVENTS, maxBytes: DEFAULT_MAX_BYTES } as const;

/** The `recording` attribute: the store's limits a user may set. */
export type RecordingAttribute = Pick<RecordingLimits, 'maxEvents' | 'maxBytes'>;

const tracePattern: AttributeSchema = {
  type: 'string',
  pattern: TRACE_PATTERN_RE,
  patternErrorMessage:
    'A module (Bank.Account), a module and everything below it (Bank.*), an Erlang module (:ets, :cowboy*) or $project.',
};

const trace = {
  type: 'array',
  items: tracePattern,
  uniqueItems: true,
  description:
    'Modules to record. Default: the project\'s own modules (never deps, Elixir or OTP). ' +
    '"Bank.Account" = that module, "Bank.*" = Bank and every module below it, ":ets" or ":cowboy*" = Erlang modules, ' +
    '"$project" = the project\'s own modules (e.g. ["$project", "Plug.*"]). [] = only what breakpoints need.',
  default: [PROJECT_MODULES],
} as const satisfies AttributeSchema;

const recording = {
  type: 'object',
  description:
    'Limits of the in-memory recording. When one is reached the oldest events are dropped (and counted on the status bar).',
  properties: {
    maxEvents: {
      type: 'integer',
      minimum: 1000,
      description: 'Maximum number of events kept.',
      default: RECORDING_DEFAULTS.maxEvents,
    },
    maxBytes: {
      type: 'integer',
      minimum: 1024 * 1024,
      description: 'Maximum memory, in bytes, used by the kept events (at least 1 MiB).',
      default: RECORDING_DEFAULTS.maxBytes,
    },
  },
  additionalProperties: false,
  default: { ...RECORDING_DEFAULTS },
} as const satisfies AttributeSchema;

const allowSideEffects = {
  type: 'boolean',
  description:
    'Let breakpoint conditions and log messages call any function, including ones that change the program ' +
    '(File.rm!, send, GenServer.call, IO.puts…). Default false: they may only call functions that cannot ' +
    '(the list hovers and watches use); a breakpoint whose condition calls anything else stays unverified and ' +
    'names the call. The Debug Console always runs anything.',
  default: false,
} as const satisfies AttributeSchema;

/** What a user writes for `request: "launch"` (besides VS Code's own keys). */
export interface LaunchRequestArguments {
  projectDir?: string;
  task?: string;
  taskArgs?: string[];
  env?: Record<string, string>;
  trace?: string[];
  lineProbes?: string[];
  recording?: RecordingAttribute;
  allowSideEffects?: boolean;
}

/** What a user writes for `request: "attach"` (besides VS Code's own keys). */
export interface AttachRequestArguments {
  node?: string;
  cookie?: string;
  trace?: string[];
  recording?: RecordingAttribute;
  allowSideEffects?: boolean;
}

export const launchSchema = {
  required: [],
  properties: {
    projectDir: {
      type: 'string',
      description:
        'Folder of the Mix project (the one holding mix.exs). Default: the workspace folder. Relative paths are resolved against it.',
      default: '${workspaceFolder}',
    },
    task: {
      type: 'string',
      description: 'Mix task to run, e.g. "run", "test" or "phx.server". Its arguments go in "taskArgs".',
      default: 'run',
      pattern: String.raw`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`,
      patternErrorMessage: 'A single Mix task name such as "run", "test" or "phx.server"; put its arguments in "taskArgs".',
    },
    taskArgs: {
      type: 'array',
      items: { type: 'string' },
      description: 'Arguments of the Mix task, e.g. ["--no-halt"] or ["test/bank_test.exs:12"].',
      default: [],
    },
    env: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Environment variables added to the node\'s environment, e.g. {"MIX_ENV": "dev"}.',
      default: {},
    },
    trace,
    lineProbes: {
      type: 'array',
      items: {
        type: 'string',
        pattern: MODULE_NAME_RE,
        patternErrorMessage: 'A module name such as Bank.Account or :my_mod.',
      },
      uniqueItems: true,
      description:
        'Modules to record line by line (locals at every line), besides those with breakpoints on body lines. Costs speed.',
      default: [],
    },
    recording,
    allowSideEffects,
  },
} as const satisfies RequestSchema & { properties: Record<keyof LaunchRequestArguments, unknown> };

export const attachSchema = {
  required: ['node'],
  properties: {
    node: {
      type: 'string',
      description: 'Name of the running node to attach to, "app@host" (as given to --sname/--name).',
      default: 'app@localhost',
      pattern: String.raw`^[^@\s]+@[^@\s]+$`,
      patternErrorMessage: 'A node name of the form "app@host", e.g. "bank@localhost".',
    },
    cookie: {
      type: 'string',
      description: 'Erlang distribution cookie of the node. Default: the one in ~/.erlang.cookie.',
      minLength: 1,
    },
    trace,
    recording,
    allowSideEffects,
  },
} as const satisfies RequestSchema & { properties: Record<keyof AttachRequestArguments, unknown> };

/**
 * Keys VS Code (or another DAP client) adds or interprets itself; allowed in every configuration.
 * Keys starting with "__" are VS Code internals and are allowed too.
 */
export const CLIENT_KEYS: readonly string[] = [
  'type',
  'request',
  'name',
  'noDebug',
  'preLaunchTask',
  'postDebugTask',
  'debugServer',
  'internalConsoleOptions',
  'presentation',
  'suppressMultipleSessionWarning',
  'suppressDebugToolbar',
  'suppressDebugStatusbar',
  'suppressDebugView',
  'suppressSaveBeforeStart',
  'windows',
  'osx',
  'linux',
];
