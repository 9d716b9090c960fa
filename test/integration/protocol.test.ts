// Authentication and framing rejections on both sides of the agent connection, with a real agent
// (esc_agent/esc_conn in a real BEAM, erlang/test/esc_codec_peer.erl) and real loopback sockets.
// Adapter side: AgentServer / AgentConnection. Agent side: a raw server in this file that speaks the
// handshake with the generated codec, so the test can write anything on the agent's socket.
import * as assert from 'assert';
import { once } from 'events';
import * as net from 'net';
import { elixirscope } from '../../adapter/gen/wire';
import { PROTOCOL_VERSION } from '../../adapter/gen/version';
import { AgentConnection } from '../../adapter/runtime/agentConnection';
import { AgentServer } from '../../adapter/runtime/agentServer';
import { DEFAULT_FRAME_CAP, encodeFrame, FrameDecoder } from '../../adapter/runtime/framing';
import { ErlPeer } from '../support/erl';

const AGENT_FRAME_CAP = 16 * 1024 * 1024; // esc_conn's ?FRAME_CAP
const NOTICE_MALFORMED_COMMAND = 2100;
const NOTICE_UNKNOWN_COMMAND = 2101;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

function header(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(size, 0);
  return b;
}

/** Frames arriving on a socket, decoded as `decode` says, in a queue the test awaits. */
class FrameQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(v: T) => void> = [];
  readonly closed: Promise<void>;
  isClosed = false;

  constructor(readonly socket: net.Socket, decode: (b: Buffer) => T) {
    const decoder = new FrameDecoder(DEFAULT_FRAME_CAP);
    socket.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) {
        const v = decode(f);
        const w = this.waiters.shift();
        if (w) w(v);
        else this.items.push(v);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.isClosed = true;
      resolve();
    }));
  }

  next(ms = 10_000, what = 'a frame'): Promise<T> {
    const ready = this.items.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return withTimeout(new Promise<T>((resolve) => this.waiters.push(resolve)), ms, what);
  }
}

/** A stand-in adapter: accepts one agent, checks its Hello, answers Welcome, then lets the test write. */
class RawAdapter {
  readonly token = 'raw-adapter-token-0123456789';
  private server!: net.Server;
  private readonly accepted: Promise<FrameQueue<elixirscope.AgentMessage>>;
  private resolveAccepted!: (q: FrameQueue<elixirscope.AgentMessage>) => void;
  port = 0;

  constructor() {
    this.accepted = new Promise((resolve) => (this.resolveAccepted = resolve));
  }

  async listen(): Promise<number> {
    this.server = net.createServer((socket) => this.resolveAccepted(new FrameQueue<elixirscope.AgentMessage>(socket, (b) => elixirscope.AgentMessage.decode(b))));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Waits for the agent's Hello and welcomes it. */
  async handshake(): Promise<FrameQueue<elixirscope.AgentMessage>> {
    const q = await withTimeout(this.accepted, 10_000, 'the agent to connect');
    const hello = await q.next(10_000, 'Hello');
    assert.ok(hello.hello, 'the first agent frame is a Hello');
    assert.strictEqual(hello.hello!.token, this.token);
    assert.strictEqual(hello.hello!.protocolVersion, PROTOCOL_VERSION);
    q.socket.write(encodeFrame(elixirscope.AdapterMessage.encode({ welcome: { protocolVersion: PROTOCOL_VERSION } }).finish()));
    return q;
  }

  close(): void {
    this.server?.close();
    void this.accepted.then((q) => q.socket.destroy());
  }
}

/** A stand-in agent: raw socket to an AgentServer, speaking Hello with the generated codec. */
async function rawAgent(port: number): Promise<{ socket: net.Socket; frames: FrameQueue<elixirscope.AdapterMessage> }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, frames: new FrameQueue<elixirscope.AdapterMessage>(socket, (b) => elixirscope.AdapterMessage.decode(b)) };
}

function helloFrame(token: string, protocolVersion = PROTOCOL_VERSION): Buffer {
  return encodeFrame(elixirscope.AgentMessage.encode({
    hello: { protocolVersion, token, node: 'raw@test', otpRelease: '25', ertsVersion: '0', elixirVersion: '', osPid: String(process.pid), agentVersion: 'test' },
  }).finish());
}

