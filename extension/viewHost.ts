// The host side of one webview's message exchange (webviews/HOSTING.md), without VS Code: answers `ready`
// with `init`, `requestRange` with `page`, relays `moveCursor` and `export`, and turns the adapter's
// `elixirScope.streamGrew` and stops into `append`, `live` and `cursor`. The panel (webviewPanel.ts) wires it
// to a webview and a debug session; tests wire it to the adapter's request handler directly.
import {
  customRequest,
  CustomRequests,
  type CustomRequester,
  type MessagesResponseBody,
  type StateVersionsResponseBody,
  type StreamGrewEventBody,
} from '../adapter/protocol/customDap';
import {
  WEBVIEW_PAGE_SIZE,
  type ExportMessage,
  type HostToView,
  type MessageEvent,
  type StateVersion,
  type StreamName,
  type ViewName,
  type ViewToHost,
} from '../adapter/protocol/webviewData';

export interface ViewHostOptions {
  view: ViewName;
  /** Heading shown by the view. */
  title: string;
  /** stateHistory: the adapter's versions stream key. */
  key?: string;
  /** messageSequence opened for some processes: only their lifelines at first. */
  onlyPids?: string[];
  /** A custom DAP request to the session's adapter (DebugSession.customRequest): resolves with the body. */
  request(command: string, args: object): Promise<unknown>;
  post(message: HostToView): void;
  exportDiagram(message: ExportMessage): Promise<void>;
  /** Tell the user something failed that they asked for (moving the cursor). */
  warn(message: string): void;
}

type Page = StateVersionsResponseBody | MessagesResponseBody;

/**
 * Stream indexes of the view are the adapter's minus `base`: a view opened after the ring buffer evicted the
 * start of its stream begins at the oldest retained item (the adapter's indexes never shift).
 */
export class ViewHost {
  private readonly stream: StreamName;
  private base = 0;
  /** Adapter stream total the view was last told about (init, page or append). */
  private told = 0;
  private live = true;
  /** The view said `ready` and got `init`: live appends may follow. */
  private initialized = false;
  private appending: Promise<void> = Promise.resolve();
  private closed = false;
  /** The adapter, for the typed requests (customDap.ts's customRequest). */
  private readonly adapter: CustomRequester = { customRequest: (command, args) => this.o.request(command, args as object) };

  constructor(private readonly o: ViewHostOptions) {
    this.stream = o.view === 'stateHistory' ? 'versions' : 'messages';
  }

  /** The panel is gone: post nothing more. */
  close(): void {
    this.closed = true;
  }

  private post(m: HostToView): void {
    if (!this.closed) this.o.post(m);
  }

  async onMessage(m: ViewToHost): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          await this.init();
          break;
        case 'requestRange': {
          if (m.stream !== this.stream) return;
          const p = await this.fetch(m.from + this.base, m.to - m.from);
          this.told = Math.max(this.told, p.total);
          const page = { type: 'page' as const, requestId: m.requestId, from: p.from - this.base, total: p.total - this.base };
          this.post(this.stream === 'versions'
            ? { ...page, stream: 'versions', items: p.items as StateVersion[] }
            : { ...page, stream: 'messages', items: p.items as MessageEvent[] });
          break;
        }
        case 'moveCursor':
          await customRequest(this.adapter, CustomRequests.gotoEvent, { seq: m.seq });
          break;
        case 'export':
          await this.o.exportDiagram(m);
          break;
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.post({ type: 'error', message, requestId: m.type === 'requestRange' ? m.requestId : undefined });
      if (m.type === 'moveCursor') this.o.warn(`cannot move the cursor there: ${message}`);
    }
  }

  private fetch(from: number, count: number): Promise<Page> {
    const range = { from: Math.max(0, from), count: Math.max(0, Math.min(count, WEBVIEW_PAGE_SIZE)) };
    return this.stream === 'versions'
      ? customRequest(this.adapter, CustomRequests.stateVersions, { key: this.o.key, ...range })
      : customRequest(this.adapter, CustomRequests.messages, range);
  }

  /** First page, the cursor and whether the program still records; (re)sent on every `ready`. */
  private async init(): Promise<void> {
    let p = await this.fetch(0, WEBVIEW_PAGE_SIZE);
    this.base = p.oldest;
    if (p.oldest > 0 && p.from !== p.oldest) p = await this.fetch(p.oldest, WEBVIEW_PAGE_SIZE);
    this.told = p.total;
    this.live = p.live;
    this.initialized = true;
    const cursor = await this.cursorSeq();
    const common = { type: 'init' as const, title: this.o.title, total: p.total - this.base, live: p.live, cursorSeq: cursor ?? undefined };
    this.post(this.o.view === 'stateHistory'
      ? { ...common, view: 'stateHistory', items: p.items as StateVersion[] }
      : { ...common, view: 'messageSequence', items: p.items as MessageEvent[], onlyPids: this.o.onlyPids });
  }

  private async cursorSeq(): Promise<number | null> {
    try {
      return (await customRequest(this.adapter, CustomRequests.cursor, {})).seq;
    } catch {
      return null;
    }
  }

  /** The debugger stopped somewhere (a step, a hit, a goto): the view highlights the cursor's event. */
  async cursorMoved(): Promise<void> {
    this.post({ type: 'cursor', seq: await this.cursorSeq() });
  }

  /** `elixirScope.streamGrew` from the adapter: send what is new (serialized, so appends stay in order). */
  grew(body: StreamGrewEventBody): Promise<void> {
    if (!this.initialized || body.stream !== this.stream || (this.stream === 'versions' && body.key !== this.o.key)) return this.appending;
    this.appending = this.appending.then(() => this.append(body)).catch(() => undefined);
    return this.appending;
  }

  private async append(body: StreamGrewEventBody): Promise<void> {
    while (!this.closed && this.told < body.total) {
      const p = await this.fetch(this.told, body.total - this.told);
      if (p.items.length === 0) {
        // Evicted before we got there: the view learns the total and asks for what it misses (empty: stops).
        this.told = p.total;
        break;
      }
      const from = p.from - this.base;
      this.told = p.from + p.items.length;
      this.post(this.stream === 'versions'
        ? { type: 'append', stream: 'versions', from, items: p.items as StateVersion[] }
        : { type: 'append', stream: 'messages', from, items: p.items as MessageEvent[] });
    }
    if (body.live !== this.live) this.setLive(body.live);
  }

  /** Recording ended (program exit, session end) or restarted. */
  setLive(live: boolean): void {
    this.live = live;
    this.post({ type: 'live', live });
  }
}
