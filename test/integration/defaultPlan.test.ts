// The default trace plan (no `trace` attribute) over real DAP and a real BEAM: the project's own
// applications are recorded, umbrella children included; path dependencies (direct or transitive,
// inside or outside an umbrella) are not. Fixtures are small Mix projects written to a temp dir.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { endSession, TracedDebugClient } from '../support/dapSession';

/** Modules generated into each dependency, so that tracing deps by mistake is plainly visible. */
const DEP_MODULES = 120;

interface MixApp {
  app: string;
  /** Elixir terms of `deps/0`, e.g. `{:core, in_umbrella: true}`. */
  deps?: string[];
  /** Application callback module (`mod:`), defined in `files`. */
  mod?: string;
  /** Umbrella children: paths to the umbrella's shared folders. */
  inUmbrella?: boolean;
  files: Record<string, string>;
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function mixProject(dir: string, p: MixApp): void {
  const camel = p.app.replace(/(^|_)(\w)/g, (_, _u, c: string) => c.toUpperCase());
  const shared = p.inUmbrella
    ? 'build_path: "../../_build", config_path: "../../config/config.exs", deps_path: "../../deps", lockfile: "../../mix.lock", '
    : '';
  write(
    path.join(dir, 'mix.exs'),
    `defmodule ${camel}.MixProject do
  use Mix.Project
  def project, do: [app: :${p.app}, version: "0.1.0", ${shared}elixir: "~> 1.14", deps: [${(p.deps ?? []).join(', ')}]]
  def application, do: [extra_applications: [:logger]${p.mod ? `, mod: {${p.mod}, []}` : ''}]
end
`,
  );
  for (const [file, text] of Object.entries(p.files)) write(path.join(dir, file), text);
}

/** A dependency with an application that starts a registered GenServer, a relay that calls back into
 *  its caller, and many small modules. */
function depProject(dir: string, app: string, mod: string, deps: string[] = []): void {
  const gen = Array.from({ length: DEP_MODULES }, (_, i) => `defmodule ${mod}.Gen.M${i} do\n  def f(x), do: x + ${i}\n  def g(x), do: f(x) * 2\nend\n`).join('');
  mixProject(dir, {
    app,
    deps,
    mod: `${mod}.Application`,
    files: {
      [`lib/${app}.ex`]: `defmodule ${mod} do
  def relay(fun) do
    result = fun.()
    {:relayed, result}
  end
  def value, do: 42
end
defmodule ${mod}.Server do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, 0, name: __MODULE__)
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, n), do: {:reply, n, n}
end
defmodule ${mod}.Application do
  use Application
  def start(_type, _args), do: Supervisor.start_link([${mod}.Server], strategy: :one_for_one)
end
`,
      [`lib/${app}/gen.ex`]: gen,
    },
  });
}

/**
 * root/deep_dep, root/ext_dep (path deps, ext_dep → deep_dep), root/app (→ ext_dep);
 * root/out_dep and the umbrella root/umb with apps/core and apps/web (web → core in_umbrella, → out_dep).
 */
function buildFixtures(root: string): { app: string; umbrella: string; web: string } {
  depProject(path.join(root, 'deep_dep'), 'deep_dep', 'DeepDep');
  depProject(path.join(root, 'ext_dep'), 'ext_dep', 'ExtDep', ['{:deep_dep, path: "../deep_dep"}']);
  depProject(path.join(root, 'out_dep'), 'out_dep', 'OutDep');
  mixProject(path.join(root, 'app'), {
    app: 'app',
    deps: ['{:ext_dep, path: "../ext_dep"}'],
    files: {
      'lib/app.ex': `defmodule App do
  def run, do: ExtDep.relay(fn -> App.Inner.target(DeepDep.value()) end)
end
defmodule App.Inner do
  def target(x), do: {:target, x}
end
`,
      'test/test_helper.exs': 'ExUnit.start()\n',
      // Loads ExtDep first, calls into it later (see test 1b).
      'test/later_test.exs': `defmodule LaterTest do
  use ExUnit.Case
  test "calls the dependency once it is loaded" do
    assert ExtDep.value() == 42
    Process.sleep(1500)
    assert {:relayed, _} = App.run()
  end
end
`,
      'test/app_test.exs': `defmodule AppTest do
  use ExUnit.Case
  test "runs through the dependency" do
    assert {:relayed, {:target, 42}} = App.run()
  end
end
`,
    },
  });
  const umb = path.join(root, 'umb');
  write(path.join(umb, 'mix.exs'), 'defmodule Umb.MixProject do\n  use Mix.Project\n  def project, do: [apps_path: "apps", version: "0.1.0", deps: []]\nend\n');
  write(path.join(umb, 'config', 'config.exs'), 'import Config\n');
  mixProject(path.join(umb, 'apps', 'core'), {
    app: 'core',
    inUmbrella: true,
    mod: 'Core.Application',
    files: {
      'lib/core.ex': `defmodule Core do
  def compute(x), do: Core.Inner.target(x + Core.Store.get())
end
defmodule Core.Inner do
  def target(x), do: {:target, x}
end
defmodule Core.Store do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, 10, name: __MODULE__)
  def get, do: GenServer.call(__MODULE__, :get)
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, n), do: {:reply, n, n}
end
defmodule Core.Application do
  use Application
  def start(_type, _args), do: Supervisor.start_link([Core.Store], strategy: :one_for_one)
end
`,
    },
  });
  mixProject(path.join(umb, 'apps', 'web'), {
    app: 'web',
    inUmbrella: true,
    deps: ['{:core, in_umbrella: true}', '{:out_dep, path: "../../../out_dep"}'],
    files: {
      'lib/web.ex': `defmodule Web do
  def handle(x), do: OutDep.relay(fn -> Core.compute(x) end)
end
`,
    },
  });
  return { app: path.join(root, 'app'), umbrella: umb, web: path.join(umb, 'apps', 'web') };
}

function mix(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const t0 = Date.now();
  const r = spawnSync('mix', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mix ${args.join(' ')} in ${cwd} failed:\n${r.stdout}\n${r.stderr}`);
  return Date.now() - t0;
}

interface Stop {
  ready: DebugProtocol.Event;
  /** Top frames of every recorded step of the stopped process, from its first event to the hit. */
  recorded: string[];
  threads: string[];
  ms: number;
}

/** Launches with no `trace` attribute, a function breakpoint on `fn`; returns the first stop. */
async function launchToFirstStop(dc: TracedDebugClient, projectDir: string, task: string, taskArgs: string[], fn: string): Promise<Stop> {
  const t0 = Date.now();
  await dc.start();
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized', 60_000);
  await dc.launchRequest({ projectDir, task, taskArgs } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: fn }] });
  assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
  const hit = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
  await dc.configurationDoneRequest();
  const threadId = (await hit).body.threadId!;
  const ms = Date.now() - t0;
  const ready = dc.events.find((e) => e.event === 'elixirScope.ready');
  assert.ok(ready, 'an elixirScope.ready event before the first stop');
  const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
  return { ready, recorded: await recordedSteps(dc, threadId, fn), threads, ms };
}

/**
 * What was recorded in a process: back to its first event (reverse continue, no earlier hit), then
 * step in through every recorded call and return until the breakpoint's function again. The stack
 * at a hit also shows unrecorded callers (the process's own stack), so it cannot tell.
 */
async function recordedSteps(dc: TracedDebugClient, threadId: number, fn: string): Promise<string[]> {
  const top = async () => (await dc.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0]?.name ?? '';
  const first = dc.waitForEvent('stopped', 10_000);
  await dc.reverseContinueRequest({ threadId });
  await first;
  const names = [await top()];
  for (let i = 0; i < 60 && !names[names.length - 1].startsWith(fn); i++) {
    const next = dc.waitForEvent('stopped', 10_000);
    await dc.stepInRequest({ threadId });
    await next;
    names.push(await top());
  }
  assert.ok(names[names.length - 1].startsWith(fn), `stepping in from the first event never reached ${fn}: ${JSON.stringify(names)}`);
  return names;
}

describe('default trace plan: the project’s own applications (real BEAM, real DAP)', function () {
  let root = '';
  let fx: ReturnType<typeof buildFixtures>;
  let dc: TracedDebugClient | undefined;

  before(function () {
    this.timeout(300_000);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-default-plan-'));
    fx = buildFixtures(root);
    // Compiled once up front, so that the launches below measure startup, not a first compilation.
    mix(['compile'], fx.app, { MIX_ENV: 'test' });
    mix(['compile'], fx.umbrella, { MIX_ENV: 'dev' });
  });

  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
  });

  it('1. a project with path dependencies (one transitive): only the app is traced, nothing of the dependencies is recorded', async () => {
    const plain = mix(['test', 'test/app_test.exs'], fx.app, { MIX_ENV: 'test' });
    dc = new TracedDebugClient();
    const stop = await launchToFirstStop(dc, fx.app, 'test', ['test/app_test.exs'], 'App.Inner.target/1');
    console.log(`      launch → first stop: ${stop.ms} ms (plain mix test: ${plain} ms, ${stop.ready.body.tracedModules} modules traced)`);
    // App.run → (ExtDep.relay, DeepDep.value: not recorded) → App's fun → App.Inner.target.
    assert.ok(stop.recorded.some((f) => f.startsWith('App.run/0')), `recorded: ${JSON.stringify(stop.recorded)}`);
    assert.ok(!stop.recorded.some((f) => /ExtDep|DeepDep/.test(f)), `a dependency's call was recorded: ${JSON.stringify(stop.recorded)}`);
    // The dependencies' GenServers, started by their applications, ran no recorded code.
    assert.ok(!stop.threads.some((t) => /ExtDep|DeepDep/.test(t)), `a dependency's process was recorded: ${JSON.stringify(stop.threads)}`);
    assert.strictEqual(stop.ready.body.tracedModules, 2, `ready: ${JSON.stringify(stop.ready.body)}`); // App, App.Inner
    assert.deepStrictEqual(stop.ready.body.tracedApps, ['app'], `ready: ${JSON.stringify(stop.ready.body)}`);
    assert.deepStrictEqual(stop.ready.body.tracedPatterns, []);
  });

