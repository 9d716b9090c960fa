// The DAP session: translates Debug Adapter Protocol requests into calls on the runtime model and
// runtime events into DAP events. No debugging logic lives here: the recording, navigation and the
// agent are in adapter/runtime and adapter/store.
import { Breakpoint, BreakpointEvent, Event, Handles, InitializedEvent, LoggingDebugSession, OutputEvent, Response, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread, ThreadEvent } from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { Errors, noticeLine, ScopeFailure } from '../errors';
import type { elixirscope } from '../gen/wire';
import { startRecordingLanguageServer, type RecordingLanguageServer } from '../lsp/server';
import { CustomEvents, type CustomEventSender } from '../protocol/customDap';
import { createLogger, Logger, redactConfig } from '../runtime/log';
import type { DebugTarget, DebugTargetFactory, DebugTargetRequest } from '../runtime/runtime';
import type { FrameInfo, Moved, MoveResult } from '../store';
import { watchStreams } from '../webview/streamNotifications';
import type { Answer } from './answer';
import { locateFrame } from './callbackFrame';
import { capabilities } from './capabilities';
import { SourceClauses } from './clauses';
import { customRequest } from './customRequests';
import { readDapInput } from './dapInput';
import { DataBreakpoints } from './dataBreakpoints';
import { evaluate } from './evaluate';
import { eventSummary } from './eventSummary';
import { toAttachOptions, toLaunchOptions } from './launchArgs';
import { evaluationContext, frameScopes, type FrameRef } from './scopes';
import { describeStop } from './stops';
import { VariableTable } from './variables';

type Term = elixirscope.Term.$Properties;

export class ElixirScopeSession extends LoggingDebugSession {
  private readonly log: Logger = createLogger();
  /** Made by the injected factory at launch/attach, with its recording; undefined before. */
  private target: DebugTarget | undefined;
  private readonly vars = new VariableTable();
  private readonly dataBreakpoints = new DataBreakpoints();
  private readonly frames = new Handles<FrameRef>();
  private readonly clauses = new SourceClauses();
  private terminated = false;
  private threadsTimer: NodeJS.Timeout | undefined;
  private lsp: RecordingLanguageServer | undefined;
  /** Sends a custom event with the body its name takes (CustomEventBodies in adapter/protocol/customDap.ts). */
  private readonly sendCustomEvent: CustomEventSender = (name, body) => this.sendEvent(new Event(name, body));

  /** `createTarget` makes what the session debugs (adapter/main.ts: live targets; tests: fakes). */
  constructor(private readonly createTarget: DebugTargetFactory) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** The target of a launch/attach request: made once, its events translated into DAP events. */
  private startTarget(what: DebugTargetRequest): DebugTarget {
    const rt = this.createTarget(what, { log: this.log });
    this.target = rt;
    rt.on('output', (text, category) => this.sendEvent(new OutputEvent(text, category)));
    rt.on('threadsChanged', () => this.threadsChanged());
    rt.on('notice', (n) => this.sendEvent(new OutputEvent(noticeLine(n.message, n.code), n.severity >= 1 ? 'important' : 'console')));
    rt.on('programExited', (code) =>
      this.sendEvent(new OutputEvent(`The program exited (code ${code}). The recording stays available until you stop the session.\n`, 'important')),
    );
    rt.on('moved', (m) => this.stopped(m));
    rt.on('stats', (s) => this.sendCustomEvent(CustomEvents.stats, s));
    rt.on('progress', (message) => this.sendCustomEvent(CustomEvents.progress, { message }));
    rt.on('ready', (tracedModules, traced) => this.sendCustomEvent(CustomEvents.ready, { tracedModules, tracedApps: traced.apps, tracedPatterns: traced.patterns }));
    rt.on('breakpointChanged', (r, f) => {
      this.sendEvent(new BreakpointEvent('changed', this.toBreakpoint(r)));
      this.lsp?.setBreakpointResults(f.file, f.requests, f.results); // diagnostics follow
    });
    watchStreams(rt, this.sendCustomEvent);
    return rt;
  }

