// The live debug target of one session: compiles and starts (or attaches to) the node with the
// agent, keeps the recording (store + navigator), and relays breakpoints and evaluation to the agent.
// A plain event emitter; it knows nothing of DAP or VS Code. The session sees it as a DebugTarget.
import { EventEmitter } from 'events';
import * as path from 'path';
import { Errors, errorNotice, noticeLine, ScopeFailure } from '../errors';
import { elixirscope } from '../gen/wire';
import type { RecordingMode } from '../protocol/customDap';
import { Navigator, RecordingStore, type StoreStats } from '../store';
import { AgentConnection } from './agentConnection';
import { AgentServer } from './agentServer';
import { AttachHelper } from './attachHelper';
import { BreakpointBook, type BreakpointRequest, type BreakpointResult } from './breakpointBook';
import { Logger, nullLogger } from './log';
import { checkProject, compileProject, depEbinsFor, mixEnvFor, ownApps, tracePatterns, type MixProjectInfo } from './mixProject';
import { ModuleCatalog } from './moduleCatalog';
import { NodeProcess } from './nodeProcess';
import { unmatchedTraceWarnings } from './traceCheck';
import type { AttachOptions, DebugTarget, DebugTargetEvents, DebugTargetFactory, DebugTargetRequest, LaunchOptions, RecordingStats } from './runtime';
import { expandEtf, setEtfLocalNode, termForWire } from '../terms/etf';

const AGENT_CONNECT_TIMEOUT_MS = 60_000;

/** Folder holding the agent's compiled modules: <repo>/erlang/ebin next to dist/. */
export function agentEbin(): string {
  return process.env.ELIXIR_SCOPE_AGENT_EBIN ?? path.resolve(__dirname, '..', 'erlang', 'ebin');
}

/** The session's factory for live targets (launch or attach). */
export const liveTargets: DebugTargetFactory = (what, env) => new DebugRuntime(what, env.log);

export class DebugRuntime extends EventEmitter<DebugTargetEvents> implements DebugTarget {
  /** The recording, sized by the request's limits; created once with the runtime. */
  readonly store: RecordingStore;
  readonly nav: Navigator;
  readonly breakpoints = new BreakpointBook((m) => void this.modules.describe(m));
  readonly modules = new ModuleCatalog(() => this.agent);
  /** The project's compiled-module folders (launch), for preloading and breakpoint resolution. */
  ebinDirs: string[] = [];
  /** Mix's view of the launched project (its own apps, its dependencies' folders). */
  private project: MixProjectInfo | undefined;
  private server: AgentServer | undefined;
  private node: NodeProcess | undefined;
  private attached: AttachHelper | undefined;
  private agent: AgentConnection | undefined;
  private agentReady: Promise<AgentConnection>;
  private resolveAgentReady!: (a: AgentConnection) => void;
  private configurationDone = false;
  private configurationSent = false;

  constructor(private readonly what: DebugTargetRequest, private readonly log: Logger = nullLogger) {
    super();
    this.agentReady = new Promise((r) => (this.resolveAgentReady = r));
    this.store = new RecordingStore(what.options.recording);
    this.nav = new Navigator(this.store);
    this.nav.on('moved', (m) => this.emit('moved', m));
    this.store.on('historyDropped', (d) => {
      if (d.evictedTotal === d.evicted) {
        this.emit('output', errorNotice(Errors.historyDropped), 'important');
      }
    });
    this.store.on('process', () => this.emit('threadsChanged'));
    this.store.on('protocolError', (why) => this.log.log('warn', `store: ${why}`));
  }

  /** Launches or attaches, as the request says. */
  start(): Promise<void> {
    return this.what.request === 'launch' ? this.launch(this.what.options) : this.attach(this.what.options);
  }

  get agentConnection(): AgentConnection | undefined {
    return this.agent;
  }

  get programRunning(): boolean {
    return this.agent?.isOpen ?? false;
  }