  // The dependency is not preloaded (it is not traced): its pattern is applied when the module loads,
  // so this program calls into it a while after loading it.
  it('1b. a line breakpoint in a path dependency’s file resolves at launch and stops there, without tracing the dependency', async () => {
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 60_000);
    await dc.launchRequest({ projectDir: fx.app, task: 'test', taskArgs: ['test/later_test.exs'] } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const depFile = path.join(root, 'ext_dep', 'lib', 'ext_dep.ex');
    const set = await dc.setBreakpointsRequest({ source: { path: depFile }, breakpoints: [{ line: 2 }] }); // def relay(fun) do
    assert.strictEqual(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const hit = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    const frames = (await dc.stackTraceRequest({ threadId: (await hit).body.threadId! })).body.stackFrames;
    assert.match(frames[0].name, /^ExtDep\.relay\/1/);
    assert.strictEqual(frames[0].line, 2);
    const ready = dc.events.find((e) => e.event === 'elixirScope.ready');
    assert.deepStrictEqual(ready?.body.tracedApps, ['app'], `ready: ${JSON.stringify(ready?.body)}`);
  });

  it('2. an umbrella project: both children are traced, the path dependency outside the umbrella is not', async () => {
    dc = new TracedDebugClient();
    const stop = await launchToFirstStop(dc, fx.umbrella, 'run', ['-e', 'IO.inspect(Web.handle(1))'], 'Core.Inner.target/1');
    // Web.handle → (OutDep.relay: not recorded) → Web's fun → Core.compute → Core.Store.get → Core.Inner.target.
    assert.ok(stop.recorded.some((f) => f.startsWith('Web.handle/1')), `recorded: ${JSON.stringify(stop.recorded)}`);
    assert.ok(stop.recorded.some((f) => f.startsWith('Core.compute/1')), `recorded: ${JSON.stringify(stop.recorded)}`);
    assert.ok(!stop.recorded.some((f) => f.includes('OutDep')), `a dependency's call was recorded: ${JSON.stringify(stop.recorded)}`);
    // Core's GenServer, started by its application, is recorded; out_dep's is not.
    assert.ok(stop.threads.some((t) => t.startsWith('Core.Store')), `threads: ${JSON.stringify(stop.threads)}`);
    assert.ok(!stop.threads.some((t) => t.includes('OutDep')), `a dependency's process was recorded: ${JSON.stringify(stop.threads)}`);
    assert.strictEqual(stop.ready.body.tracedModules, 5, `ready: ${JSON.stringify(stop.ready.body)}`); // Core, Core.Inner, Core.Store, Core.Application, Web
    assert.deepStrictEqual(stop.ready.body.tracedApps, ['core', 'web'], `ready: ${JSON.stringify(stop.ready.body)}`);
  });

  it('3. launched from an umbrella child: its in_umbrella sibling is the project’s own, the path dependency is not', async () => {
    dc = new TracedDebugClient();
    const stop = await launchToFirstStop(dc, fx.web, 'run', ['-e', 'IO.inspect(Web.handle(2))'], 'Core.Inner.target/1');
    assert.ok(stop.recorded.some((f) => f.startsWith('Core.compute/1')), `recorded: ${JSON.stringify(stop.recorded)}`);
    assert.ok(!stop.recorded.some((f) => f.includes('OutDep')), `a dependency's call was recorded: ${JSON.stringify(stop.recorded)}`);
    assert.ok(stop.threads.some((t) => t.startsWith('Core.Store')), `threads: ${JSON.stringify(stop.threads)}`);
    assert.deepStrictEqual(stop.ready.body.tracedApps, ['core', 'web'], `ready: ${JSON.stringify(stop.ready.body)}`);
  });
});
