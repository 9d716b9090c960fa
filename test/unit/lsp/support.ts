// Test support for the recording language server: a real LSP client over the loopback socket
// (vscode-languageserver-protocol's node connection), a module catalog stand-in, and recordings.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeLensRefreshRequest,
  createProtocolConnection,
  InlayHintRefreshRequest,
  PublishDiagnosticsNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { startRecordingLanguageServer, type RecordingLanguageServer } from '../../../adapter/lsp/server';
import type { ModuleDescriber, ModuleDescription, RecordingSource } from '../../../adapter/lsp/types';
import { Navigator, RecordingStore } from '../../../adapter/store';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const bankProject = path.join(repoRoot, 'examples', 'bank');
export const accountEx = path.join(bankProject, 'lib', 'bank', 'account.ex');
export const ledgerEx = path.join(bankProject, 'lib', 'bank', 'ledger.ex');
export const demoEx = path.join(bankProject, 'lib', 'bank', 'demo.ex');

/** What DescribeModules answers for the example's modules (lines as in examples/bank/lib). */
export function bankCatalog(): Record<string, ModuleDescription> {
  const mk = (module: string, source: string, fns: [string, number, number][]): ModuleDescription => ({
    module,
    source,
    functionLines: new Map(fns.map(([k, l]) => [k, l])),
    functionLastLines: new Map(fns.map(([k, , last]) => [k, last])),
  });
  return {
    'Elixir.Bank.Account': mk('Elixir.Bank.Account', accountEx, [
      ['start_link/1', 8, 11],
      ['deposit/2', 13, 13],
      ['withdraw/2', 14, 14],
      ['balance/1', 15, 15],
      ['via/1', 17, 17],
      ['init/1', 20, 22],
      ['handle_call/3', 25, 45],
      ['fee_for/1', 47, 48],
    ]),
    'Elixir.Bank.Ledger': mk('Elixir.Bank.Ledger', ledgerEx, [
      ['start_link/1', 5, 5],
      ['record/3', 7, 7],
      ['entries/0', 8, 8],
      ['init/1', 11, 11],
      ['handle_cast/2', 14, 17],
      ['handle_call/2', 20, 20],
    ]),
    'Elixir.Bank.Demo': mk('Elixir.Bank.Demo', demoEx, [
      ['run/2', 4, 19],
      ['-run/2-fun-0-/3', 6, 10],
      ['catch_exit/1', 21, 25],
    ]),
  };
}

export class FakeCatalog implements ModuleDescriber {
  asked: string[] = [];
  constructor(private readonly known: Record<string, ModuleDescription>) {}
  describe(module: string): Promise<ModuleDescription | undefined> {
    this.asked.push(module);
    return Promise.resolve(this.known[module] ?? { module, source: '', functionLines: new Map(), error: 'not loaded' });
  }
}

/** The real agent's recording of examples/bank (test/unit/store/fixtures), loaded into a store. */
export function bankFixtureStore(): RecordingStore {
  const j = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'unit', 'store', 'fixtures', 'bank-demo.frames.json'), 'utf8')) as { frames: string[] };
  const store = new RecordingStore({ reorderWindowNs: 0, flushDelayMs: 0 });
  for (const f of j.frames) store.ingest(Buffer.from(f, 'base64'));
  store.flush();
  return store;
}

export class SourceOf implements RecordingSource {
  nav: Navigator;
  constructor(public store: RecordingStore, public modules: ModuleDescriber) {
    this.nav = new Navigator(store);
  }
}

/** An LSP client connected over the socket, with the server→client traffic it saw. */
export class TestClient {
  readonly conn: ProtocolConnection;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  lensRefreshes = 0;
  hintRefreshes = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    this.conn = createProtocolConnection(socket, socket);
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.diagnostics.set(p.uri, p);
      this.poke();
    });
    this.conn.onRequest(CodeLensRefreshRequest.type, () => {
      this.lensRefreshes++;
      this.poke();
      return null;
    });
    this.conn.onRequest(InlayHintRefreshRequest.type, () => {
      this.hintRefreshes++;
      this.poke();
      return null;
    });
    this.conn.listen();
  }

  static async connect(port: number, token: string): Promise<TestClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new TestClient(socket);
    await c.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } } },
      initializationOptions: { token },
    });
    await c.conn.sendNotification('initialized', {});
    return c;
  }

  async open(file: string): Promise<string> {
    const uri = pathToFileURL(file).href;
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'elixir', version: 1, text: fs.readFileSync(file, 'utf8') } });
    return uri;
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred` holds (checked on each server→client message), or rejects after `ms`. */
  async until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.conn.dispose();
    this.socket.destroy();
  }
}

export async function startWith(source: RecordingSource, opts = { hintRefreshMs: 10, lensRefreshMs: 10 }): Promise<RecordingLanguageServer> {
  return startRecordingLanguageServer(source, undefined, opts);
}

/** Lets pending describe() promises and socket traffic settle. */
export function settle(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
