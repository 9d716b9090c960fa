// Client side of a paged stream (versions or messages): holds the contiguous prefix received so far,
// asks the host for the next page until it has `total` items, and accepts live appends at the end.
import { RequestRangeMessage, StreamItems, StreamName, WEBVIEW_PAGE_SIZE } from '../adapter/protocol/webviewData';

/**
 * Runs `fn` once the frame showing what we have is painted: background pages must not delay the first
 * paint. rAF does not fire in a hidden webview, so a timer stands in for it there.
 */
export function afterPaint(fn: () => void): void {
  let done = false;
  const go = () => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(() => setTimeout(go, 0));
  setTimeout(go, 100);
}

export class PagedStream<S extends StreamName> {
  readonly items: StreamItems[S][] = [];
  total = 0;
  private pendingId: number | undefined;
  private nextId = 1;
  /** Set when the host answered a page with nothing: stop asking (it evicted or lost that range). */
  private stalled = false;

  /** `onAdded(from)`: items from that index on are new (indexes are stable; nothing is ever removed). */
  constructor(
    private readonly stream: S,
    private readonly request: (m: RequestRangeMessage) => void,
    private readonly onAdded: (from: number) => void,
    private readonly pageSize = WEBVIEW_PAGE_SIZE,
    private readonly defer: (fn: () => void) => void = afterPaint,
  ) {}

  get complete(): boolean {
    return this.items.length >= this.total;
  }

  reset(items: StreamItems[S][], total: number): void {
    this.items.length = 0;
    this.pendingId = undefined;
    this.stalled = false;
    this.total = Math.max(total, items.length);
    this.push(0, items);
    this.fetchMore();
  }

  /** Live items at stream index `from`; if they do not follow what we hold, the gap is fetched by pages. */
  append(from: number, items: StreamItems[S][]): void {
    this.total = Math.max(this.total, from + items.length);
    if (from === this.items.length) this.push(from, items);
    else if (from < this.items.length && from + items.length > this.items.length) this.push(this.items.length, items.slice(this.items.length - from));
    this.fetchMore();
  }

  page(requestId: number, from: number, items: StreamItems[S][], total: number): void {
    if (requestId !== this.pendingId) return;
    this.pendingId = undefined;
    this.total = Math.max(total, this.items.length);
    if (items.length === 0) this.stalled = true;
    else if (from === this.items.length) this.push(from, items);
    this.fetchMore();
  }

  private push(from: number, items: StreamItems[S][]): void {
    if (items.length === 0) return;
    for (const it of items) this.items.push(it);
    this.onAdded(from);
  }

  private fetchMore(): void {
    if (this.pendingId !== undefined || this.stalled || this.complete) return;
    const id = (this.pendingId = this.nextId++);
    this.defer(() => {
      // A reset in between made this request obsolete.
      if (this.pendingId !== id) return;
      const from = this.items.length;
      this.request({ type: 'requestRange', stream: this.stream, requestId: id, from, to: Math.min(this.total, from + this.pageSize) });
    });
  }
}
