// Loopback listener the agent connects to. The first frame must be a Hello carrying this session's
// random token and our protocol version; anything else is logged and the socket closed.
import * as crypto from 'crypto';
import { EventEmitter } from 'events';
import * as net from 'net';
import { elixirscope } from '../gen/wire';
import { PROTOCOL_VERSION } from '../gen/version';
import { AgentConnection, AgentInfo } from './agentConnection';
import { DEFAULT_FRAME_CAP, encodeFrame, FrameDecoder } from './framing';

const HANDSHAKE_TIMEOUT_MS = 5_000;

export interface AgentServerEvents {
  agent: [AgentConnection];
  rejected: [string];
}

export class AgentServer extends EventEmitter<AgentServerEvents> {
  readonly token = crypto.randomBytes(24).toString('hex');
  private server: net.Server | undefined;
  private accepted: AgentConnection | undefined;

  constructor(private readonly frameCap = DEFAULT_FRAME_CAP) {
    super();
  }

  /** Starts listening on 127.0.0.1 with a random port and returns it. */
  async listen(): Promise<number> {
    const server = net.createServer((socket) => this.onSocket(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Resolves with the first authenticated agent. */
  waitForAgent(): Promise<AgentConnection> {
    if (this.accepted) return Promise.resolve(this.accepted);
    return new Promise((resolve) => this.once('agent', resolve));
  }

  close(): void {
    this.server?.close();
    this.accepted?.close();
  }

  private onSocket(socket: net.Socket): void {
    const decoder = new FrameDecoder(this.frameCap);
    const reject = (reason: string) => {
      this.emit('rejected', reason);
      socket.destroy();
    };
    const timer = setTimeout(() => {
      socket.off('close', onEarlyClose);
      reject('no Hello within 5 s');
    }, HANDSHAKE_TIMEOUT_MS);
    socket.on('error', () => undefined);
    const onEarlyClose = () => {
      clearTimeout(timer);
      this.emit('rejected', 'connection closed before sending a Hello');
    };
    socket.once('close', onEarlyClose);
    const onData = (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onEarlyClose);
        reject((err as Error).message);
        return;
      }
      if (frames.length === 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEarlyClose);
      const [first, ...rest] = frames;
      const verdict = this.authenticate(first);
      if (typeof verdict === 'string') {
        reject(verdict);
        return;
      }
      if (this.accepted) {
        reject(`a second agent (${verdict.node}, OS pid ${verdict.osPid}) tried to join the session`);
        return;
      }
      socket.write(encodeFrame(elixirscope.AdapterMessage.encode({ welcome: { protocolVersion: PROTOCOL_VERSION } }).finish()));
      const conn = new AgentConnection(socket, verdict, decoder);
      this.accepted = conn;
      this.emit('agent', conn);
      conn.drainBuffered(rest);
    };
    socket.on('data', onData);
  }

  /** Returns the agent's identity, or the reason to refuse it. */
  private authenticate(frame: Buffer): AgentInfo | string {
    let msg: elixirscope.AgentMessage;
    try {
      msg = elixirscope.AgentMessage.decode(frame);
    } catch (err) {
      return `malformed first frame: ${(err as Error).message}`;
    }
    const hello = msg.hello as elixirscope.Hello | null;
    if (!hello) return 'first frame is not a Hello';
    const expected = Buffer.from(this.token);
    const given = Buffer.from(hello.token ?? '');
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'wrong session token';
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      return `agent speaks protocol version ${hello.protocolVersion}, the adapter ${PROTOCOL_VERSION}`;
    }
    return {
      node: hello.node,
      otpRelease: hello.otpRelease,
      ertsVersion: hello.ertsVersion,
      elixirVersion: hello.elixirVersion,
      osPid: hello.osPid,
      agentVersion: hello.agentVersion,
    };
  }
}
