// Thread names of processes that live less than a millisecond (real BEAM, real DAP): ExUnit test processes,
// Tasks, Agents, plain spawns, a GenServer and a process that registers a name after it started, in a small
// Mix project run with `task: "test"`; then gen_stage's own test file. No thread may be a bare pid.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugProtocol } from '@vscode/debugprotocol';
import { endSession, TracedDebugClient } from '../support/dapSession';
import { realworldDir } from '../support/realworld';

const BARE_PID = /^<\d+\.\d+\.\d+>$/;
const PID_AT_END = / <\d+\.\d+\.\d+>$/;

const realworld = realworldDir;

/** A Mix project whose tests and the processes they start finish within a millisecond or so. */
function writeShortLivedProject(dir: string): void {
  const files: Record<string, string> = {
    'mix.exs': `defmodule Shorty.MixProject do
  use Mix.Project
  def project, do: [app: :shorty, version: "0.1.0", elixir: "~> 1.14", deps: []]
  def application, do: [extra_applications: [:logger]]
end
`,
    'lib/shorty.ex': `defmodule Shorty do
  def work(x), do: x * 2
end

defmodule Shorty.Counter do
  use GenServer
  def start_link(opts), do: GenServer.start_link(__MODULE__, 0, opts)
  def init(n), do: {:ok, n}
  def handle_call(:get, _from, n), do: {:reply, n, n}
end

defmodule Shorty.Late do
  # Runs project code, then (told to) registers a name, then runs project code again.
  def run(parent) do
    Shorty.work(1)
    receive do
      :go -> :ok
    end
    Process.register(self(), :shorty_late)
    Shorty.work(2)
    send(parent, :registered)
  end
end
`,
    'test/test_helper.exs': 'ExUnit.start()\n',
    // Tests that start processes first run project code themselves, and wait until the debugger follows their
    // messages and spawns (a few ms after their first recorded call), as a test doing some work first would.
    'test/shorty_test.exs': `defmodule ShortyTest do
  use ExUnit.Case, async: true

  defp followed do
    Shorty.work(0)
    wait_followed(200)
  end

  defp wait_followed(0), do: flunk("the debugger did not follow this process")

  defp wait_followed(n) do
    {:flags, flags} = :erlang.trace_info(self(), :flags)
    unless :procs in flags do
      Process.sleep(10)
      wait_followed(n - 1)
    end
  end

  test "doubles" do
    assert Shorty.work(2) == 4
  end

  test "task" do
    followed()
    assert Task.async(fn -> Shorty.work(3) end) |> Task.await() == 6
    assert Task.async(Shorty, :work, [4]) |> Task.await() == 8
  end

  test "task of a process that runs no project code" do
    assert Task.async(fn -> Shorty.work(7) end) |> Task.await() == 14
  end

  test "agent" do
    followed()
    {:ok, a} = Agent.start_link(fn -> Shorty.work(5) end)
    assert Agent.get(a, & &1) == 10
    Agent.stop(a)
  end

  test "counter" do
    followed()
    {:ok, c} = Shorty.Counter.start_link(name: :counter_a)
    assert GenServer.call(c, :get) == 0
    GenServer.stop(c)
  end

  test "late registration" do
    parent = self()
    pid = spawn(fn -> Shorty.Late.run(parent) end)
    Process.sleep(200)
    send(pid, :go)
    assert_receive :registered
  end

  test "plain spawn" do
    followed()
    {pid, ref} = spawn_monitor(fn -> Shorty.work(6) end)
    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}
  end
end
`,
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

/** Runs `mix test <args>` in `dir` under the adapter to its end and returns the thread names. */
async function threadNamesAfterRun(dc: TracedDebugClient, dir: string, taskArgs: string[], timeoutMs: number): Promise<string[]> {
  await dc.start();
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized', 120_000);
  await dc.launchRequest({ projectDir: dir, task: 'test', taskArgs } as DebugProtocol.LaunchRequestArguments).catch((err: Error) => {
    throw new Error(`${err.message}\noutput:\n${dc.output.slice(-4000)}`);
  });
  await initialized;
  await dc.configurationDoneRequest();
  await dc.waitForOutput((o) => /The program exited/.test(o), timeoutMs);
  return (await dc.threadsRequest()).body.threads.map((t) => t.name);
}

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('process names of short-lived processes (real BEAM, real DAP)', function () {
  this.timeout(240_000);
  let dc: TracedDebugClient | undefined;
  const dirs: string[] = [];

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
  });

  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('names test processes, Tasks, Agents, spawns and a GenServer from their first event; a late registration renames', async () => {
    const dir = tmpDir('escope-shorty-');
    dirs.push(dir);
    writeShortLivedProject(dir);
    dc = new TracedDebugClient();
    const names = await threadNamesAfterRun(dc, dir, [], 120_000);
    const list = JSON.stringify(names, null, 1);
    assert.ok(/7 tests, 0 failures/.test(dc.output), `the tests ran and passed:\n${dc.output}`);
    assert.deepStrictEqual(names.filter((n) => BARE_PID.test(n)), [], `threads that are bare pids:\n${list}`);
    for (const n of names) assert.ok(PID_AT_END.test(n), `every name ends with its pid: ${n}`);
    const has = (re: RegExp, what: string) => assert.ok(names.some((n) => re.test(n)), `${what}: no thread matches ${re}:\n${list}`);
    // Test processes that ran project code (the others are no threads at all).
    for (const t of ['doubles', 'task', 'agent', 'counter', 'plain spawn']) has(new RegExp(`^ShortyTest test "${t}" <`), `the test process of "${t}"`);
    has(/^Task fn in ShortyTest\."test task"\/1 </, 'Task.async with a fun (named from its spawn and first message)');
    has(/^Task Shorty\.work\/1 </, 'Task.async with an MFA');
    has(/^Shorty\.work\/1 </, 'a Task whose parent is not recorded: named after the first function it ran');
    has(/^Agent fn in ShortyTest\."test agent"\/1 </, 'the Agent');
    has(/^Shorty\.Counter :counter_a </, 'the named GenServer');
    has(/^Shorty\.Late\.run\/1 :shorty_late </, 'the process that registered after it started (renamed)');
    has(/^fn in ShortyTest\."test plain spawn"\/1 </, 'the plain spawn');
  });

  it("gen_stage's test file: no thread that ran project code is a bare pid", async function () {
    const src = path.join(realworld, 'gen_stage');
    if (!fs.existsSync(src)) {
      console.log(`      skipped: ${src} is absent (set ELIXIR_SCOPE_REALWORLD to the real-world corpus)`);
      this.skip();
    }
    const dir = tmpDir('escope-genstage-');
    dirs.push(dir);
    fs.cpSync(src, dir, { recursive: true, filter: (p) => !/[/\\](_build|deps)$/.test(p) });
    dc = new TracedDebugClient();
    const names = await threadNamesAfterRun(dc, dir, ['test/gen_stage_test.exs'], 180_000);
    const list = JSON.stringify(names, null, 1);
    // Some of gen_stage's tests are timing-sensitive and may fail under recording on a loaded machine: what counts here is that they ran.
    assert.ok(/\d+ tests, \d+ failures?/.test(dc.output), `gen_stage's tests ran:\n${dc.output.slice(-3000)}`);
    assert.ok(names.length > 50, `many threads were recorded (${names.length})`);
    const bare = names.filter((n) => BARE_PID.test(n));
    // Under overload the agent drops events (notice 2006, counted in Stats); a process all of whose naming events
    // were among them cannot be named. Then a handful (≤ 5 %; 2–4 of ~200 measured) may stay pids; without drops, none.
    const dropped = /ElixirScope 2006/.test(dc.output);
    if (dropped && bare.length > 0) console.log(`      events were dropped under load; ${bare.length} of ${names.length} threads stayed pids`);
    assert.ok(dropped ? bare.length <= names.length * 0.05 : bare.length === 0, `threads that are bare pids (${bare.length} of ${names.length}, events dropped: ${dropped}):\n${list}`);
    const tests = names.filter((n) => /^GenStageTest test ".+" </.test(n));
    assert.ok(tests.length >= 50, `test processes are named after their test (${tests.length}):\n${list}`);
    assert.ok(names.some((n) => /^GenStage GenStageTest\.\w+/.test(n)), `stages are named after their module:\n${list}`);
  });
});