  /** The target, for requests that need one; before launch/attach they fail with a numbered error. */
  private get runtime(): DebugTarget {
    if (!this.target) throw new ScopeFailure(Errors.notStarted);
    return this.target;
  }

  /** Reads DAP input with ./dapInput: a malformed message is reported and dropped instead of ending the session. */
  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    const input = readDapInput(inStream, { message: (m) => this.handleDapMessage(m), malformed: (why, request) => this.malformedInput(why, request) });
    super.start(input, outStream);
  }

  private handleDapMessage(msg: Record<string, unknown>): void {
    try {
      this.handleMessage(msg as unknown as DebugProtocol.ProtocolMessage);
    } catch (err) {
      if (msg.type === 'request') this.fail(new Response(msg as unknown as DebugProtocol.Request), err);
      else this.log.log('error', `handling a DAP ${String(msg.type)} failed: ${(err as Error).message}`);
    }
  }

  /** Logs dropped client input, shows it in the Debug Console, and answers the request it carried when its seq could be read. */
  private malformedInput(reason: string, request: { seq: number; command: string } | undefined): void {
    const failure = new ScopeFailure(Errors.malformedDapMessage, { details: reason });
    const line = noticeLine(failure.message, failure.error.code);
    process.stderr.write(line);
    this.sendEvent(new OutputEvent(line, 'important'));
    if (request) this.fail(new Response({ ...request, type: 'request' }), failure);
    else this.log.log('warn', failure.message);
  }

  // ───────────── always ─────────────

  /** Declares only what works end to end. */
  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = capabilities();
    this.sendResponse(response);
  }

  /** launch: compile the Mix project, start it with the agent, apply the trace plan; then accept breakpoints. */
  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): Promise<void> {
    this.log.log('info', `launch ${JSON.stringify(redactConfig(args))}`);
    this.sayLogNotice();
    try {
      await this.startTarget({ request: 'launch', options: toLaunchOptions(args) }).start();
      this.sendResponse(response);
      await this.startLanguageServer();
      this.sendEvent(new InitializedEvent()); // the agent is there: breakpoints can be resolved now
    } catch (err) {
      await this.target?.terminate(); // a failed launch leaves no process behind
      this.fail(response, err);
    }
  }

  /** attach: load the agent into a running node over distribution; the node is never restarted. */
  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): Promise<void> {
    this.log.log('info', `attach ${JSON.stringify(redactConfig(args))}`);
    this.sayLogNotice();
    try {
      await this.startTarget({ request: 'attach', options: toAttachOptions(args) }).start();
      this.sendResponse(response);
      await this.startLanguageServer();
      this.sendEvent(new InitializedEvent());
    } catch (err) {
      await this.target?.terminate();
      this.fail(response, err);
    }
  }

  /** The shared log folder was refused (another user's, or writable by others): say so once. */
  private sayLogNotice(): void {
    if (this.log.notice) this.sendEvent(new OutputEvent(noticeLine(this.log.notice), 'console'));
  }

  /** supportsConditionalBreakpoints / HitConditional / LogPoints: one source file's breakpoints. */
  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    try {
      const file = args.source.path ?? '';
      const requests = (args.breakpoints ?? []).map((b) => ({ line: b.line, condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage }));
      const results = await this.runtime.setBreakpoints(file, requests);
      this.lsp?.setBreakpointResults(file, requests, results);
      response.body = { breakpoints: results.map((r, i) => this.toBreakpoint(r, args.breakpoints![i].line)) };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  /** supportsFunctionBreakpoints. */
  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    try {
      const results = await this.runtime.setBreakpoints('', args.breakpoints.map((b) => ({ function: b.name, condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: results.map((r) => this.toBreakpoint(r)) };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  /** supportsDataBreakpoints: a value inside a GenServer State scope can be watched. */
  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    response.body = this.dataBreakpoints.info(this.vars, this.target?.nav.threads() ?? [], args);
    this.sendResponse(response);
  }

  /** supportsDataBreakpoints: replaces every watched value; continue stops where one changes. */
  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const { watches, breakpoints } = this.dataBreakpoints.set(args.breakpoints);
    this.target?.nav.watches.set(watches); // before launch/attach there is nothing to watch yet
    response.body = { breakpoints };
    this.sendResponse(response);
  }

  /** exceptionBreakpointFilters. */
  protected override async setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): Promise<void> {
    try {
      await this.runtime.setExceptionFilters(args.filters.includes('raised'), args.filters.includes('crashes'));
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  /** supportsConfigurationDoneRequest: the node may start the user's application; we wait for the first hit. */
  protected override async configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): Promise<void> {
    try {
      await this.runtime.setConfigurationDone();
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  /** Threads are the processes of the recording. */
  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: (this.target?.nav.threads() ?? []).map((p) => new Thread(p.id + 1, p.name)) };
    this.sendResponse(response);
  }

  /** Pause: stop waiting for a hit and show the latest recorded event. */
  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    this.sendResponse(response);
    const moved = this.target?.nav.pause(args.threadId > 0 ? args.threadId - 1 : undefined);
    if (!moved) this.sendEvent(new OutputEvent('Nothing recorded yet to pause at.\n', 'console'));
  }

  /** supportsTerminateRequest: end the debuggee; the client then disconnects on `terminated`. */
  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.target?.terminate();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.target?.terminate();
    await this.lsp?.close();
    this.lsp = undefined;
    this.terminated = true;
    this.sendResponse(response);
  }

  /** Custom requests: data for the webviews (state versions, messages, cursor moves) and the emergency stop. */
  protected override async customRequest(command: string, response: DebugProtocol.Response, args: unknown): Promise<void> {
    this.answer(response, await customRequest(command, args, this.target));
  }

  // ───────────── movement over the recording (every one takes the reverse flag) ─────────────

  /** continue: to the next breakpoint hit in the recording, waiting for live events past its end. */
  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.move(response, () => this.runtime.nav.continue({}));
  }

  /** supportsStepBack: reverseContinue goes to the previous hit (or the process's first event). */
  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    this.move(response, () => this.runtime.nav.continue({ reverse: true, pid: args.threadId - 1 }));
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.move(response, () => this.runtime.nav.stepOver({ pid: args.threadId - 1 }));
  }

  /** supportsStepBack: step over backwards; GenServer state versions are steps too. */
  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.move(response, () => this.runtime.nav.stepOver({ reverse: true, pid: args.threadId - 1 }));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.move(response, () => this.runtime.nav.stepIn({ pid: args.threadId - 1 }));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.move(response, () => this.runtime.nav.stepOut({ pid: args.threadId - 1 }));
  }

  // ───────────── while stopped: views at the cursor ─────────────

  /** The stack of a process at the cursor, reconstructed from its call/return events. */
  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    const pid = args.threadId - 1;
    const start = args.startFrame ?? 0;
    const levels = args.levels || 50;
    const stack = this.target?.nav.stack(pid, start, levels) ?? { frames: [], total: 0 };
    const frames = await Promise.all(stack.frames.map((f, i) => this.stackFrame(pid, f, start + i === 0)));
    response.body = { stackFrames: frames, totalFrames: stack.total };
    this.sendResponse(response);
  }

  /** Arguments, Locals, Return value, GenServer (or gen_statem) State, Message, Process. */
  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const ref = this.frames.get(args.frameId);
    if (!ref) {
      response.body = { scopes: [] };
      this.sendResponse(response);
      return;
    }
    response.body = { scopes: frameScopes(this.runtime, ref, this.vars, this.clauses) };
    this.sendResponse(response);
  }

  /** Lazy expansion of maps, structs, lists and tuples, with paging. */
  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    response.body = { variables: this.vars.variables(args.variablesReference, args.start ?? 0, args.count ?? 0) };
    this.sendResponse(response);
  }

  /** supportsEvaluateForHovers: hovers, watches and Copy Value over the recording, and the repl on the live node (./evaluate). */
  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    const ref = args.frameId !== undefined ? this.frames.get(args.frameId) : undefined;
    const context = ref ? evaluationContext(this.runtime.nav, ref) : { bindings: new Map<string, Term>(), events: [] };
    const r = await evaluate(() => this.runtime, this.vars, args, context, ref?.frame.file.endsWith('.erl') ? 'erlang' : 'elixir');
    this.answer(response, r);
  }

  /** Client gone (stdio closed, SIGTERM): never leave the node behind. */
  override async shutdown(): Promise<void> {
    if (!this.terminated) {
      this.terminated = true;
      await this.target?.terminate();
    }
    await this.lsp?.close();
    this.lsp = undefined;
    super.shutdown();
  }

  // ───────────── helpers ─────────────

  /** The recording language server (adapter/lsp) over this session's recording; the extension connects on the event. */
  private async startLanguageServer(): Promise<void> {
    if (this.lsp) return;
    try {
      this.lsp = await startRecordingLanguageServer(this.runtime, this.log);
      this.sendCustomEvent(CustomEvents.languageServer, { port: this.lsp.port, token: this.lsp.token });
    } catch (err) {
      this.log.log('warn', `recording language server not started: ${(err as Error).message}`);
    }
  }

  private move(response: DebugProtocol.Response, step: () => MoveResult): void {
    let r: MoveResult;
    try {
      r = step();
    } catch (err) {
      this.fail(response, err);
      return;
    }
    this.sendResponse(response);
    // 'moved' is reported through the navigator's event (→ stopped); 'waiting' resolves the same way.
    if (r.status === 'boundary') {
      this.vars.reset();
      this.frames.reset();
      this.sendEvent(new StoppedEvent('step', r.pid + 1, 'Start of the recording for this process'));
    }
  }

  /** New processes appear in bursts: tell the client at most every 250 ms so it re-reads the list. */
  private threadsChanged(): void {
    if (this.threadsTimer) return;
    this.threadsTimer = setTimeout(() => {
      this.threadsTimer = undefined;
      this.sendEvent(new ThreadEvent('started', 0));
    }, 250);
  }

  private stopped(m: Moved): void {
    this.vars.reset();
    this.frames.reset();
    const d = describeStop(m, this.runtime.breakpoints, eventSummary(this.runtime.store, this.runtime.nav.view, m.index), this.dataBreakpoints.watchPaths);
    const ev = new StoppedEvent(d.reason, m.pid + 1) as DebugProtocol.StoppedEvent;
    ev.body.description = d.description;
    ev.body.text = d.text;
    ev.body.allThreadsStopped = true;
    if (d.hitBreakpointIds) ev.body.hitBreakpointIds = d.hitBreakpointIds;
    this.sendEvent(ev);
  }

  private async stackFrame(pid: number, f: FrameInfo, top: boolean): Promise<DebugProtocol.StackFrame> {
    const id = this.frames.create({ pid, frame: f, top });
    const { name, file, line, subtle } = await locateFrame(this.runtime, this.clauses, pid, f, top);
    const sf = new StackFrame(id, name, file ? new Source(file.split('/').pop() ?? file, file) : undefined, line, 1);
    if (subtle) (sf as DebugProtocol.StackFrame).presentationHint = 'subtle';
    return sf;
  }

  private toBreakpoint(r: { id: number; verified: boolean; line?: number; message?: string }, requestedLine?: number): DebugProtocol.Breakpoint {
    const bp = new Breakpoint(r.verified, r.line ?? requestedLine) as DebugProtocol.Breakpoint;
    bp.id = r.id;
    if (r.message) bp.message = r.message;
    return bp;
  }

  /** Sends what a handler in another file (./evaluate, ./customRequests) decided. */
  private answer(response: DebugProtocol.Response, a: Answer): void {
    if ('body' in a) {
      response.body = a.body;
      this.sendResponse(response);
    } else if ('failure' in a) this.fail(response, a.failure, a.showUser);
    else this.sendErrorResponse(response, a.error);
  }

  private fail(response: DebugProtocol.Response, err: unknown, showUser = true): void {
    const code = err instanceof ScopeFailure ? err.error.code : Errors.requestFailed.code;
    const message = err instanceof Error ? err.message : String(err);
    this.log.log('error', `${response.command} failed: ${message}`);
    this.sendErrorResponse(response, { id: code, format: message, showUser });
  }
}