describe('agent connection: authentication and bad frames (real agent, real sockets)', function () {
  this.timeout(60_000);
  let peer: ErlPeer;
  const cleanups: Array<() => void | Promise<void>> = [];

  before(() => {
    peer = ErlPeer.start();
  });
  after(async () => {
    await peer?.stop();
  });
  afterEach(async function () {
    for (const c of cleanups.splice(0).reverse()) await c();
    if (this.currentTest?.state === 'failed' && peer.log) console.log(`      node output:\n${peer.log}`);
    // Leave no connection behind for the next test.
    if (peer.alive) await peer.eval('esc_agent:stop()');
  });

  async function newServer(cap?: number): Promise<{ server: AgentServer; port: number; rejections: string[] }> {
    const server = new AgentServer(cap);
    const rejections: string[] = [];
    server.on('rejected', (r) => rejections.push(r));
    const port = await server.listen();
    cleanups.push(() => server.close());
    return { server, port, rejections };
  }

  /** The node answers, and esc_conn is (not) registered. */
  async function nodeState(): Promise<string> {
    return peer.eval('whereis(esc_conn)');
  }

  async function waitForNoConn(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await nodeState()) !== 'undefined') {
      if (Date.now() > deadline) throw new Error('esc_conn is still registered 10 s after the connection ended');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function connectRealAgent(server: AgentServer, port: number): Promise<AgentConnection> {
    const started = peer.eval(`esc_agent:start(${port}, <<"${server.token}">>, #{})`);
    const conn = await withTimeout(server.waitForAgent(), 10_000, 'the agent to be accepted');
    assert.match(await started, /^\{ok,<\d+\.\d+\.\d+>\}$/);
    return conn;
  }

  describe('adapter side (AgentServer, AgentConnection)', () => {
    it('(a) wrong token: rejected as "wrong session token", esc_agent:start returns {error, rejected}, the node keeps running', async () => {
      const { server, port, rejections } = await newServer();
      for (const wrong of ['not-the-token', 'x'.repeat(server.token.length)]) {
        const result = await peer.eval(`esc_agent:start(${port}, <<"${wrong}">>, #{})`);
        assert.strictEqual(result, '{error,rejected}');
      }
      assert.deepStrictEqual(rejections, ['wrong session token', 'wrong session token']);
      assert.strictEqual(await nodeState(), 'undefined', 'no esc_conn left registered');
      assert.strictEqual(await peer.eval('lists:sum([1, 2, 3])'), '6', 'the node still evaluates');
      // The listener still accepts the right agent afterwards, and the connection works.
      const conn = await connectRealAgent(server, port);
      const reply = await conn.request({ ping: {} });
      assert.ok(reply.ok, 'Ping is answered with Ok');
    });

    it('(b) a frame header over the pre-authentication cap is rejected with the cap message, before any body; a good agent connects afterwards', async () => {
      const { server, port, rejections } = await newServer();
      const { socket, frames } = await rawAgent(port);
      const rejected = once(server, 'rejected');
      socket.write(header(DEFAULT_FRAME_CAP + 1)); // the header alone: no body is ever sent
      const [reason] = await withTimeout(rejected, 5000, 'the rejection');
      // Before its Hello a client may send a Hello-sized frame only (64 KiB), whatever the session's cap.
      assert.strictEqual(reason, `before authenticating: frame of ${DEFAULT_FRAME_CAP + 1} bytes exceeds the 65536-byte cap`);
      await withTimeout(frames.closed, 5000, 'the adapter to close the socket');
      assert.strictEqual(rejections.length, 1);
      // A frame exactly at a smaller cap passes the size check (then fails as not a Hello).
      const small = await newServer(64);
      const r2 = await rawAgent(small.port);
      r2.socket.write(Buffer.concat([header(65)]));
      const [reason2] = await withTimeout(once(small.server, 'rejected'), 5000, 'the rejection at cap 64');
      assert.strictEqual(reason2, 'before authenticating: frame of 65 bytes exceeds the 64-byte cap');
      // The adapter goes on: the real agent connects and answers.
      const conn = await connectRealAgent(server, port);
      assert.ok((await conn.request({ ping: {} })).ok);
    });

    it('(c) a malformed first frame, a first frame that is not a Hello, and a wrong protocol version are rejected', async () => {
      const { server, port, rejections } = await newServer();
      const cases: Array<[Buffer, RegExp]> = [
        [encodeFrame(Buffer.from([0x0a, 0xff, 0x01])), /^malformed first frame: /], // field 1, length 255, 1 byte
        [encodeFrame(Buffer.from([0x07])), /^malformed first frame: /], // wire type 7 does not exist
        [encodeFrame(elixirscope.AgentMessage.encode({ notice: { code: 1, message: 'hi' } }).finish()), /^first frame is not a Hello$/],
        [encodeFrame(new Uint8Array(0)), /^first frame is not a Hello$/],
        [helloFrame(server.token, PROTOCOL_VERSION + 1), new RegExp(`^agent speaks protocol version ${PROTOCOL_VERSION + 1}, the adapter ${PROTOCOL_VERSION}$`)],
      ];
      for (const [frame, expected] of cases) {
        const { socket, frames } = await rawAgent(port);
        const rejected = once(server, 'rejected');
        socket.write(frame);
        const [reason] = await withTimeout(rejected, 5000, `the rejection of ${frame.toString('hex').slice(0, 40)}`);
        assert.match(reason, expected);
        await withTimeout(frames.closed, 5000, 'the adapter to close the socket');
        socket.destroy();
      }
      assert.strictEqual(rejections.length, cases.length);
      const conn = await connectRealAgent(server, port);
      assert.ok((await conn.request({ ping: {} })).ok, 'the adapter still accepts the real agent');
    });

    it('(c2) a second agent with the right token is refused while one is connected', async () => {
      const { server, port } = await newServer();
      const conn = await connectRealAgent(server, port);
      const { socket, frames } = await rawAgent(port);
      const rejected = once(server, 'rejected');
      socket.write(helloFrame(server.token));
      const [reason] = await withTimeout(rejected, 5000, 'the rejection');
      assert.match(reason, /^a second agent \(raw@test, OS pid \d+\) tried to join the session$/);
      await withTimeout(frames.closed, 5000, 'the adapter to close the socket');
      assert.ok((await conn.request({ ping: {} })).ok, 'the first agent is unaffected');
    });

    it('(c3) a client that sends no complete frame within 5 s is rejected as "no handshake within 5 s"', async function () {
      this.timeout(20_000);
      const { server, port } = await newServer();
      const { socket, frames } = await rawAgent(port);
      socket.write(Buffer.concat([header(100), Buffer.alloc(10)])); // a frame that never completes
      const started = Date.now();
      const [reason] = await withTimeout(once(server, 'rejected'), 8000, 'the handshake timeout');
      assert.strictEqual(reason, 'no handshake within 5 s');
      assert.ok(Date.now() - started >= 4500, 'not before the timeout');
      await withTimeout(frames.closed, 5000, 'the adapter to close the socket');
    });

    it('(f) a malformed frame after the handshake: AgentConnection emits protocolError and stays usable', async () => {
      const { server, port } = await newServer();
      const { socket, frames } = await rawAgent(port);
      socket.write(helloFrame(server.token));
      const welcome = await frames.next(5000, 'Welcome');
      assert.strictEqual(welcome.welcome?.protocolVersion, PROTOCOL_VERSION);
      const conn = await withTimeout(server.waitForAgent(), 5000, 'the connection');
      const errors: string[] = [];
      conn.on('protocolError', (e) => errors.push(e));
      // A frame that is not an AgentMessage: field 4 (notice) claims 100 bytes, carries 2.
      socket.write(encodeFrame(Buffer.from([0x22, 0x64, 0x08, 0x01])));
      const notice = once(conn, 'notice');
      socket.write(encodeFrame(elixirscope.AgentMessage.encode({ notice: { code: 2001, message: 'after the bad frame' } }).finish()));
      const [n] = await withTimeout(notice, 5000, 'the notice after the bad frame');
      assert.strictEqual((n as elixirscope.Notice).code, 2001);
      assert.strictEqual(errors.length, 1);
      assert.match(errors[0], /^malformed frame of 4 bytes dropped: /);
      assert.ok(conn.isOpen);
      // Commands still work: the raw agent answers the Ping.
      const reply = conn.request({ ping: {} }, 5000);
      const cmd = await frames.next(5000, 'the Ping command');
      assert.ok(cmd.command?.ping, 'the adapter sent a Ping');
      socket.write(encodeFrame(elixirscope.AgentMessage.encode({ reply: { id: cmd.command!.id, ok: {} } }).finish()));
      assert.ok((await reply).ok);
      // A frame over the cap after the handshake ends the connection, reported as a protocol error.
      const closed = once(conn, 'close');
      socket.write(header(DEFAULT_FRAME_CAP + 1));
      await withTimeout(closed, 5000, 'the connection to close');
      assert.match(errors[1], new RegExp(`^frame of ${DEFAULT_FRAME_CAP + 1} bytes exceeds the ${DEFAULT_FRAME_CAP}-byte cap; connection closed$`));
      assert.strictEqual(conn.isOpen, false);
      await assert.rejects(conn.request({ ping: {} }), /closed/);
    });
  });

  describe('agent side (esc_conn)', () => {
    async function connectToRaw(): Promise<{ raw: RawAdapter; q: FrameQueue<elixirscope.AgentMessage> }> {
      const raw = new RawAdapter();
      const port = await raw.listen();
      cleanups.push(() => raw.close());
      const started = peer.eval(`esc_agent:start(${port}, <<"${raw.token}">>, #{})`);
      const q = await raw.handshake();
      assert.match(await started, /^\{ok,<\d+\.\d+\.\d+>\}$/);
      return { raw, q };
    }

    async function ping(q: FrameQueue<elixirscope.AgentMessage>, id: number): Promise<void> {
      q.socket.write(encodeFrame(elixirscope.AdapterMessage.encode({ command: { id, ping: {} } }).finish()));
      const m = await q.next(5000, `the Reply to Ping ${id}`);
      assert.strictEqual(m.reply?.id, id, `expected Reply ${id}, got ${JSON.stringify(m)}`);
      assert.ok(m.reply!.ok, 'Ping is answered with Ok');
    }

    it('(d) a garbage frame from the adapter: the agent sends Notice 2100 and still answers the next Ping', async () => {
      const { q } = await connectToRaw();
      await ping(q, 1);
      // field 2 (command) claims 5 bytes, carries 1.
      q.socket.write(encodeFrame(Buffer.from([0x12, 0x05, 0x08])));
      const n = await q.next(5000, 'the Notice');
      assert.strictEqual(n.notice?.code, NOTICE_MALFORMED_COMMAND, `expected Notice 2100, got ${JSON.stringify(n)}`);
      assert.match(n.notice!.message ?? '', /^malformed command frame of 3 bytes dropped/);
      await ping(q, 2);
      // An empty frame decodes to an AdapterMessage with nothing set: unknown, reported, connection kept.
      q.socket.write(encodeFrame(new Uint8Array(0)));
      const n2 = await q.next(5000, 'the second Notice');
      assert.strictEqual(n2.notice?.code, NOTICE_UNKNOWN_COMMAND, `expected Notice 2101, got ${JSON.stringify(n2)}`);
      // A Command with no command set gets an error Reply, not silence.
      q.socket.write(encodeFrame(elixirscope.AdapterMessage.encode({ command: { id: 9 } }).finish()));
      const r = await q.next(5000, 'the error Reply');
      assert.strictEqual(r.reply?.id, 9);
      assert.strictEqual(r.reply?.error?.code, NOTICE_UNKNOWN_COMMAND);
      await ping(q, 3);
      assert.ok(!q.isClosed);
      assert.match(await nodeState(), /^<\d+\.\d+\.\d+>$/, 'esc_conn is still registered');
    });

    it('(e) a frame header over the agent\'s 16 MB cap: the agent closes the connection, cleans up, the node keeps running', async () => {
      const { q } = await connectToRaw();
      await ping(q, 1);
      // A frame exactly at the cap is still read (and, being garbage, reported): the cap is not lower.
      const atCap = Buffer.alloc(AGENT_FRAME_CAP, 0);
      atCap.set([0x12, 0xff, 0xff, 0xff, 0x7f]); // field 2 claims 256 MiB
      q.socket.write(encodeFrame(atCap));
      const n = await q.next(10_000, 'the Notice for the frame at the cap');
      assert.strictEqual(n.notice?.code, NOTICE_MALFORMED_COMMAND, `expected Notice 2100, got ${JSON.stringify(n).slice(0, 300)}`);
      assert.match(n.notice!.message ?? '', new RegExp(`^malformed command frame of ${AGENT_FRAME_CAP} bytes dropped`));
      await ping(q, 2);
      q.socket.write(header(AGENT_FRAME_CAP + 1));
      await withTimeout(q.closed, 10_000, 'the agent to close the connection');
      await waitForNoConn();
      assert.strictEqual(await peer.eval('1 + 1'), '2', 'the node still evaluates');
      assert.ok(peer.alive);
      // The agent can connect again (nothing stale left behind).
      const again = await connectToRaw();
      await ping(again.q, 5);
    });

    it('(e2) the node logs why the agent dropped the connection after an oversized frame', async () => {
      // An oversized frame is rejected with a logged reason. The inet driver
      // reports {tcp_error, _, emsgsize} and closes the socket, so no Notice can reach the adapter:
      // the node's own output (the Debug Console in a launch) is the only place to say why.
      const { q } = await connectToRaw();
      const before = peer.log.length;
      q.socket.write(header(AGENT_FRAME_CAP + 1));
      await withTimeout(q.closed, 10_000, 'the agent to close the connection');
      await waitForNoConn();
      await new Promise((r) => setTimeout(r, 200)); // let the node's output arrive
      const said = peer.log.slice(before);
      assert.match(said, /ElixirScope[\s\S]*(emsgsize|cap|too large)/i, `the node said: ${JSON.stringify(said)}`);
    });
  });
});
