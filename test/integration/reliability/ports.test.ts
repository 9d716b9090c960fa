// Reliability: abuse of the adapter's two loopback ports (the agent port and the language-server port)
// by unauthenticated local clients, against dist/adapter.js debugging examples/bank on a real node.
// Oversized first messages are refused at once without the adapter's memory growing, at most
// PRE_AUTH_LIMITS.maxPending connections wait to authenticate, idle ones are closed at the deadline.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import { CustomEvents, type LanguageServerEventBody } from '../../../adapter/protocol/customDap';
import { PRE_AUTH_LIMITS } from '../../../adapter/runtime/preAuth';
import { bankProject, endSession, TracedDebugClient } from '../../support/dapSession';
import { TestClient } from '../../unit/lsp/support';

const FLOOD_CONNECTIONS = 20;
/** Just under the 16 MiB frame cap that applies after authentication. */
const FLOOD_BYTES = 16 * 1024 * 1024 - 8;
/** "Closed at once", with slack for a loaded machine. */
const AT_ONCE_MS = 2_000;
/** The handshake deadline, with the same slack. */
const DEADLINE_MS = PRE_AUTH_LIMITS.handshakeTimeoutMs + 3_000;

interface Probe {
  socket: net.Socket;
  openedAt: number;
  closedAt: number | undefined;
  received: string;
}

async function connect(port: number): Promise<Probe> {
  const socket = net.connect(port, '127.0.0.1');
  const probe: Probe = { socket, openedAt: Date.now(), closedAt: undefined, received: '' };
  socket.on('error', () => undefined); // writes into a socket the adapter closed fail; 'close' follows
  socket.on('data', (d: Buffer) => (probe.received += d.toString('utf8')));
  socket.on('close', () => (probe.closedAt ??= Date.now()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  probe.openedAt = Date.now();
  return probe;
}

const openFor = (p: Probe): number => (p.closedAt ?? Date.now()) - p.openedAt;

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

/** Resident memory of a process in MB (Linux /proc). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Opens FLOOD_CONNECTIONS connections that each send `header` and then FLOOD_BYTES before any
 * authentication, sampling the adapter's memory until all are closed (or the deadline passed).
 */
async function flood(port: number, adapterPid: number, header: Buffer): Promise<{ probes: Probe[]; baseline: number; peak: number; after: number }> {
  const payload = Buffer.alloc(FLOOD_BYTES, 'x');
  const baseline = rssMb(adapterPid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(adapterPid))), 20);
  try {
    const probes = await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, () => connect(port)));
    for (const p of probes) {
      p.socket.write(header);
      p.socket.write(payload);
    }
    await until(() => probes.every((p) => p.closedAt !== undefined), DEADLINE_MS);
    await new Promise((r) => setTimeout(r, 300));
    for (const p of probes) p.socket.destroy();
    return { probes, baseline, peak, after: rssMb(adapterPid) };
  } finally {
    clearInterval(sampler);
  }
}

function assertRefusedAtOnceWithFlatMemory(what: string, r: Awaited<ReturnType<typeof flood>>): void {
  const mb = (x: number) => `${x.toFixed(0)} MB`;
  console.log(`      ${what}: adapter RSS ${mb(r.baseline)} before, peak ${mb(r.peak)}, ${mb(r.after)} after; open for ${r.probes.map(openFor).join(', ')} ms`);
  const slow = r.probes.filter((p) => p.closedAt === undefined || openFor(p) > AT_ONCE_MS);
  assert.strictEqual(slow.length, 0, `${slow.length} of ${FLOOD_CONNECTIONS} connections stayed open over ${AT_ONCE_MS} ms: ${r.probes.map(openFor).join(', ')} ms`);
  // 20 × 16 MiB held would be +320 MB; the pre-authentication budget is 64 KiB a connection.
  assert.ok(r.peak - r.baseline < 100, `the adapter grew by ${mb(r.peak - r.baseline)} (${mb(r.baseline)} → ${mb(r.peak)})`);
}

/** Opens maxPending + 4 idle connections: the extra ones are closed at once, the others at the deadline. */
async function assertCapAndDeadline(port: number): Promise<void> {
  const extra = 4;
  const probes: Probe[] = [];
  for (let i = 0; i < PRE_AUTH_LIMITS.maxPending + extra; i++) probes.push(await connect(port));
  await until(() => probes.filter((p) => p.closedAt !== undefined).length >= extra, AT_ONCE_MS);
  await new Promise((r) => setTimeout(r, 200)); // none of the first ones may follow
  const closedEarly = probes.map((p, i) => (p.closedAt !== undefined ? i : -1)).filter((i) => i >= 0);
  assert.deepStrictEqual(closedEarly, Array.from({ length: extra }, (_, k) => PRE_AUTH_LIMITS.maxPending + k), `connections closed at once: ${JSON.stringify(closedEarly)}`);
  await until(() => probes.every((p) => p.closedAt !== undefined), DEADLINE_MS);
  const open = probes.filter((p) => p.closedAt === undefined).length;
  for (const p of probes) p.socket.destroy();
  assert.strictEqual(open, 0, `${open} idle connections still open ${DEADLINE_MS} ms after connecting`);
}

