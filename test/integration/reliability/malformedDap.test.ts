// Reliability: malformed DAP input against the real dist/adapter.js over stdio. Each bad message must
// be reported (error 1400 in the Debug Console and on stderr), answered when its request's seq can be
// read, and the session must go on answering the requests that follow.
import * as assert from 'assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { ContentLengthDecoder } from '../../../adapter/runtime/contentLengthFraming';
import { adapterPath } from '../../support/dapSession';

type Received = Record<string, unknown> & { type?: string; event?: string; request_seq?: number; success?: boolean; body?: { output?: string }; message?: string };

/** A DAP client that can also write raw bytes: the adapter as a child process, its stdout decoded. */
class RawDapClient {
  readonly received: Received[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor() {
    this.child = spawn(process.execPath, [adapterPath]);
    const decoder = new ContentLengthDecoder(64 << 20);
    this.child.stdout.on('data', (chunk: Buffer) => {
      for (const item of decoder.push(chunk)) if (item.kind === 'message') this.received.push(item.message as Received);
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  raw(text: string): void {
    this.child.stdin.write(text);
  }

  request(seq: number, command: string, args: unknown = {}): void {
    const body = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.raw(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** Waits for a received message matching `pred`; fails early if the adapter exits. */
  async waitFor(what: string, pred: (m: Received) => boolean, timeoutMs = 5_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      if (this.exitCode !== undefined) throw new Error(`the adapter exited (code ${this.exitCode}) before ${what}; stderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.received)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  response(seq: number): Promise<Received> {
    return this.waitFor(`a response to request ${seq}`, (m) => m.type === 'response' && m.request_seq === seq);
  }

  notice(pattern: RegExp): Promise<Received> {
    return this.waitFor(`an output event matching ${pattern}`, (m) => m.type === 'event' && m.event === 'output' && pattern.test(m.body?.output ?? ''));
  }

  stop(): void {
    this.child.kill();
  }
}

const INITIALIZE = { adapterID: 'elixir-scope', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true };

describe('reliability: malformed DAP input (real adapter over stdio)', function () {
  this.timeout(20_000);
  let dc: RawDapClient | undefined;

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && dc) console.log(`adapter stderr:\n${dc.stderr}\nreceived:\n${JSON.stringify(dc.received, null, 1)}`);
    dc?.stop();
    dc = undefined;
  });

  it('a body that is not JSON is reported (1400, Debug Console and stderr) and the next request is answered', async () => {
    dc = new RawDapClient();
    dc.raw('Content-Length: 12\r\n\r\n{not json!!}');
    await dc.notice(/\[ElixirScope 1400\] Malformed message from the debug client: a message body of 12 bytes is not JSON/);
    // Written after the adapter dealt with the bad frame: the session must still be there to answer it.
    await new Promise((r) => setTimeout(r, 300));
    dc.request(1, 'initialize', INITIALIZE);
    const init = await dc.response(1);
    assert.strictEqual(init.success, true, JSON.stringify(init));
    assert.match(dc.stderr, /\[ElixirScope 1400\] .*not JSON/);
  });

  it('a broken request whose seq and command can be read gets an error response, and the session goes on', async () => {
    dc = new RawDapClient();
    const broken = '{"seq":7,"type":"request","command":"threads","arguments":{';
    dc.raw(`Content-Length: ${broken.length}\r\n\r\n${broken}`);
    const failed = await dc.response(7);
    assert.strictEqual(failed.success, false);
    assert.strictEqual(failed.command, 'threads');
    assert.match(failed.message ?? '', /Malformed message from the debug client: .*not JSON.*the session continues/);
    await new Promise((r) => setTimeout(r, 300));
    dc.request(8, 'initialize', INITIALIZE);
    assert.strictEqual((await dc.response(8)).success, true);
  });

  it('an invalid or oversized Content-Length, or JSON that is no DAP message, costs only that message', async () => {
    dc = new RawDapClient();
    const body = (seq: number) => JSON.stringify({ seq, type: 'request', command: 'initialize', arguments: INITIALIZE });
    dc.raw(`Content-Length: abc\r\n\r\n${body(3)}`);
    dc.request(4, 'initialize', INITIALIZE);
    assert.strictEqual((await dc.response(3)).success, false, 'the request behind the bad header is answered with an error');
    assert.strictEqual((await dc.response(4)).success, true);
    dc.raw(`Content-Length: 999999999\r\n\r\n${body(5)}`);
    dc.raw('Content-Length: 11\r\n\r\n{"hello":1}');
    dc.request(6, 'initialize', INITIALIZE);
    assert.match((await dc.response(5)).message ?? '', /999999999 bytes exceeds the \d+-byte limit/);
    await dc.notice(/1400\] .*without a numeric "seq"/);
    assert.strictEqual((await dc.response(6)).success, true);
    assert.strictEqual(dc.exitCode, undefined, 'the adapter is still running');
  });
});
