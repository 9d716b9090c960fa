// Loopback listener the agent connects to. The first frame must be a Hello carrying this session's
// random token and our protocol version; anything else is logged and the socket closed. Before that,
// the pre-authentication limits of ./preAuth apply (Hello-sized frames, 5 s, 16 pending connections).
import * as crypto from 'crypto';
import { EventEmitter } from 'events';
import * as net from 'net';
import { Errors, ScopeFailure } from '../errors';
import { elixirscope } from '../gen/wire';
import { PROTOCOL_VERSION } from '../gen/version';
import { AgentConnection, AgentInfo } from './agentConnection';
import { DEFAULT_FRAME_CAP, encodeFrame, FrameDecoder } from './framing';
import { PendingConnections, tokensMatch } from './preAuth';

export interface AgentServerEvents {
  agent: [AgentConnection];
  /** Why a connection was refused; `failure` when it has a numbered error of its own (else it is a badToken). */
  rejected: [reason: string, failure?: ScopeFailure];
}

export class AgentServer extends EventEmitter<AgentServerEvents> {
  readonly token = crypto.randomBytes(24).toString('hex');
  private server: net.Server | undefined;
  private accepted: AgentConnection | undefined;
  private readonly pendingConnections = new PendingConnections((reason) => this.emit('rejected', reason));

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
    const pending = this.pendingConnections.admit(socket);
    if (!pending) return;
    // Until the Hello is checked only a Hello-sized frame is buffered: an unauthenticated peer cannot
    // make us hold a full 16 MiB frame.
    const decoder = new FrameDecoder(Math.min(this.frameCap, this.pendingConnections.limits.maxFrameBytes));
    const onData = (chunk: Buffer) => {
      if (!pending.received(chunk.length)) return;
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        socket.off('data', onData);
        pending.reject(`before authenticating: ${(err as Error).message}`);
        return;
      }
      if (frames.length === 0) return;
      socket.off('data', onData);
      const [first, ...rest] = frames;
      const verdict = this.authenticate(first);
      if (typeof verdict === 'string') {
        pending.reject(verdict);
        return;
      }
      if (verdict instanceof ScopeFailure) {
        // The token matched: one of our agents, built for another protocol version.
        pending.authenticated();
        socket.destroy();
        this.emit('rejected', `agent speaks protocol version ${verdict.vars.theirs}, the adapter ${PROTOCOL_VERSION}`, verdict);
        return;
      }
      if (this.accepted) {
        pending.reject(`a second agent (${verdict.node}, OS pid ${verdict.osPid}) tried to join the session`);
        return;
      }
      pending.authenticated();
      decoder.cap = this.frameCap;
      socket.write(encodeFrame(elixirscope.AdapterMessage.encode({ welcome: { protocolVersion: PROTOCOL_VERSION } }).finish()));
      const conn = new AgentConnection(socket, verdict, decoder);
      this.accepted = conn;
      this.emit('agent', conn);
      conn.drainBuffered(rest);
    };
    socket.on('data', onData);
  }

  /** Returns the agent's identity, or the reason to refuse it (a ScopeFailure for a protocol-version mismatch). */
  private authenticate(frame: Buffer): AgentInfo | string | ScopeFailure {
    let msg: elixirscope.AgentMessage;
    try {
      msg = elixirscope.AgentMessage.decode(frame);
    } catch (err) {
      return `malformed first frame: ${(err as Error).message}`;
    }
    const hello = msg.hello as elixirscope.Hello | null;
    if (!hello) return 'first frame is not a Hello';
    if (!tokensMatch(hello.token ?? '', this.token)) return 'wrong session token';
    if (hello.protocolVersion !== PROTOCOL_VERSION) return new ScopeFailure(Errors.protocolVersion, { theirs: hello.protocolVersion, ours: PROTOCOL_VERSION });
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
