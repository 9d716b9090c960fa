// What a loopback connection may do before it has authenticated, one policy for both ports the adapter
// opens (the agent port and the language-server port): small first messages, a deadline, a bounded number.
import * as crypto from 'crypto';
import type * as net from 'net';

export interface PreAuthLimits {
  /** Largest message (frame or LSP body) accepted before authentication; a Hello or `initialize` fits easily. */
  maxFrameBytes: number;
  /** Bytes a connection may send in all before it has authenticated. */
  maxBytes: number;
  /** A connection that has not authenticated by then is closed. */
  handshakeTimeoutMs: number;
  /** Connections waiting to authenticate at once; more are closed as they arrive. */
  maxPending: number;
}

/**
 * A Hello is under 1 KiB; VS Code's `initialize` (client capabilities) about 10 KiB. Sixteen pending
 * connections hold at most 1 MiB between them.
 */
export const PRE_AUTH_LIMITS: Readonly<PreAuthLimits> = {
  maxFrameBytes: 64 * 1024,
  maxBytes: 64 * 1024,
  handshakeTimeoutMs: 5_000,
  maxPending: 16,
};

/** Compares a presented token with the expected one in constant time (no early exit on the first differing byte). */
export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; the length of a random token is no secret.
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** One connection waiting to authenticate, as handed out by PendingConnections.admit. */
export interface PendingConnection {
  /** Counts bytes received before authentication; false (and the socket is closed) past the budget. */
  received(bytes: number): boolean;
  /** The handshake succeeded: the deadline and the byte budget no longer apply. */
  authenticated(): void;
  /** Closes the connection, reporting why. */
  reject(reason: string): void;
}

/**
 * Tracks the connections of one listener that have not authenticated yet: enforces the cap on their
 * number, the handshake deadline and the byte budget, and reports every refusal once through `onReject`.
 */
export class PendingConnections {
  private pending = 0;

  constructor(
    private readonly onReject: (reason: string) => void,
    readonly limits: Readonly<PreAuthLimits> = PRE_AUTH_LIMITS,
  ) {}

  /** Connections currently waiting to authenticate. */
  get count(): number {
    return this.pending;
  }

  /** Admits a new socket, or closes it at once (and returns undefined) when too many are already waiting. */
  admit(socket: net.Socket): PendingConnection | undefined {
    socket.on('error', () => undefined); // 'close' follows
    if (this.pending >= this.limits.maxPending) {
      this.onReject(`${this.limits.maxPending} connections are already waiting to authenticate; a new one was closed`);
      socket.destroy();
      return undefined;
    }
    this.pending++;
    let state: 'pending' | 'done' = 'pending';
    let bytes = 0;
    const finish = (): boolean => {
      if (state === 'done') return false;
      state = 'done';
      this.pending--;
      clearTimeout(timer);
      socket.off('close', onEarlyClose);
      return true;
    };
    const reject = (reason: string): void => {
      if (finish()) this.onReject(reason);
      socket.destroy();
    };
    const timer = setTimeout(() => reject(`no handshake within ${this.limits.handshakeTimeoutMs / 1000} s`), this.limits.handshakeTimeoutMs);
    const onEarlyClose = (): void => {
      if (finish()) this.onReject('connection closed before authenticating');
    };
    socket.once('close', onEarlyClose);
    return {
      received: (n) => {
        if (state === 'done') return true;
        bytes += n;
        if (bytes <= this.limits.maxBytes) return true;
        reject(`more than ${this.limits.maxBytes} bytes before authenticating`);
        return false;
      },
      authenticated: () => void finish(),
      reject,
    };
  }
}