  /** Compiles the project, starts it with the agent, and applies the trace plan. */
  private async launch(opts: LaunchOptions): Promise<void> {
    checkProject(opts.projectDir);
    const mixEnv = mixEnvFor(opts.task, opts.env);
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, MIX_ENV: mixEnv };
    const out = (text: string, stream: 'stdout' | 'stderr') => this.emit('output', text, stream);

    this.emit('output', `Compiling ${opts.projectDir} (MIX_ENV=${mixEnv})…\n`, 'console');
    this.emit('progress', `Compiling ${path.basename(opts.projectDir)} (MIX_ENV=${mixEnv})…`);
    const project = (this.project = await compileProject(opts.projectDir, env, out));
    this.emit('progress', `Starting mix ${[opts.task, ...opts.taskArgs].join(' ')} with the agent…`);

    const server = this.startServer();
    const port = await server.listen();
    this.log.log('info', `agent server on 127.0.0.1:${port}`);

    const userAflags = env.ERL_AFLAGS ?? '';
    const nodeEnv: NodeJS.ProcessEnv = {
      ...env,
      ELIXIR_SCOPE_PORT: String(port),
      ELIXIR_SCOPE_TOKEN: server.token,
      ELIXIR_SCOPE_USER_ERL_AFLAGS: userAflags,
      ERL_AFLAGS: `${userAflags} -pa ${agentEbin()} -s esc_agent boot`.trim(),
    };
    const node = new NodeProcess();
    this.node = node;
    node.on('exit', (code) => {
      this.log.log('info', `node exited with ${code}`);
      this.store.flush();
      this.emit('programExited', code);
    });
    await node.start(opts.task, opts.taskArgs, opts.projectDir, nodeEnv, out);

