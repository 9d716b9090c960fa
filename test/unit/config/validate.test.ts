// Launch/attach validation: accepted configurations normalize as the adapter expects; each kind of
// mistake gives one numbered message naming the attribute and what is expected.
import * as assert from 'assert';
import * as path from 'path';
import { attachSchema, launchSchema, RECORDING_DEFAULTS } from '../../../adapter/config/launchSchema';
import type { AttributeSchema } from '../../../adapter/config/schemaTypes';
import { validateAttachArgs, validateLaunchArgs } from '../../../adapter/config/validate';
import { Errors } from '../../../adapter/errors';
import { configurationSnippets, initialConfigurations } from '../../../extension/launchTemplates';

const WS = path.resolve('/work/space');

function errorsOf(result: ReturnType<typeof validateLaunchArgs> | ReturnType<typeof validateAttachArgs>): string[] {
  assert.strictEqual(result.ok, false, 'expected the configuration to be rejected');
  return result.ok ? [] : result.errors;
}

function codesOf(result: ReturnType<typeof validateLaunchArgs> | ReturnType<typeof validateAttachArgs>): number[] {
  return result.ok ? [] : result.issues.map((i) => i.code);
}

describe('validateLaunchArgs', () => {
  it('accepts a complete configuration and keeps its values', () => {
    const r = validateLaunchArgs(
      {
        type: 'elixir-scope',
        request: 'launch',
        name: 'Bank',
        projectDir: '/work/space/bank',
        task: 'phx.server',
        taskArgs: ['--no-halt'],
        env: { MIX_ENV: 'dev' },
        trace: ['$project', 'Plug.*', ':ets'],
        lineProbes: ['Bank.Account'],
        recording: { maxEvents: 5000, maxBytes: 2 * 1024 * 1024 },
        allowSideEffects: true,
      },
      { baseDir: WS },
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepStrictEqual(r.config, {
      request: 'launch',
      name: 'Bank',
      projectDir: path.resolve('/work/space/bank'),
      task: 'phx.server',
      taskArgs: ['--no-halt'],
      env: { MIX_ENV: 'dev' },
      trace: { projectModules: true, patterns: ['Plug.*', ':ets'] },
      lineProbes: ['Bank.Account'],
      recording: { maxEvents: 5000, maxBytes: 2 * 1024 * 1024 },
      allowSideEffects: true,
      noDebug: false,
    });
  });

  it('allows the keys VS Code adds', () => {
    const r = validateLaunchArgs({
      type: 'elixir-scope',
      request: 'launch',
      name: 'x',
      __sessionId: 'abc',
      __configurationTarget: 5,
      noDebug: true,
      preLaunchTask: 'build',
      presentation: { hidden: false },
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.strictEqual(r.config.noDebug, true);
  });

  it('fills defaults: projectDir = the base folder, task "run", project modules, recording limits', () => {
    const r = validateLaunchArgs({ request: 'launch' }, { baseDir: WS });
    assert.ok(r.ok);
    assert.strictEqual(r.config.projectDir, WS);
    assert.strictEqual(r.config.task, 'run');
    assert.deepStrictEqual(r.config.taskArgs, []);
    assert.deepStrictEqual(r.config.env, {});
    assert.deepStrictEqual(r.config.trace, { projectModules: true, patterns: [] });
    assert.deepStrictEqual(r.config.recording, RECORDING_DEFAULTS);
  });

  it('defaults projectDir to the working directory when no base folder is given', () => {
    const r = validateLaunchArgs({});
    assert.ok(r.ok);
    assert.strictEqual(r.config.projectDir, process.cwd());
  });

  it('resolves an unsubstituted ${workspaceFolder} and relative paths against the base folder', () => {
    const a = validateLaunchArgs({ projectDir: '${workspaceFolder}/examples/bank' }, { baseDir: WS });
    const b = validateLaunchArgs({ projectDir: 'examples/bank' }, { baseDir: WS });
    assert.ok(a.ok && b.ok);
    assert.strictEqual(a.config.projectDir, path.join(WS, 'examples', 'bank'));
    assert.strictEqual(b.config.projectDir, path.join(WS, 'examples', 'bank'));
  });

  it('rejects an unknown attribute, naming it and suggesting the near one', () => {
    const r = validateLaunchArgs({ request: 'launch', taskArg: ['x'] });
    const [msg] = errorsOf(r);
    assert.deepStrictEqual(codesOf(r), [Errors.configUnknownAttribute.code]);
    assert.match(msg, /"taskArg"/);
    assert.match(msg, /did you mean "taskArgs"/);
  });

  it('says which request an attribute belongs to, and what replaces ElixirLS attributes', () => {
    assert.match(errorsOf(validateLaunchArgs({ node: 'a@b' }))[0], /belongs to "attach"/);
    assert.match(errorsOf(validateLaunchArgs({ debugInterpretModulesPatterns: ['Bank.*'] }))[0], /use "trace"/);
  });

  it('rejects wrong types with the expected type and the actual value', () => {
    const r = validateLaunchArgs({ taskArgs: 'test/a_test.exs', env: { PORT: 4000 }, task: 7 });
    const errors = errorsOf(r);
    assert.ok(codesOf(r).every((c) => c === Errors.configWrongType.code));
    assert.ok(errors.some((e) => /"taskArgs" must be an array of strings, not "test\/a_test.exs"/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /"env.PORT" must be a string, not the number 4000/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /"task" must be a string, not the number 7/.test(e)), errors.join('\n'));
  });

  it('rejects bad values: task with arguments, bad trace patterns, limits below the minimum, duplicates', () => {
    const errors = errorsOf(
      validateLaunchArgs({
        task: 'test --trace',
        trace: ['bank', 'Bank.*', 'Bank.*'],
        lineProbes: ['Bank.*'],
        recording: { maxEvents: 10, maxBytess: 1 },
      }),
    );
    const all = errors.join('\n');
    assert.match(all, /"task" is "test --trace": .*put its arguments in "taskArgs"/);
    assert.match(all, /"trace\[0\]" is "bank"/);
    assert.match(all, /"trace" lists "Bank\.\*" more than once/);
    assert.match(all, /"lineProbes\[0\]" is "Bank\.\*"/);
    assert.match(all, /"recording.maxEvents" is 10: expected an integer ≥ 1000/);
    assert.match(all, /Unknown attribute "recording.maxBytess".*did you mean "maxBytes"/);
  });

  it('rejects a non-object and the other request kind', () => {
    assert.deepStrictEqual(codesOf(validateLaunchArgs([])), [Errors.configNotObject.code]);
    assert.match(errorsOf(validateLaunchArgs({ request: 'attach' }))[0], /"request" must be "launch"/);
  });

  it('numbers every message with a code from the configuration range', () => {
    const r = validateLaunchArgs({ foo: 1, task: 2 });
    assert.ok(!r.ok);
    for (const [i, issue] of r.issues.entries()) {
      assert.ok(issue.code >= 1010 && issue.code < 1100, `code ${issue.code}`);
      assert.strictEqual(r.errors[i], `[${issue.code}] ${issue.message}`);
    }
  });

  it('an explicit empty trace means no module beyond what breakpoints need', () => {
    const r = validateLaunchArgs({ trace: [] });
    assert.ok(r.ok);
    assert.deepStrictEqual(r.config.trace, { projectModules: false, patterns: [] });
  });
});

describe('validateAttachArgs', () => {
  it('accepts node, cookie and trace', () => {
    const r = validateAttachArgs({ type: 'elixir-scope', request: 'attach', name: 'a', node: 'bank@localhost', cookie: 'secret', trace: ['Bank.*'] });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepStrictEqual(r.config, {
      request: 'attach',
      name: 'a',
      node: 'bank@localhost',
      cookie: 'secret',
      trace: { projectModules: false, patterns: ['Bank.*'] },
      recording: RECORDING_DEFAULTS,
      allowSideEffects: false,
    });
  });

  it('requires node, in the app@host form', () => {
    const missing = validateAttachArgs({ request: 'attach' });
    assert.deepStrictEqual(codesOf(missing), [Errors.configMissingAttribute.code]);
    assert.match(errorsOf(missing)[0], /"node" is required/);
    assert.match(errorsOf(validateAttachArgs({ node: 'bank' }))[0], /"node" is "bank": .*app@host/);
  });

  it('rejects launch-only attributes', () => {
    assert.match(errorsOf(validateAttachArgs({ node: 'a@b', projectDir: '.' }))[0], /"projectDir" belongs to "launch"/);
  });
});

describe('launch schema', () => {
  function checkDefault(name: string, s: AttributeSchema): void {
    if (s.default === undefined) return;
    const r = validateLaunchArgs({ [name]: s.default });
    const a = validateAttachArgs({ node: 'a@b', [name]: s.default });
    assert.ok(name in launchSchema.properties ? r.ok : a.ok, `default of "${name}" fails its own schema`);
  }

  it('every default passes its own schema', () => {
    for (const [name, s] of Object.entries(launchSchema.properties)) checkDefault(name, s);
    for (const [name, s] of Object.entries(attachSchema.properties)) checkDefault(name, s);
  });

  it('every attribute is documented', () => {
    for (const [name, s] of [...Object.entries(launchSchema.properties), ...Object.entries(attachSchema.properties)]) {
      assert.ok(s.description.length > 20, `"${name}" lacks a description`);
    }
  });

  it('the initial configurations are valid', () => {
    for (const c of initialConfigurations) {
      const r = validateLaunchArgs(c, { baseDir: WS });
      assert.ok(r.ok, `${c.name}: ${JSON.stringify(r)}`);
    }
  });

  it('the launch.json snippets are valid once their placeholders are filled', () => {
    const fill = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(fill);
      if (typeof v !== 'string') return v;
      return v
        .replace(/^\^"(.*)"$/, '$1')
        .replace(/\\\$\{workspaceFolder\}/g, WS)
        .replace(/\\\$\{relativeFile\}/g, 'test/bank_test.exs')
        .replace(/\\\$\{lineNumber\}/g, '12')
        .replace(/\$\{\d+:([^}]*)\}/g, '$1');
    };
    for (const snippet of configurationSnippets) {
      const body = Object.fromEntries(Object.entries(snippet.body).map(([k, v]) => [k, fill(v)]));
      const r = body.request === 'attach' ? validateAttachArgs(body) : validateLaunchArgs(body, { baseDir: WS });
      assert.ok(r.ok, `${snippet.label}: ${JSON.stringify(r)}`);
      assert.ok(!JSON.stringify(body).includes('${'), `${snippet.label}: unfilled placeholder in ${JSON.stringify(body)}`);
    }
  });
});
