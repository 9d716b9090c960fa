// Windowing for long lists of fixed-height rows: a spacer gives the scroll height, and only the rows in
// (or near) the viewport are rendered, so 100,000 rows cost the same as 50.

export interface RowWindow {
  first: number;
  /** Exclusive. */
  last: number;
}

const OVERSCAN = 8;

export class VirtualScroller {
  private count = 0;
  private frame = 0;
  private lastWindow: RowWindow = { first: 0, last: 0 };
  /** Horizontal position at the last render: wide diagrams re-render to keep labels in view. */
  private lastLeft = 0;

  /**
   * `scrollEl` scrolls; `spacer` is a block inside it whose height is set to count × rowHeight (plus
   * `extra`); `render` draws the given window (it positions its own layer at first × rowHeight).
   */
  constructor(
    private readonly scrollEl: HTMLElement,
    private readonly spacer: HTMLElement,
    readonly rowHeight: number,
    private readonly render: (w: RowWindow) => void,
    private readonly topOffset = 0,
  ) {
    scrollEl.addEventListener('scroll', () => this.schedule());
    // Resizing the panel changes how many rows fit.
    new ResizeObserver(() => this.schedule()).observe(scrollEl);
  }

  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.rowHeight}px`;
  }

  getCount(): number {
    return this.count;
  }

  window(): RowWindow {
    // Content y of row i is topOffset + i·h; a sticky header of height topOffset covers the top of the viewport.
    const top = this.scrollEl.scrollTop;
    const height = Math.max(this.rowHeight, (this.scrollEl.clientHeight || 600) - this.topOffset);
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    return { first, last: Math.max(first, last) };
  }

  /** Rows at least partly inside the viewport (for exports of "what you see"). */
  visibleRows(): RowWindow {
    const top = this.scrollEl.scrollTop;
    const height = Math.max(0, (this.scrollEl.clientHeight || 600) - this.topOffset);
    const first = Math.min(this.count, Math.floor(top / this.rowHeight));
    return { first, last: Math.max(first, Math.min(this.count, Math.ceil((top + height) / this.rowHeight))) };
  }

  /** Renders now (after data or filter changes). */
  refresh(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.lastWindow = this.window();
    this.lastLeft = this.scrollEl.scrollLeft;
    this.render(this.lastWindow);
  }

  /** Scrolls so that row `index` is visible (centred when it was out of view). */
  reveal(index: number): void {
    const top = this.topOffset + index * this.rowHeight;
    const viewTop = this.scrollEl.scrollTop;
    const viewH = this.scrollEl.clientHeight || 600;
    if (top < viewTop + this.topOffset || top + this.rowHeight > viewTop + viewH) {
      this.scrollEl.scrollTop = Math.max(0, top - viewH / 2);
    }
    this.refresh();
  }

  atEnd(): boolean {
    return this.scrollEl.scrollTop + this.scrollEl.clientHeight >= this.scrollEl.scrollHeight - this.rowHeight * 2;
  }

  scrollToEnd(): void {
    this.scrollEl.scrollTop = this.scrollEl.scrollHeight;
    this.refresh();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const w = this.window();
      const left = this.scrollEl.scrollLeft;
      if (w.first === this.lastWindow.first && w.last === this.lastWindow.last && left === this.lastLeft) return;
      this.lastWindow = w;
      this.lastLeft = left;
      this.render(w);
    });
  }
}