    const agent = await this.awaitAgent(server, node);
    this.attachAgent(agent);
    const patterns = tracePatterns(opts.trace.patterns);
    const projectApps = project ? ownApps(project) : [];
    if (!project && opts.trace.projectModules) {
      this.emit('output', noticeLine('Mix did not say which applications are the project\'s own (is `run` aliased?): nothing is recorded by default. Set "trace" to module patterns.'), 'important');
    }
    this.ebinDirs = projectApps.map((a) => a.ebin);
    const apps = opts.trace.projectModules ? projectApps : [];
    this.emit('progress', 'Instrumenting modules…');
    const configured = await agent.request({
      configure: {
        apps: apps.map((a) => a.name),
        modules: [...apps.flatMap((a) => a.modules), ...patterns.modules],
        prefixes: patterns.prefixes,
        codePaths: this.ebinDirs,
        lineProbes: opts.lineProbes.map((m) => (m.startsWith(':') ? m.slice(1) : m.startsWith('Elixir.') ? m : `Elixir.${m}`)),
        allowSideEffects: opts.allowSideEffects === true,
      },
    });
    this.resolveAgentReady(agent);
    this.prefetchSources(configured.configured?.modules ?? []);
    for (const line of unmatchedTraceWarnings(opts.trace.patterns, configured.configured?.modules ?? [])) this.emit('output', line, 'important');
    this.emit('ready', configured.configured?.modules?.length ?? 0, { apps: apps.map((a) => a.name), patterns: opts.trace.patterns });
    if (this.configurationDone) await this.releaseNode(agent); // the client was quicker than the node
  }

  /** Loads the agent into a running node over distribution and applies the trace plan. */
  private async attach(opts: AttachOptions): Promise<void> {
    this.log.redact(opts.cookie);
    const server = this.startServer();
    const port = await server.listen();
    const helper = new AttachHelper();
    this.attached = helper;
    this.emit('output', `Attaching to ${opts.node}…\n`, 'console');
    const result = await helper.attach(opts.node, opts.cookie, agentEbin(), port, server.token, (t) => this.log.log('info', `attach helper: ${t.trimEnd()}`));
    const agent = await server.waitForAgent();
    this.attachAgent(agent);
    const patterns = tracePatterns(opts.trace.patterns);
    this.emit('progress', 'Instrumenting modules…');
    const configured = await agent.request({
      configure: {
        apps: opts.trace.projectModules ? result.ownApps : [],
        modules: patterns.modules,
        prefixes: patterns.prefixes,
        allowSideEffects: opts.allowSideEffects === true,
      },
    });
    this.configurationSent = true; // an attached node is already running: nothing waits for configurationDone
    this.resolveAgentReady(agent);
    this.prefetchSources(configured.configured?.modules ?? []);
    for (const line of unmatchedTraceWarnings(opts.trace.patterns, configured.configured?.modules ?? [])) this.emit('output', line, 'important');
    this.emit('ready', configured.configured?.modules?.length ?? 0, { apps: opts.trace.projectModules ? result.ownApps : [], patterns: opts.trace.patterns });
  }

  /** Asks where recorded modules come from while the node is surely alive: a short program may have
   *  exited by the time the Debug pane asks for a stack. */
  private prefetchSources(modules: string[]): void {
    for (const m of modules) void this.modules.describe(m);
  }

  /** The client finished sending breakpoints: let the node's boot continue, and wait for the first hit. */
  async setConfigurationDone(): Promise<void> {
    this.configurationDone = true;
    if (this.agent) await this.releaseNode(this.agent);
    this.runToNextHit();
  }

  /** The launched node's boot waits for this: breakpoints are in place before the application starts. */
  private async releaseNode(agent: AgentConnection): Promise<void> {
    if (this.configurationSent) return;
    this.configurationSent = true;
    await agent.request({ configurationDone: {} });
  }

  /** Replaces the breakpoints of a source file ("" = function breakpoints). */
  async setBreakpoints(file: string, requests: BreakpointRequest[]): Promise<BreakpointResult[]> {
    const agent = await this.agentReady;
    if (!agent.isOpen) return requests.map(() => ({ id: 0, verified: false, message: 'the node is gone: breakpoints cannot be placed' }));
    return this.breakpoints.set(agent, file, requests, [...this.ebinDirs, ...depEbinsFor(this.project, file)]);
  }

  async setExceptionFilters(raised: boolean, crashes: boolean): Promise<void> {
    const agent = await this.agentReady;
    if (agent.isOpen) await agent.request({ setExceptionFilters: { raised, crashes } });
  }

  /** Evaluates Elixir on the live node (Debug Console), with the cursor's captured bindings. */
  /** `pure`: hovers and watches (only allow-listed calls); `events`: seqs whose exact bindings the agent may hold. */
  async evaluateOnNode(code: string, bindings: elixirscope.Binding.$Properties[] = [], opts: { pure?: boolean; events?: number[] } = {}): Promise<elixirscope.EvalResult> {
    const agent = this.agent;
    if (!agent?.isOpen) throw new ScopeFailure(Errors.nodeGone);
    // Terms captured whole go back as their exact bytes (local funs, pids and refs included).
    const exact = bindings.map((b) => (b.value ? { ...b, value: termForWire(b.value) } : b));
    const reply = await agent.request({ evaluate: { code, bindings: exact, pure: opts.pure ?? false, events: opts.events ?? [] } });
    return expandEtf(reply.eval as elixirscope.EvalResult);
  }

  /** Starts (or resumes) waiting for the next breakpoint hit from the cursor; 'moved' reports it. */
  runToNextHit(): void {
    this.nav.continue({});
  }

  /** Stops everything the agent records (emergency stop); the recording so far stays. */
  async emergencyStop(): Promise<void> {
    await this.agent?.request({ stop: { reason: 'emergency stop requested by the user' } });
  }

  /**
   * Launch: ends the debugged OS process group. Attach: removes every trace setting and agent module
   * from the node, which keeps running untouched.
   */
  async terminate(): Promise<void> {
    this.nav.cancelWait();
    if (this.attached) await this.attached.detach();
    this.agent?.close();
    await this.node?.kill();
    this.server?.close();
  }

  private startServer(): AgentServer {
    const server = new AgentServer();
    this.server = server;
    this.log.redact(server.token);
    server.on('rejected', (reason, failure) => {
      this.log.log('warn', `agent connection rejected: ${reason}`);
      this.emit('output', failure ? noticeLine(failure.message, failure.error.code) : noticeLine(`rejected an agent connection: ${reason}`, Errors.badToken.code), 'stderr');
    });
    return server;
  }

  private awaitAgent(server: AgentServer, node: NodeProcess): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ScopeFailure(Errors.agentTimeout, { seconds: AGENT_CONNECT_TIMEOUT_MS / 1000 })),
        AGENT_CONNECT_TIMEOUT_MS,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new ScopeFailure(Errors.nodeExited, { code: String(code) }));
      };
      node.once('exit', onExit);
      server.waitForAgent().then((agent) => {
        clearTimeout(timer);
        node.off('exit', onExit);
        resolve(agent);
      });
    });
  }

  private attachAgent(agent: AgentConnection): void {
    this.agent = agent;
    const i = agent.info;
    this.log.log('info', `agent connected: node ${i.node}, OTP ${i.otpRelease}, Elixir ${i.elixirVersion}, OS pid ${i.osPid}`);
    this.emit('output', noticeLine(`agent connected: node ${i.node}, OS pid ${i.osPid}, OTP ${i.otpRelease}, ERTS ${i.ertsVersion}, Elixir ${i.elixirVersion || 'n/a'}`), 'console');
    agent.intake = (frame) => this.store.ingest(frame);
    setEtfLocalNode(i.node);
    // A new thread always comes with a new pid: comparing the interner's size costs nothing per commit
    // (listing the threads would walk every process on the ingest path).
    let knownPids = 0;
    this.store.on('committed', () => {
      const n = this.store.interner.procs.length;
      if (n !== knownPids) {
        knownPids = n;
        this.emit('threadsChanged');
      }
    });
    agent.on('notice', (n) => {
      this.log.log(n.severity === elixirscope.Notice.Severity.ERROR ? 'error' : 'info', `agent notice ${n.code}: ${n.message}`);
      this.emit('notice', n);
    });
    agent.on('logOutput', (l) => this.emit('output', `${l.text}\n`, 'stdout'));
    agent.on('breakpointsChanged', (c) => this.breakpoints.changed(c).forEach(({ result, file }) => this.emit('breakpointChanged', result, file)));
    agent.on('stats', (s) => {
      this.agentLoss = { dropped: Number(s.droppedTotal ?? 0), sampled: Number(s.sampledTotal ?? 0) };
      // Stats.mode is one of RECORDING_MODES (the .proto says so); the extension checks it on receipt.
      this.emitStats(Number(s.eventsPerS ?? 0), (s.mode || 'full') as RecordingMode);
    });
    agent.on('protocolError', (reason, error) => {
      this.log.log('warn', `protocol error: ${reason}`);
      this.emit('output', noticeLine(reason, error.code), 'stderr');
    });
    agent.on('close', () => {
      this.log.log('info', 'agent connection closed');
      this.store.flush();
      // A short program can end before the agent's first once-a-second Stats: say what was kept.
      this.emitStats(0, 'stopped', true);
    });
  }

  /** Totals the agent reported last (dropped in the node, skipped by sampling). */
  private agentLoss = { dropped: 0, sampled: 0 };

  private emitStats(eventsPerSecond: number, mode: RecordingMode, ended = false): void {
    this.emit('stats', recordingStats(this.store.stats(), this.agentLoss, eventsPerSecond, mode, ended));
  }
}

/**
 * The once-a-second figures. Kept = committed plus staged: the agent's Stats frame usually arrives right
 * after the batches it counts, which wait in the reorder window (20 ms, or 25 ms of quiet) before they
 * are committed; counting committed events only read 0 until then — for a program that runs in bursts,
 * at every Stats, until the final one after the flush.
 */
export function recordingStats(st: StoreStats, agentLoss: { dropped: number; sampled: number }, eventsPerSecond: number, mode: RecordingMode, ended = false): RecordingStats {
  return { eventsPerSecond, eventsKept: st.retained + st.pending, dropped: agentLoss.dropped + st.evictedTotal, sampled: agentLoss.sampled, mode, ...(ended ? { ended } : {}) };
}
