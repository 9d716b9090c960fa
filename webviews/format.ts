// Small text formatting shared by both views: recording times, counts, shortening long terms.

/** Recording time (ns since start) as milliseconds with µs precision: `12.345 ms`. */
export function formatTime(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Cuts text to `max` characters with a visible ellipsis (never silently). */
export function shorten(text: string, max: number): string {
  if (max <= 1) return text.length > 0 ? '…' : '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Index of the last element whose key is <= value in an array sorted by key, or -1. */
export function lastAtOrBefore<T>(items: readonly T[], value: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
