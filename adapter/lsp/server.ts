// The recording language server: LSP over a loopback socket, served from the adapter process so it
// reads the very recording the Debug pane shows. Hover (captured values), code lenses (calls,
// exceptions, last return, step to last call), inlay hints (values on each recorded line of the
// cursor's frames), diagnostics (breakpoints that could not be placed). Imports nothing from vscode
// or the debug adapter library; the DAP session starts it and announces the port.
import { randomBytes } from 'crypto';
import * as net from 'net';
import { fileURLToPath, pathToFileURL } from 'url';
import { createConnection as createCommonConnection, type Connection } from 'vscode-languageserver/lib/common/server';
import {
  CodeLensRefreshRequest,
  createProtocolConnection,
  DiagnosticSeverity,
  ErrorCodes,
  InlayHintRefreshRequest,
  ResponseError,
  StreamMessageWriter,
  TextDocumentSyncKind,
  type Diagnostic,
  type InitializeError,
  type InitializeResult,
} from 'vscode-languageserver-protocol/node';
import type { Logger } from '../runtime/log';
import { PendingConnections, tokensMatch } from '../runtime/preAuth';
import { nullLogger } from '../runtime/log';
import type { Navigator, RecordingStore } from '../store';
import { GuardedMessageReader } from './guardedReader';
import { codeLenses, hover, inlayHints, type DocumentView, type FeatureContext } from './features';
import { ModuleOutlines, normalize } from './outlines';
import { RecordingIndex } from './recordingIndex';
import type { BreakpointRequest, BreakpointResult, RecordingSource } from './types';

export interface RecordingLanguageServer {
  /** Loopback port clients connect to. */
  readonly port: number;
  /** Per-server secret a client must give as `initializationOptions.token` in `initialize`. */
  readonly token: string;
  /** Breakpoint results of one source file (call after every setBreakpoints; "" = function breakpoints, ignored). */
  setBreakpointResults(file: string, requests: readonly BreakpointRequest[], results: readonly BreakpointResult[]): void;
  /** Asks connected editors to refresh lenses and hints now. */
  refresh(): void;
  /** Connected clients (for tests and logs). */
  readonly clients: number;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Minimum delay between refresh pushes (ms): inlay hints on cursor moves, code lenses on new events. */
  hintRefreshMs?: number;
  lensRefreshMs?: number;
}

