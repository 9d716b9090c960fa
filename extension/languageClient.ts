// Connects VS Code to each elixir-scope debug session's recording language server (adapter/lsp):
// the adapter announces its loopback port with the `elixirScope.languageServer` custom DAP event; one
// vscode-languageclient per session, stopped when the session ends. Code lenses' "Step to last call"
// runs elixirScope.stepToEvent, relayed to the session as the `elixirScope.gotoEvent` request.
import * as net from 'net';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, type LanguageClientOptions, type StreamInfo } from 'vscode-languageclient/node';
import { DEBUG_TYPE } from '../adapter/config/launchSchema';
import { customRequest, CustomEvents, CustomRequests, LanguageServerCommands, type GotoEventArguments, type LanguageServerEventBody } from '../adapter/protocol/customDap';
import type { ScopeSessions } from './sessions';

/** Documents the recording server answers for. */
export const RECORDING_DOCUMENTS = [
  { scheme: 'file', language: 'elixir' },
  { scheme: 'file', language: 'erlang' },
];

export class RecordingLanguageClients implements vscode.Disposable {
  private readonly clients = new Map<string, LanguageClient>();
  private readonly subscriptions: vscode.Disposable[];
  private channel: vscode.OutputChannel | undefined;

  constructor(private readonly sessions: ScopeSessions) {
    this.subscriptions = [
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.type !== DEBUG_TYPE || e.event !== CustomEvents.languageServer) return;
        const body = e.body as Partial<LanguageServerEventBody> | undefined;
        const port = body?.port;
        if (typeof port === 'number' && port > 0 && port < 65536 && typeof body?.token === 'string') void this.connect(e.session, port, body.token);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => void this.disconnect(s.id)),
      vscode.commands.registerCommand(LanguageServerCommands.stepToEvent, (args?: GotoEventArguments, sessionId?: string) => this.stepToEvent(args, sessionId)),
    ];
  }

  /** Session ids with a connected client (for tests). */
  get connected(): string[] {
    return [...this.clients.keys()];
  }

  private async connect(session: vscode.DebugSession, port: number, token: string): Promise<void> {
    await this.disconnect(session.id); // a second announcement replaces the first
    const serverOptions = (): Promise<StreamInfo> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.setNoDelay(true);
        socket.once('connect', () => resolve({ reader: socket, writer: socket }));
        socket.once('error', reject);
      });
    this.channel ??= vscode.window.createOutputChannel('ElixirScope Recording', { log: true });
    const clientOptions: LanguageClientOptions = {
      documentSelector: RECORDING_DOCUMENTS,
      initializationOptions: { token },
      outputChannel: this.channel,
      // The server lives as long as the debug session: never restart it, never pop up errors about it.
      errorHandler: { error: () => ({ action: ErrorAction.Shutdown, handled: true }), closed: () => ({ action: CloseAction.DoNotRestart, handled: true }) },
      initializationFailedHandler: () => false,
      middleware: {
        // Code lens commands act on the session whose recording they describe.
        provideCodeLenses: async (document, token, next) => {
          const lenses = await next(document, token);
          for (const l of lenses ?? []) {
            if (l.command?.command === LanguageServerCommands.stepToEvent) l.command.arguments = [l.command.arguments?.[0], session.id];
          }
          return lenses;
        },
      },
    };
    const client = new LanguageClient(`elixirScopeRecording.${session.id}`, `ElixirScope recording (${session.name})`, serverOptions, clientOptions);
    this.clients.set(session.id, client);
    try {
      await client.start();
    } catch (err) {
      this.channel.appendLine(`could not connect to the recording language server of "${session.name}" on port ${port}: ${(err as Error).message}`);
      if (this.clients.get(session.id) === client) this.clients.delete(session.id);
    }
  }

  private async disconnect(sessionId: string): Promise<void> {
    const client = this.clients.get(sessionId);
    if (!client) return;
    this.clients.delete(sessionId);
    try {
      if (client.isRunning()) await client.stop(1000);
      else await client.dispose(1000);
    } catch {
      /* the adapter (and its server) may already be gone */
    }
  }

  private async stepToEvent(args: GotoEventArguments | undefined, sessionId: string | undefined): Promise<void> {
    if (!args || typeof args.seq !== 'number') return;
    const session = (sessionId !== undefined ? this.sessions.byId(sessionId) : undefined) ?? this.sessions.active();
    if (!session) {
      void vscode.window.showInformationMessage('ElixirScope: the debug session of this recording has ended.');
      return;
    }
    try {
      const r = await customRequest(session, CustomRequests.gotoEvent, { seq: args.seq });
      if (r && r.moved === false) void vscode.window.showInformationMessage('ElixirScope: that call is no longer in the recording (evicted).');
    } catch (err) {
      void vscode.window.showWarningMessage(`ElixirScope: could not step to the call: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    for (const id of [...this.clients.keys()]) void this.disconnect(id);
    this.channel?.dispose();
  }
}
