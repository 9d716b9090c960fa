// One authenticated agent connection: sends commands and matches replies, and emits what the agent
// streams (event batches, notices, stats). Malformed frames are reported, never fatal.
import { EventEmitter } from 'events';
import * as net from 'net';
import { Errors, type ScopeError } from '../errors';
import { elixirscope } from '../gen/wire';
import { encodeFrame, FrameDecoder, FrameTooLargeError } from './framing';

export type CommandBody = Omit<elixirscope.Command.$Properties, 'id'>;

export interface AgentInfo {
  node: string;
  otpRelease: string;
  ertsVersion: string;
  elixirVersion: string;
  osPid: string;
  agentVersion: string;
}

export interface AgentConnectionEvents {
  batch: [elixirscope.EventBatch];
  notice: [elixirscope.Notice];
  stats: [elixirscope.Stats];
  logOutput: [elixirscope.LogOutput];
  breakpointsChanged: [elixirscope.BreakpointStates];
  /** What went wrong, and its numbered error (malformedFrame, frameTooLarge or unexpectedMessage). */
  protocolError: [reason: string, error: ScopeError];
  close: [];
}

export class AgentCommandError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Takes a raw frame first: returns undefined when it consumed the frame (an event batch, read straight
 * from its bytes), or the decoded message for the connection to handle.
 */
export type FrameIntake = (frame: Uint8Array) => elixirscope.AgentMessage | undefined;

export class AgentConnection extends EventEmitter<AgentConnectionEvents> {
  /** Set by the runtime to the recording store's ingest; without it batches are decoded and emitted. */
  intake: FrameIntake | undefined;

  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: elixirscope.Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closed = false;

  /** `decoder` may already hold bytes that followed the Hello frame. */
  constructor(private readonly socket: net.Socket, readonly info: AgentInfo, private readonly decoder: FrameDecoder) {
    super();
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined); // 'close' follows
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a command and resolves with the agent's reply; rejects with AgentCommandError on an error reply. */
  request(body: CommandBody, timeoutMs = COMMAND_TIMEOUT_MS): Promise<elixirscope.Reply> {
    if (this.closed) return Promise.reject(new Error('the agent connection is closed'));
    const id = this.nextId++;
    const frame = elixirscope.AdapterMessage.encode({ command: { id, ...body } }).finish();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the agent did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (reply) => (reply.error ? reject(new AgentCommandError(reply.error.code ?? 0, reply.error.message ?? "")) : resolve(reply)),
        reject,
        timer,
      });
      this.socket.write(encodeFrame(frame));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Handles frames already buffered with the handshake, then everything that follows. */
  drainBuffered(frames: Buffer[]): void {
    for (const f of frames) this.onFrame(f);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLargeError) for (const f of err.frames) this.onFrame(f);
      const msg = err instanceof FrameTooLargeError ? err.message : String(err);
      this.emit('protocolError', `${msg}; connection closed`, err instanceof FrameTooLargeError ? Errors.frameTooLarge : Errors.malformedFrame);
      this.socket.destroy();
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(frame: Buffer): void {
    let msg: elixirscope.AgentMessage | undefined;
    try {
      msg = this.intake ? this.intake(frame) : elixirscope.AgentMessage.decode(frame);
      if (!msg) return;
    } catch (err) {
      this.emit('protocolError', `malformed frame of ${frame.length} bytes dropped: ${(err as Error).message}`, Errors.malformedFrame);
      return;
    }
    if (msg.events) this.emit('batch', msg.events as elixirscope.EventBatch);
    else if (msg.reply) this.onReply(msg.reply as elixirscope.Reply);
    else if (msg.notice) this.emit('notice', msg.notice as elixirscope.Notice);
    else if (msg.stats) this.emit('stats', msg.stats as elixirscope.Stats);
    else if (msg.logOutput) this.emit('logOutput', msg.logOutput as elixirscope.LogOutput);
    else if (msg.breakpointsChanged) this.emit('breakpointsChanged', msg.breakpointsChanged as elixirscope.BreakpointStates);
    else this.emit('protocolError', 'unexpected message from the agent (no known field set)', Errors.unexpectedMessage);
  }

  private onReply(reply: elixirscope.Reply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) {
      this.emit('protocolError', `reply to unknown command ${reply.id}`, Errors.unexpectedMessage);
      return;
    }
    this.pending.delete(reply.id);
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, w] of this.pending) {
      clearTimeout(w.timer);
      w.reject(new Error('the agent connection closed'));
    }
    this.pending.clear();
    this.emit('close');
  }
}