/** Starts the server on 127.0.0.1 (random port). */
export async function startRecordingLanguageServer(source: RecordingSource, log: Logger = nullLogger, opts: ServerOptions = {}): Promise<RecordingLanguageServer> {
  const shared = new SharedState(source, log, opts);
  const token = randomBytes(16).toString('hex');
  const sockets = new Set<net.Socket>();
  // Any local process can reach a loopback port: the agent port's pre-authentication limits apply.
  const pendingConnections = new PendingConnections((reason) => log.log('warn', `lsp connection refused: ${reason}`));
  const server = net.createServer((socket) => {
    const pending = pendingConnections.admit(socket);
    if (!pending) return;
    sockets.add(socket);
    socket.setNoDelay(true); // LSP writes header and body separately: no Nagle delay between them
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => log.log('warn', `lsp socket: ${err.message}`));
    serveClient(socket, shared, token, new GuardedMessageReader(socket, pending, pendingConnections.limits.maxFrameBytes, (m) => log.log('warn', m)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  log.log('info', `recording language server on 127.0.0.1:${port}`);
  return {
    port,
    token,
    setBreakpointResults: (file, requests, results) => shared.setBreakpointResults(file, requests, results),
    refresh: () => shared.pushRefresh(true, true),
    get clients() {
      return shared.clients.size;
    },
    close: async () => {
      shared.dispose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Client {
  connection: Connection;
  documents: Map<string, DocumentView>;
  lensRefresh: boolean;
  hintRefresh: boolean;
}

/** State shared by every connected client: the recording's indexes, module outlines, diagnostics. */
class SharedState {
  readonly clients = new Set<Client>();
  private store: RecordingStore | undefined;
  private nav: Navigator | undefined;
  private index: RecordingIndex | undefined;
  readonly outlines: ModuleOutlines;
  private readonly diagnostics = new Map<string, Diagnostic[]>();
  private hintTimer: NodeJS.Timeout | undefined;
  private lensTimer: NodeJS.Timeout | undefined;
  private readonly hintMs: number;
  private readonly lensMs: number;
  private readonly onMoved = (): void => this.scheduleRefresh(false, true);
  private readonly onCommitted = (): void => this.scheduleRefresh(true, false);

  constructor(private readonly source: RecordingSource, private readonly log: Logger, opts: ServerOptions) {
    this.hintMs = opts.hintRefreshMs ?? 150;
    this.lensMs = opts.lensRefreshMs ?? 1000;
    this.outlines = new ModuleOutlines(() => this.source.modules, () => this.scheduleRefresh(true, true));
    this.context();
  }

  /** The features' view of the recording, following the runtime if it replaced its store. */
  context(): FeatureContext {
    const { store, nav } = this.source;
    if (store !== this.store || !this.index) {
      this.index?.dispose();
      this.store?.off('committed', this.onCommitted);
      this.store = store;
      this.index = new RecordingIndex(store, (m) => this.outlines.request(m));
      store.on('committed', this.onCommitted);
    }
    if (nav !== this.nav) {
      this.nav?.off('moved', this.onMoved);
      this.nav = nav;
      nav.on('moved', this.onMoved);
    }
    return { store, nav, index: this.index, outlines: this.outlines };
  }

  /** Asks again about recorded modules the agent could not describe yet. */
  requestOutlines(): void {
    for (const m of this.index?.modules() ?? []) this.outlines.request(m);
  }

  setBreakpointResults(file: string, requests: readonly BreakpointRequest[], results: readonly BreakpointResult[]): void {
    if (!file) return;
    const diags: Diagnostic[] = [];
    results.forEach((r, i) => {
      if (r.verified) return;
      const req = requests[i] ?? {};
      const line = Math.max(0, (req.line ?? r.line ?? 1) - 1);
      const conditionProblem = !!req.condition && /condition|syntax|compile|expression|undefined variable|unbound/i.test(r.message ?? '');
      const what = conditionProblem ? 'Breakpoint condition did not compile' : 'Breakpoint could not be placed';
      diags.push({
        range: { start: { line, character: 0 }, end: { line, character: 2147483647 } },
        severity: DiagnosticSeverity.Warning,
        source: 'ElixirScope',
        code: conditionProblem ? 'breakpoint-condition' : 'breakpoint-unplaced',
        message: `${what}: ${r.message ?? 'no reason given'}${conditionProblem ? ` (condition: ${req.condition})` : ''}`,
      });
    });
    const key = normalize(file);
    if (diags.length === 0 && !this.diagnostics.has(key)) return;
    this.diagnostics.set(key, diags);
    for (const c of this.clients) this.sendDiagnostics(c, key);
  }

  sendAllDiagnostics(c: Client): void {
    for (const key of this.diagnostics.keys()) this.sendDiagnostics(c, key);
  }

  private sendDiagnostics(c: Client, file: string): void {
    void c.connection.sendDiagnostics({ uri: pathToFileURL(file).href, diagnostics: this.diagnostics.get(file) ?? [] }).catch(() => undefined);
  }

  scheduleRefresh(lens: boolean, hints: boolean): void {
    if (this.clients.size === 0) return;
    if (hints && !this.hintTimer) {
      this.hintTimer = setTimeout(() => {
        this.hintTimer = undefined;
        this.pushRefresh(false, true);
      }, this.hintMs);
      this.hintTimer.unref?.();
    }
    if (lens && !this.lensTimer) {
      this.lensTimer = setTimeout(() => {
        this.lensTimer = undefined;
        this.pushRefresh(true, false);
      }, this.lensMs);
      this.lensTimer.unref?.();
    }
  }

  pushRefresh(lens: boolean, hints: boolean): void {
    for (const c of this.clients) {
      if (lens && c.lensRefresh) void c.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
      if (hints && c.hintRefresh) void c.connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
    }
  }

  dispose(): void {
    if (this.hintTimer) clearTimeout(this.hintTimer);
    if (this.lensTimer) clearTimeout(this.lensTimer);
    this.index?.dispose();
    this.store?.off('committed', this.onCommitted);
    this.nav?.off('moved', this.onMoved);
    for (const c of this.clients) c.connection.dispose();
    this.clients.clear();
  }

  logError(what: string, err: unknown): void {
    this.log.log('error', `lsp ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

/** A watchdog that never ends the process: the adapter hosts this server, `exit` only closes the connection. */
function watchDogFor(socket: net.Socket): { initialize(): void; exit(code: number): void; shutdownReceived: boolean } {
  return {
    shutdownReceived: false,
    initialize: () => undefined,
    exit: () => socket.end(),
  };
}

function serveClient(socket: net.Socket, shared: SharedState, token: string, reader: GuardedMessageReader): void {
  const connection = createCommonConnection((logger) => createProtocolConnection(reader, new StreamMessageWriter(socket), logger), watchDogFor(socket)) as unknown as Connection;
  const client: Client = { connection, documents: new Map(), lensRefresh: false, hintRefresh: false };
  // Any local process can reach a loopback port: nothing is answered before `initialize` gave the token.
  let authorized = false;
  const guard =
    <A extends unknown[], R>(what: string, fallback: R, f: (...a: A) => R) =>
    (...a: A): R => {
      if (!authorized) return fallback;
      try {
        return f(...a);
      } catch (err) {
        shared.logError(what, err);
        return fallback;
      }
    };
  const docOf = (uri: string): DocumentView | undefined => client.documents.get(uri);

  connection.onInitialize((params): InitializeResult | ResponseError<InitializeError> => {
    if (!tokensMatch((params.initializationOptions as { token?: unknown } | undefined)?.token, token)) {
      setTimeout(() => reader.reject('initialize without the session token'), 50); // after the error reply is written
      return new ResponseError(ErrorCodes.InvalidRequest, 'ElixirScope recording server: wrong or missing initializationOptions.token', { retry: false });
    }
    authorized = true;
    reader.authenticated();
    const ws = params.capabilities.workspace;
    client.lensRefresh = !!ws?.codeLens?.refreshSupport;
    client.hintRefresh = !!ws?.inlayHint?.refreshSupport;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Full },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'ElixirScope recording' },
    };
  });
  connection.onInitialized(() => {
    if (!authorized) return;
    shared.clients.add(client);
    shared.sendAllDiagnostics(client);
  });
  connection.onDidOpenTextDocument((p) => {
    if (!authorized) return;
    const file = fileOf(p.textDocument.uri);
    if (file) client.documents.set(p.textDocument.uri, { file, lines: p.textDocument.text.split(/\r?\n/) });
    shared.requestOutlines();
    // Ask about the modules this file defines right away, before the recording first mentions them.
    for (const m of modulesDefinedIn(p.textDocument.text)) shared.outlines.request(m);
  });
  connection.onDidChangeTextDocument((p) => {
    const doc = docOf(p.textDocument.uri);
    const change = p.contentChanges[p.contentChanges.length - 1];
    if (doc && change && !('range' in change)) client.documents.set(p.textDocument.uri, { file: doc.file, lines: change.text.split(/\r?\n/) });
  });
  connection.onDidCloseTextDocument((p) => client.documents.delete(p.textDocument.uri));
  connection.onHover(
    guard('hover', null, (p) => {
      const doc = docOf(p.textDocument.uri);
      return doc ? hover(shared.context(), doc, p.position.line, p.position.character) : null;
    }),
  );
  connection.onCodeLens(
    guard('codeLens', [], (p) => {
      const doc = docOf(p.textDocument.uri);
      if (!doc) return [];
      shared.requestOutlines();
      return codeLenses(shared.context(), doc);
    }),
  );
  connection.languages.inlayHint.on(
    guard('inlayHint', [], (p) => {
      const doc = docOf(p.textDocument.uri);
      return doc ? inlayHints(shared.context(), doc, p.range) : [];
    }),
  );
  connection.onShutdown(() => undefined);
  socket.on('close', () => {
    shared.clients.delete(client);
    connection.dispose();
  });
  connection.listen();
}

/** `defmodule Bank.Account` → `Elixir.Bank.Account`; `-module(bank).` → `bank`. */
export function modulesDefinedIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*defmodule\s+([A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*)\s+do\b/gm)) out.push(`Elixir.${m[1]}`);
  for (const m of text.matchAll(/^-module\(\s*'?([a-z][A-Za-z0-9_@]*)'?\s*\)/gm)) out.push(m[1]);
  return out;
}

function fileOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}
