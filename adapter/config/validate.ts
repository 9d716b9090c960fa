// Checks a launch/attach configuration against launchSchema.ts and turns it into the adapter's
// normalized config (defaults applied, paths absolute); every problem becomes one numbered message.
import * as path from 'path';
import { Errors, formatError, type ScopeError } from '../errors';
import {
  attachSchema,
  CLIENT_KEYS,
  launchSchema,
  PROJECT_MODULES,
  RECORDING_DEFAULTS,
  type AttachRequestArguments,
  type LaunchRequestArguments,
  type RecordingAttribute,
} from './launchSchema';
import type { AttributeSchema, RequestSchema } from './schemaTypes';

/** Which modules to record. */
export interface TraceScope {
  /** Record the project's own modules (no "trace" given, or "$project" listed). */
  projectModules: boolean;
  /** Other module patterns, as written ("Bank.*", ":ets"); never contains "$project". */
  patterns: string[];
}

export interface LaunchConfig {
  request: 'launch';
  name: string;
  /** Absolute path of the Mix project. */
  projectDir: string;
  task: string;
  taskArgs: string[];
  env: Record<string, string>;
  trace: TraceScope;
  lineProbes: string[];
  recording: Required<RecordingAttribute>;
  /** Breakpoint conditions and log messages may call functions off the pure allow-list. */
  allowSideEffects: boolean;
  /** VS Code's "Run Without Debugging". */
  noDebug: boolean;
}

export interface AttachConfig {
  request: 'attach';
  name: string;
  node: string;
  /** Undefined: use ~/.erlang.cookie, as `erl` does. */
  cookie?: string;
  trace: TraceScope;
  recording: Required<RecordingAttribute>;
  /** Breakpoint conditions and log messages may call functions off the pure allow-list. */
  allowSideEffects: boolean;
}

export interface ValidationIssue {
  code: number;
  /** Path of the offending attribute, e.g. "recording.maxEvents" or "taskArgs[1]". */
  attribute: string;
  message: string;
}

export type ValidationResult<T> =
  | { ok: true; config: T }
  | { ok: false; errors: string[]; issues: ValidationIssue[] };

export interface ValidateOptions {
  /**
   * Folder a missing or relative projectDir resolves against, and what a literal "${workspaceFolder}"
   * stands for when the client did not substitute it. Default: the adapter's working directory.
   */
  baseDir?: string;
}

/** Attributes other debuggers use for the same purpose; naming the replacement beats "unknown". */
const FOREIGN_HINTS: Readonly<Record<string, string>> = {
  debugInterpretModulesPatterns: 'ElixirScope records instead of interpreting; use "trace"',
  debugAutoInterpretAllModules: 'ElixirScope records instead of interpreting; use "trace"',
  excludeModules: 'list the modules to record in "trace" instead',
  program: 'ElixirScope runs a Mix task; use "task" and "taskArgs"',
  args: 'use "taskArgs"',
  cwd: 'use "projectDir"',
};

type Issues = ValidationIssue[];
type Request = 'launch' | 'attach';

