// Secrets on disk and in `ps`: a real launch and a real attach, then the log folder's and files' modes,
// the log text, and every process's command line are checked for the env value, cookie and token.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bankProject, printTraceOnFailure, TracedDebugClient } from '../../support/dapSession';
import { RemoteNode } from '../../support/remoteNode';

/** Starts the client's adapter with TMPDIR = tmp (its default log folder is <tmp>/elixir-scope). */
async function startWithTmp(client: TracedDebugClient, tmp: string): Promise<void> {
  const saved = { TMPDIR: process.env.TMPDIR, ELIXIR_SCOPE_LOG: process.env.ELIXIR_SCOPE_LOG };
  try {
    process.env.TMPDIR = tmp;
    delete process.env.ELIXIR_SCOPE_LOG;
    await client.start();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

/** The folder's log files: each must be 0600, the folder 0700. Returns their text. */
function privateLogText(dir: string): string {
  assert.strictEqual(modeOf(dir), '700', `mode of ${dir}`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.ok(files.length > 0, `no log file in ${dir}`);
  for (const f of files) assert.strictEqual(modeOf(path.join(dir, f)), '600', `mode of ${f}`);
  return files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
}

/** Every running process's command line (what `ps` shows any local user), by pid. */
function commandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.set(Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      /* ended meanwhile */
    }
  }
  return lines;
}

/** The value of `name` in a process's initial environment (readable by its owner and root only). */
function environValue(pid: number, name: string): string | undefined {
  const entry = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

describe('reliability: secrets stay out of shared files and command lines (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;
  let tmp: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-secrets-'));
  });

  afterEach(async function () {
    printTraceOnFailure(this, dc);
    await dc?.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
    await dc?.stop().catch(() => undefined);
    dc = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('1. launch: log folder 0700, files 0600, env values redacted, the agent token on no command line', async () => {
    const envValue = `probe-${path.basename(tmp)}`;
    dc = new TracedDebugClient();
    await startWithTmp(dc, tmp);
    await dc.initializeRequest();
    const launched = dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['demo.exs', '200'], env: { ESC_PROBE_SECRET: envValue } } as never);
    await dc.configurationDoneRequest();
    await launched;
    const out = await dc.waitForOutput((o) => /agent connected: .* OS pid (\d+)/.test(o));
    const nodePid = Number(/OS pid (\d+)/.exec(out)![1]);

    const token = environValue(nodePid, 'ELIXIR_SCOPE_TOKEN');
    assert.match(token ?? '', /^[0-9a-f]{48}$/, 'the launched node got its token by the environment');
    assert.ok(environValue(nodePid, 'ESC_PROBE_SECRET') === envValue, 'the launch env reached the node');
    const cmdlines = commandLines();
    assert.ok(!cmdlines.get(nodePid)!.includes(token!), `the node's command line shows the token: ${cmdlines.get(nodePid)}`);
    for (const [pid, line] of cmdlines) assert.ok(!line.includes(token!), `process ${pid}'s command line shows the token: ${line}`);

    const log = privateLogText(path.join(tmp, 'elixir-scope'));
    assert.match(log, /"ESC_PROBE_SECRET":"<redacted>"/, 'the env key is logged, its value redacted');
    assert.ok(!log.includes(envValue), 'the env value is not in the log');
    assert.ok(!log.includes(token!), 'the token is not in the log');
  });

  describe('attach', () => {
    const target = new RemoteNode();
    before(async () => target.start(bankProject));
    after(() => target.stop());

    it('2. attach: the cookie is in neither the log nor the helper node\'s command line, and its file is gone', async () => {
      dc = new TracedDebugClient();
      await startWithTmp(dc, tmp);
      await dc.initializeRequest();
      await dc.attachRequest({ node: target.node, cookie: target.cookie } as never);

      // The helper node stays up for the whole session (it detaches the agent at the end).
      const helpers = [...commandLines()].filter(([, line]) => line.includes('esc_attach'));
      assert.ok(helpers.some(([, line]) => line.includes('beam')), `no attach helper node running: ${JSON.stringify(helpers)}`);
      for (const [pid, line] of helpers) assert.ok(!line.includes(target.cookie), `helper ${pid}'s command line shows the cookie: ${line}`);
      for (const [pid] of helpers) {
        const token = environValue(pid, 'ESC_TOKEN');
        if (token) for (const [other, line] of commandLines()) assert.ok(!line.includes(token), `process ${other}'s command line shows the token`);
      }
      assert.deepStrictEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('elixir-scope-cookie-')), [], 'the private cookie file is removed once the helper is connected');

      const log = privateLogText(path.join(tmp, 'elixir-scope'));
      assert.match(log, /"cookie":"<redacted>"/, 'the attach is logged with its cookie redacted');
      assert.ok(!log.includes(target.cookie), 'the cookie is not in the log');
      await dc.disconnectRequest({});
    });
  });

  it('3. a log folder of another user, or writable by others, is not used; the session says where the log went', async function () {
    if (process.getuid?.() !== 0) this.skip(); // chown to another user needs root
    const uid = process.getuid!();
    const shared = path.join(tmp, 'elixir-scope');
    const own = `${shared}-${uid}`;
    const notAProject = path.join(tmp, 'not-a-project');
    fs.mkdirSync(notAProject);
    const runSession = async () => {
      dc = new TracedDebugClient();
      await startWithTmp(dc, tmp);
      await dc.initializeRequest();
      await assert.rejects(dc.launchRequest({ projectDir: notAProject, task: 'run' } as never), /not a Mix project/);
      const out = dc.output;
      await dc.stop();
      dc = undefined;
      return out;
    };

    // Another user's folder (65534: nobody), mode 0755.
    fs.mkdirSync(shared, { mode: 0o755 });
    fs.chownSync(shared, 65534, 65534);
    let out = await runSession();
    assert.deepStrictEqual(fs.readdirSync(shared), [], 'nothing written into another user\'s folder');
    assert.match(out, new RegExp(`log folder not used: ${shared} belongs to another user \\(uid 65534\\); logging to ${own} instead`));
    assert.match(privateLogText(own), /log folder not used/);

    // Our own folder, but writable by everyone (0777): anyone could plant a file or link in it.
    fs.rmSync(own, { recursive: true });
    fs.chownSync(shared, uid, uid);
    fs.chmodSync(shared, 0o777);
    out = await runSession();
    assert.deepStrictEqual(fs.readdirSync(shared), [], 'nothing written into a world-writable folder');
    assert.match(out, /log folder not used: .* is writable by other users \(mode 777\)/);
    privateLogText(own);

    // Ours and only readable by others (an older version made it 0755 with 0644 files): narrowed.
    fs.chmodSync(shared, 0o755);
    fs.writeFileSync(path.join(shared, 'adapter-1.log'), 'older line\n', { mode: 0o644 });
    fs.chmodSync(path.join(shared, 'adapter-1.log'), 0o644);
    out = await runSession();
    assert.doesNotMatch(out, /log folder not used/);
    assert.strictEqual(modeOf(shared), '700', 'our own folder is narrowed to 0700');
    assert.ok(fs.readdirSync(shared).some((f) => f !== 'adapter-1.log'), 'the new log is in our own folder');
  });
});
