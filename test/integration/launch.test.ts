// Walking skeleton over DAP against the example project: launch → agent handshake → threads show a
// process running example code → disconnect → the node's OS process is gone.
import * as assert from 'assert';
import { bankProject, printTraceOnFailure, TracedDebugClient } from '../support/dapSession';
import { waitUntil } from '../support/processes';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('launch walking skeleton (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;

  afterEach(async function () {
    printTraceOnFailure(this, dc);
    await dc?.stop().catch(() => undefined);
    dc = undefined;
  });

  it('1. launches the example, lists a process running its code, and leaves no BEAM behind', async () => {
    dc = new TracedDebugClient();
    await dc.start();
    const init = await dc.initializeRequest();
    assert.strictEqual(init.body?.supportsConfigurationDoneRequest, true);

    // A long run so the node is still alive when we look at threads and disconnect.
    const launched = dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['demo.exs', '200'] } as never);
    await dc.configurationDoneRequest();
    await launched;

    const out = await dc.waitForOutput((o) => /agent connected: .* OS pid (\d+)/.test(o));
    // Start-up progress for the extension's notification, then ready with what is recorded.
    const progress = dc.events.filter((e) => e.event === 'elixirScope.progress').map((e) => e.body.message as string);
    assert.ok(progress.some((m) => /^Compiling bank/.test(m)) && progress.includes('Instrumenting modules…'), JSON.stringify(progress));
    const ready = dc.events.find((e) => e.event === 'elixirScope.ready');
    assert.ok(ready && ready.body.tracedModules >= 4, `ready: ${JSON.stringify(ready?.body)}`);
    const osPid = Number(/OS pid (\d+)/.exec(out)![1]);
    assert.ok(alive(osPid), 'the node runs while the session is open');

    let names: string[] = [];
    for (let i = 0; i < 100 && !names.some((n) => n.startsWith('Bank.Account')); i++) {
      names = (await dc.threadsRequest()).body.threads.map((t) => t.name);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(names.some((n) => /^Bank\.Account .*<\d+\.\d+\.\d+>$/.test(n)), `threads: ${JSON.stringify(names)}`);

    // VS Code's Stop: terminate, which must be answered by a `terminated` event, then disconnect.
    const terminated = dc.waitForEvent('terminated', 10_000);
    await dc.terminateRequest({});
    await terminated;
    await waitUntil(() => !alive(osPid), 10_000, `beam.smp ${osPid} to exit`);
    await dc.disconnectRequest({});
  });

  it('2. rejects a project directory that is not a Mix project with a numbered, actionable error', async () => {
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    await assert.rejects(dc.launchRequest({ projectDir: '/tmp', task: 'run' } as never), /not a Mix project/);
  });

  it('3. shows compile errors in the Debug Console and fails the launch', async () => {
    const fs = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-broken-'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'mix.exs'), 'defmodule Broken.MixProject do\n  use Mix.Project\n  def project, do: [app: :broken, version: "0.1.0"]\nend\n');
    fs.writeFileSync(path.join(dir, 'lib', 'broken.ex'), 'defmodule Broken do\n  def oops, do: undefined_thing()\nend\n');
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    await assert.rejects(dc.launchRequest({ projectDir: dir, task: 'run' } as never), /mix compile failed/);
    assert.match(dc.output, /undefined function undefined_thing\/0/);
  });
});
