// DAP input that survives bad messages: frames are read with the tolerant Content-Length decoder instead
// of the library's reader, whose first JSON.parse failure ended the whole session (exit 0, nothing logged).
import { PassThrough } from 'stream';
import { ContentLengthDecoder } from '../runtime/contentLengthFraming';

/** Generous for any client request (a launch with a large env, setBreakpoints on a long file). */
export const MAX_DAP_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface DapInputHandlers {
  /** A well-formed DAP message (request, response or event). */
  message(msg: Record<string, unknown>): void;
  /** Input that was dropped; `request` when the seq and command of the request it carried could be read. */
  malformed(reason: string, request: { seq: number; command: string } | undefined): void;
}

/**
 * Reads `input` itself and returns a stand-in stream for ProtocolServer.start: the stand-in carries
 * no data, only the input's end ('close') and failures ('error'), which still end the session.
 */
export function readDapInput(input: NodeJS.ReadableStream, handlers: DapInputHandlers): NodeJS.ReadableStream {
  const decoder = new ContentLengthDecoder(MAX_DAP_MESSAGE_BYTES);
  const lifecycle = new PassThrough();
  input.on('data', (chunk: Buffer | string) => {
    for (const item of decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      if (item.kind === 'malformed') {
        handlers.malformed(item.reason, recoverRequest(item.excerpt));
        continue;
      }
      const problem = notDap(item.message);
      if (problem) handlers.malformed(problem, recoverRequest(JSON.stringify(item.message)));
      else handlers.message(item.message);
    }
  });
  input.on('close', () => lifecycle.destroy());
  input.on('error', (err: Error) => lifecycle.destroy(err));
  return lifecycle;
}

/** Why a JSON object is not a DAP message the session can dispatch, or undefined when it is one. */
function notDap(msg: Record<string, unknown>): string | undefined {
  if (typeof msg.seq !== 'number') return 'a message without a numeric "seq"';
  if (msg.type === 'request') return typeof msg.command === 'string' ? undefined : 'a request without a "command"';
  if (msg.type === 'response' || msg.type === 'event') return undefined;
  return `a message of unknown type ${JSON.stringify(msg.type ?? null).slice(0, 40)}`;
}

/** The seq and command of the request in (possibly broken) message text, when both can be read. */
export function recoverRequest(text: string): { seq: number; command: string } | undefined {
  if (/"type"\s*:\s*"(response|event)"/.test(text)) return undefined;
  const seq = /"seq"\s*:\s*(\d{1,15})/.exec(text);
  const command = /"command"\s*:\s*"([A-Za-z0-9_.\-/]{1,100})"/.exec(text);
  return seq && command ? { seq: Number(seq[1]), command: command[1] } : undefined;
}
