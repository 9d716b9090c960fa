// Test harness for DAP choreographies against dist/adapter.js: a DebugClient that records every
// request, response and event (ids sanitized) so a failing test can print the whole exchange.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { customRequest, type CustomRequestArguments, type CustomRequestName, type CustomResponseBody } from '../../adapter/protocol/customDap';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const adapterPath = path.join(repoRoot, 'dist', 'adapter.js');
export const bankProject = path.join(repoRoot, 'examples', 'bank');

export class TracedDebugClient extends DebugClient {
  readonly trace: string[] = [];
  private readonly t0 = Date.now();

  constructor() {
    super('node', adapterPath, 'elixir-scope');
    const client = this as unknown as { send(command: string, args?: unknown): Promise<DebugProtocol.Response> };
    const send = client.send.bind(this);
    client.send = async (command: string, args?: unknown) => {
      this.record(`→ ${command} ${short(args)}`);
      try {
        const r = await send(command, args);
        this.record(`← ${command} ${short(r.body)}`);
        return r;
      } catch (err) {
        this.record(`← ${command} FAILED ${(err as Error).message}`);
        throw err;
      }
    };
    const self = this as unknown as { dispatch(body: string): void };
    const dispatch = self.dispatch.bind(this);
    self.dispatch = (body: string) => {
      const msg = JSON.parse(body) as DebugProtocol.ProtocolMessage;
      if (msg.type === 'event') {
        const ev = msg as DebugProtocol.Event;
        this.events.push(ev);
        this.record(`⇠ ${ev.event} ${short(ev.body)}`);
      }
      dispatch(body);
    };
  }

  /** Every event received so far, in order. */
  readonly events: DebugProtocol.Event[] = [];

  /** All `output` event text received so far. */
  output = '';

  /** Spawns dist/adapter.js on stdio, or with `port` connects to an adapter already serving DAP there. */
  override async start(port?: number): Promise<void> {
    this.on('output', (e: DebugProtocol.OutputEvent) => (this.output += e.body.output));
    await super.start(port);
  }

  /** Waits until `predicate` holds for the accumulated output. */
  async waitForOutput(predicate: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.output)) {
      if (Date.now() > deadline) throw new Error(`output did not match within ${timeoutMs} ms; output so far:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.output;
  }

  /** OS pid of the adapter this client spawned (undefined when it connected to a port), e.g. to read its memory. */
  get adapterPid(): number | undefined {
    // DebugClient keeps its child process private; its pid is all a test needs of it.
    return (this as unknown as { _adapterProcess?: { pid?: number } })._adapterProcess?.pid;
  }

  /** Prints the recorded exchange (used on test failure). */
  dump(): string {
    return this.trace.join('\n');
  }

  private record(line: string): void {
    this.trace.push(`${String(Date.now() - this.t0).padStart(6)} ms ${sanitize(line)}`);
  }
}

function short(v: unknown): string {
  if (v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

/** An ElixirScope custom request with the arguments its name takes; resolves with its response body. */
export function customRequestBody<K extends CustomRequestName>(dc: DebugClient, name: K, args: CustomRequestArguments<K>): Promise<CustomResponseBody<K>> {
  return customRequest({ customRequest: async (command, a) => (await dc.customRequest(command, a)).body }, name, args);
}

/** Replaces run-specific ids (pids, ports, paths) so transcripts compare across runs. */
export function sanitize(s: string): string {
  return s
    .replace(/<\d+\.\d+\.\d+>/g, '<PID>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .split(repoRoot)
    .join('<repo>');
}

/** Mocha afterEach body: prints the DAP trace of a failed test, then ends the session and its node. */
export async function endSession(ctx: Mocha.Context, dc: TracedDebugClient | undefined): Promise<void> {
  printTraceOnFailure(ctx, dc);
  await dc?.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
  await dc?.stop().catch(() => undefined);
}

/** Polls `threads` (10 s at most) until one is named with `prefix`; fails listing the names seen. */
export async function waitForThread(dc: TracedDebugClient, prefix: string): Promise<void> {
  let names: string[] = [];
  for (let i = 0; i < 50 && !names.some((n) => n.startsWith(prefix)); i++) {
    names = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!names.some((n) => n.startsWith(prefix))) throw new Error(`no thread named ${prefix}…; threads: ${JSON.stringify(names)}`);
}

/** Mocha helper: prints the DAP trace of a failed test. */
export function printTraceOnFailure(ctx: Mocha.Context, dc: TracedDebugClient | undefined): void {
  if (dc && ctx.currentTest?.state === 'failed') {
    console.log(`\n── DAP trace of "${ctx.currentTest.title}" ──\n${dc.dump()}\n── end of trace ──`);
  }
}
