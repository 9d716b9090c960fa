// The DAP session: translates Debug Adapter Protocol requests into calls on the runtime model and
// runtime events into DAP events. No debugging logic lives here.
import { InitializedEvent, LoggingDebugSession, OutputEvent, ThreadEvent, Thread } from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { ScopeFailure } from '../errors';
import { DebugRuntime } from '../runtime/debugRuntime';
import { createLogger, Logger } from '../runtime/log';
import { ProcessRegistry } from '../runtime/processRegistry';
import { toAttachOptions, toLaunchOptions } from './launchArgs';

export class ElixirScopeSession extends LoggingDebugSession {
  private readonly log: Logger = createLogger();
  private readonly runtime = new DebugRuntime(this.log);
  private terminated = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.runtime.on('output', (text, category) => this.sendEvent(new OutputEvent(text, category)));
    this.runtime.on('threadsChanged', () => this.sendEvent(new ThreadEvent('started', 0)));
    this.runtime.on('notice', (n) => this.sendEvent(new OutputEvent(`[ElixirScope ${n.code}] ${n.message}\n`, n.severity >= 1 ? 'important' : 'console')));
    this.runtime.on('programExited', (code) =>
      this.sendEvent(new OutputEvent(`The program exited (code ${code}). The recording stays available until you stop the session.\n`, 'important')),
    );
  }

  /** Always: declares only what works end to end. */
  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      // configurationDone releases the node's boot, so breakpoints set before it apply to init/1.
      supportsConfigurationDoneRequest: true,
      // terminate ends the debugged OS process group.
      supportsTerminateRequest: true,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  /** launch: compile the Mix project, start it with the agent, apply the trace plan. */
  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    this.log.log('info', `launch ${JSON.stringify(args)}`);
    try {
      const opts = toLaunchOptions(args as Record<string, unknown>);
      await this.runtime.launch(opts);
      this.sendResponse(response);
    } catch (err) {
      await this.runtime.terminate(); // a failed launch leaves no process behind
      this.fail(response, err);
    }
  }

  /** attach: load the agent into a running node over distribution; the node is never restarted. */
  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): Promise<void> {
    this.log.log('info', `attach ${JSON.stringify(args)}`);
    try {
      await this.runtime.attach(toAttachOptions(args as Record<string, unknown>));
      this.sendResponse(response);
    } catch (err) {
      await this.runtime.terminate();
      this.fail(response, err);
    }
  }

  /** The client has sent its breakpoints: the node may start the user's application. */
  protected override async configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): Promise<void> {
    try {
      await this.runtime.setConfigurationDone();
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  /** Threads are the processes of the recording that ran project code. */
  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = {
      threads: this.runtime.processes.threads().map((p) => new Thread(p.id, ProcessRegistry.displayName(p))),
    };
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.runtime.terminate();
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.runtime.terminate();
    this.terminated = true;
    this.sendResponse(response);
  }

  /** Client gone (stdio closed, SIGTERM): never leave the node behind. */
  override async shutdown(): Promise<void> {
    if (!this.terminated) {
      this.terminated = true;
      await this.runtime.terminate();
    }
    super.shutdown();
  }

  private fail(response: DebugProtocol.Response, err: unknown): void {
    const code = err instanceof ScopeFailure ? err.error.code : 1999;
    const message = err instanceof Error ? err.message : String(err);
    this.log.log('error', `${response.command} failed: ${message}`);
    this.sendErrorResponse(response, { id: code, format: message, showUser: true });
  }
}
