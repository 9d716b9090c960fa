// The language-server port's message reader: LSP messages decoded with the adapter's Content-Length
// decoder under the pre-authentication limits of ../runtime/preAuth until the client has given the token.
import type * as net from 'net';
import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type MessageReader } from 'vscode-languageserver-protocol/node';
import { ContentLengthDecoder } from '../runtime/contentLengthFraming';
import { DEFAULT_FRAME_CAP } from '../runtime/framing';
import type { PendingConnection } from '../runtime/preAuth';

/**
 * Before authentication a connection must open with an `initialize` request, stay within the byte
 * budget and send well-formed messages; otherwise it is closed at once. Afterwards messages may be as
 * large as agent frames, and a malformed one is reported and dropped.
 */
export class GuardedMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly early: Message[] = [];
  private readonly decoder: ContentLengthDecoder;
  private sawFirst = false;
  private authorized = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly pending: PendingConnection,
    maxPreAuthMessageBytes: number,
    private readonly warn: (message: string) => void,
  ) {
    super();
    this.decoder = new ContentLengthDecoder(maxPreAuthMessageBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fireClose());
  }

  /** The client gave the token: the deadline and byte budget no longer apply. */
  authenticated(): void {
    this.authorized = true;
    this.pending.authenticated();
    this.decoder.maxBodyBytes = DEFAULT_FRAME_CAP;
  }

  /** Closes the connection, reporting why (once). */
  reject(reason: string): void {
    this.pending.reject(reason);
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const m of this.early.splice(0)) callback(m);
    return { dispose: () => (this.callback = undefined) };
  }

  private onData(chunk: Buffer): void {
    if (this.socket.destroyed || !this.pending.received(chunk.length)) return;
    for (const item of this.decoder.push(chunk)) {
      if (item.kind === 'malformed') {
        if (!this.authorized) return this.reject(`before authenticating: ${item.reason}`);
        this.warn(`lsp: ${item.reason}`);
        continue;
      }
      if (!this.sawFirst) {
        this.sawFirst = true;
        if (item.message.method !== 'initialize' || item.message.id === undefined) return this.reject('the first message was not an initialize request');
      }
      const message = item.message as unknown as Message;
      if (this.callback) this.callback(message);
      else this.early.push(message);
    }
  }
}