function add(issues: Issues, error: ScopeError, attribute: string, vars: Record<string, string>): void {
  issues.push({ code: error.code, attribute, message: formatError(error, { attribute, ...vars }) });
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

function describeExpected(s: AttributeSchema): string {
  switch (s.type) {
    case 'string':
      return s.enum ? `one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` : 'a string';
    case 'integer': {
      const bounds = [
        s.minimum !== undefined ? `≥ ${s.minimum}` : '',
        s.maximum !== undefined ? `≤ ${s.maximum}` : '',
      ].filter(Boolean);
      return `an integer${bounds.length ? ' ' + bounds.join(' and ') : ''}`;
    }
    case 'boolean':
      return 'true or false';
    case 'array':
      return `an array of ${plural(describeExpected(s.items))}`;
    case 'object':
      if (s.properties) return `an object with ${Object.keys(s.properties).map((k) => `"${k}"`).join(' and/or ')}`;
      if (s.additionalProperties) return `an object whose values are ${plural(describeExpected(s.additionalProperties))}`;
      return 'an object';
  }
}

function plural(expected: string): string {
  return expected.replace(/^an? (\w+)/, (_m, noun: string) => `${noun}s`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks one value against its schema; recursion follows arrays and objects. */
function check(value: unknown, s: AttributeSchema, at: string, request: Request, issues: Issues): void {
  const wrongType = () => add(issues, Errors.configWrongType, at, { expected: describeExpected(s), actual: describeValue(value) });
  switch (s.type) {
    case 'string': {
      if (typeof value !== 'string') return wrongType();
      if (s.enum && !s.enum.includes(value)) {
        add(issues, Errors.configBadValue, at, { actual: describeValue(value), expected: `expected ${describeExpected(s)}.` });
      } else if (s.minLength !== undefined && value.length < s.minLength) {
        add(issues, Errors.configBadValue, at, { actual: 'empty', expected: 'give a value or leave the attribute out.' });
      } else if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) {
        add(issues, Errors.configBadValue, at, { actual: describeValue(value), expected: s.patternErrorMessage ?? `expected a match of /${s.pattern}/.` });
      }
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return wrongType();
      if ((s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum)) {
        add(issues, Errors.configBadValue, at, { actual: String(value), expected: `expected ${describeExpected(s)}.` });
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') wrongType();
      return;
    case 'array': {
      if (!Array.isArray(value)) return wrongType();
      value.forEach((item, i) => check(item, s.items, `${at}[${i}]`, request, issues));
      if (s.uniqueItems) {
        const seen = new Set<string>();
        for (const item of value) {
          const key = JSON.stringify(item);
          if (seen.has(key)) add(issues, Errors.configDuplicate, at, { actual: key });
          seen.add(key);
        }
      }
      return;
    }
    case 'object': {
      if (!isPlainObject(value)) return wrongType();
      for (const key of s.required ?? []) {
        if (!(key in value)) {
          add(issues, Errors.configMissingAttribute, `${at}.${key}`, { request, description: s.properties?.[key]?.description ?? '' });
        }
      }
      for (const [key, v] of Object.entries(value)) {
        const sub = s.properties?.[key] ?? s.additionalProperties;
        if (sub) check(v, sub, `${at}.${key}`, request, issues);
        else {
          const hint = unknownHint(key, request, Object.keys(s.properties ?? {}), { required: [], properties: {} });
          add(issues, Errors.configUnknownAttribute, `${at}.${key}`, { request, hint });
        }
      }
      return;
    }
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** " (did you mean …?)" for a misspelt key, or the list of known keys. */
function unknownHint(key: string, request: Request, known: string[], other: RequestSchema): string {
  if (FOREIGN_HINTS[key]) return `: ${FOREIGN_HINTS[key]}.`;
  const lower = key.toLowerCase();
  const near = known
    .map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : editDistance(k.toLowerCase(), lower) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(key.length / 4)))
    .sort((x, y) => x.d - y.d)[0];
  if (near) return ` (did you mean "${near.k}"?).`;
  if (key in other.properties) {
    const otherRequest = request === 'launch' ? 'attach' : 'launch';
    return `: "${key}" belongs to "${otherRequest}" configurations.`;
  }
  return `. Known attributes: ${known.join(', ')}.`;
}

/** Shared pass over the top level: shape, request kind, unknown keys, then each attribute. */
function checkTopLevel(args: unknown, request: Request, schema: RequestSchema, other: RequestSchema): Issues {
  const issues: Issues = [];
  if (!isPlainObject(args)) {
    add(issues, Errors.configNotObject, '', { actual: describeValue(args) });
    return issues;
  }
  if (args.request !== undefined && args.request !== request) {
    add(issues, Errors.configWrongRequest, 'request', { expected: request, actual: describeValue(args.request) });
  }
  const known = Object.keys(schema.properties);
  for (const [key, value] of Object.entries(args)) {
    const s = schema.properties[key];
    if (s) check(value, s, key, request, issues);
    else if (!CLIENT_KEYS.includes(key) && !key.startsWith('__')) {
      add(issues, Errors.configUnknownAttribute, key, { request, hint: unknownHint(key, request, known, other) });
    }
  }
  for (const key of schema.required) {
    if (args[key] === undefined) {
      add(issues, Errors.configMissingAttribute, key, { request, description: schema.properties[key]?.description ?? '' });
    }
  }
  for (const key of ['name', 'type'] as const) {
    if (args[key] !== undefined && typeof args[key] !== 'string') {
      add(issues, Errors.configWrongType, key, { expected: 'a string', actual: describeValue(args[key]) });
    }
  }
  if (args.noDebug !== undefined && typeof args.noDebug !== 'boolean') {
    add(issues, Errors.configWrongType, 'noDebug', { expected: 'true or false', actual: describeValue(args.noDebug) });
  }
  return issues;
}

function fail<T>(issues: Issues): ValidationResult<T> {
  return { ok: false, errors: issues.map((i) => `[${i.code}] ${i.message}`), issues };
}

function traceScope(patterns: string[] | undefined): TraceScope {
  if (patterns === undefined) return { projectModules: true, patterns: [] };
  return {
    projectModules: patterns.includes(PROJECT_MODULES),
    patterns: patterns.filter((p) => p !== PROJECT_MODULES),
  };
}

function recordingLimits(r: RecordingAttribute | undefined): Required<RecordingAttribute> {
  return {
    maxEvents: r?.maxEvents ?? RECORDING_DEFAULTS.maxEvents,
    maxBytes: r?.maxBytes ?? RECORDING_DEFAULTS.maxBytes,
  };
}

/** Resolves projectDir: default, unsubstituted ${workspaceFolder} (non-VS Code clients), relative paths. */
function resolveProjectDir(given: string | undefined, baseDir: string): string {
  if (given === undefined || given.trim() === '') return path.resolve(baseDir);
  const substituted = given.replace(/\$\{workspaceFolder\}/g, baseDir);
  return path.resolve(baseDir, substituted);
}

/** Validates and normalizes the arguments of a `launch` request. */
export function validateLaunchArgs(args: unknown, options: ValidateOptions = {}): ValidationResult<LaunchConfig> {
  const issues = checkTopLevel(args, 'launch', launchSchema, attachSchema);
  if (issues.length > 0) return fail(issues);
  const a = args as Record<string, unknown> & LaunchRequestArguments;
  return {
    ok: true,
    config: {
      request: 'launch',
      name: typeof a.name === 'string' ? a.name : 'ElixirScope',
      projectDir: resolveProjectDir(a.projectDir, options.baseDir ?? process.cwd()),
      task: a.task ?? launchSchema.properties.task.default,
      taskArgs: [...(a.taskArgs ?? [])],
      env: { ...(a.env ?? {}) },
      trace: traceScope(a.trace),
      lineProbes: [...(a.lineProbes ?? [])],
      recording: recordingLimits(a.recording),
      allowSideEffects: a.allowSideEffects === true,
      noDebug: a.noDebug === true,
    },
  };
}

/** Validates and normalizes the arguments of an `attach` request. */
export function validateAttachArgs(args: unknown): ValidationResult<AttachConfig> {
  const issues = checkTopLevel(args, 'attach', attachSchema, launchSchema);
  if (issues.length > 0) return fail(issues);
  const a = args as Record<string, unknown> & AttachRequestArguments & { node: string };
  return {
    ok: true,
    config: {
      request: 'attach',
      name: typeof a.name === 'string' ? a.name : 'ElixirScope',
      node: a.node,
      ...(a.cookie !== undefined ? { cookie: a.cookie } : {}),
      trace: traceScope(a.trace),
      recording: recordingLimits(a.recording),
      allowSideEffects: a.allowSideEffects === true,
    },
  };
}