describe('reliability: abuse of the agent and language-server ports (real adapter, real node)', function () {
  this.timeout(120_000);
  let dc: TracedDebugClient | undefined;
  let adapterPid = 0;
  let agentPort = 0;
  let lsp: LanguageServerEventBody | undefined;

  before(async function () {
    if (!fs.existsSync('/proc/self/status')) this.skip(); // memory and the node's environment are read from /proc
    dc = new TracedDebugClient();
    await dc.start();
    adapterPid = dc.adapterPid!;
    await dc.initializeRequest();
    // console.exs stays up for a minute: the agent port keeps listening throughout.
    const launched = dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['console.exs'] } as never);
    await dc.configurationDoneRequest();
    await launched;
    const out = await dc.waitForOutput((o) => /agent connected: .* OS pid (\d+)/.test(o));
    // The adapter hands its agent port to the node in the environment: read it from there.
    const nodePid = Number(/agent connected: .* OS pid (\d+)/.exec(out)![1]);
    const env = fs.readFileSync(`/proc/${nodePid}/environ`, 'utf8').split('\0');
    agentPort = Number(env.find((v) => v.startsWith('ELIXIR_SCOPE_PORT='))?.split('=')[1]);
    assert.ok(agentPort > 0, 'ELIXIR_SCOPE_PORT in the node environment');
    await until(() => dc!.events.some((e) => e.event === CustomEvents.languageServer), 10_000);
    lsp = dc.events.find((e) => e.event === CustomEvents.languageServer)?.body as LanguageServerEventBody | undefined;
    assert.ok(lsp, 'the adapter announces its language server');
  });

  after(async function () {
    await endSession(this, dc);
  });

  describe('agent port', () => {
    it(`a first frame larger than a Hello is refused at once: ${FLOOD_CONNECTIONS} × 16 MiB leave the adapter's memory flat`, async () => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(FLOOD_BYTES);
      assertRefusedAtOnceWithFlatMemory('agent port', await flood(agentPort, adapterPid, header));
    });

    it(`at most ${PRE_AUTH_LIMITS.maxPending} connections wait for a Hello; more are closed at once, idle ones at the handshake deadline`, async () => {
      await assertCapAndDeadline(agentPort);
      assert.match(dc!.output, /rejected an agent connection: .*already waiting to authenticate/);
      assert.match(dc!.output, /rejected an agent connection: no handshake within 5 s/);
    });
  });

  describe('language-server port', () => {
    it(`a first message larger than an initialize is refused at once: ${FLOOD_CONNECTIONS} × 16 MiB leave the adapter's memory flat`, async () => {
      const header = Buffer.from(`Content-Length: ${FLOOD_BYTES}\r\n\r\n`);
      assertRefusedAtOnceWithFlatMemory('language-server port', await flood(lsp!.port, adapterPid, header));
    });

    it('garbage, a first message other than initialize, and initialize without the token are closed at once', async () => {
      const garbage = await connect(lsp!.port);
      garbage.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const notInitialize = await connect(lsp!.port);
      const shutdown = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'shutdown' });
      notInitialize.socket.write(`Content-Length: ${shutdown.length}\r\n\r\n${shutdown}`);
      const noToken = await connect(lsp!.port);
      const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      noToken.socket.write(`Content-Length: ${init.length}\r\n\r\n${init}`);
      const probes = [garbage, notInitialize, noToken];
      await until(() => probes.every((p) => p.closedAt !== undefined), AT_ONCE_MS);
      for (const p of probes) p.socket.destroy();
      assert.deepStrictEqual(
        probes.map((p) => p.closedAt !== undefined && openFor(p) <= AT_ONCE_MS),
        [true, true, true],
        `closed at once (garbage, not initialize, no token); open for ${probes.map(openFor).join(', ')} ms`,
      );
      assert.match(noToken.received, /wrong or missing initializationOptions\.token/);
      assert.strictEqual(notInitialize.received, '', 'nothing is answered before initialize');
      // The editor, with the token, is still served.
      const client = await TestClient.connect(lsp!.port, lsp!.token);
      client.close();
    });

    it(`at most ${PRE_AUTH_LIMITS.maxPending} connections wait to authenticate; more are closed at once, idle ones at the handshake deadline`, async () => {
      await assertCapAndDeadline(lsp!.port);
    });
  });
});
