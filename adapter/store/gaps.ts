// Where the recording has no events: the gaps the agent reported (AgentMessage.gaps) in each process's
// timeline, and the functions it sampled per time window. Read when a move crosses time (stops) and by the
// webview data (a gap marker between two versions or messages). Nothing here knows DAP.
//
// A process's gap lies strictly between two of its recorded events (the agent loses a contiguous run of a
// process's events and sends the gap before the batch carrying its next events), so "does a move from
// time a to time b cross a gap of P" is an interval overlap on P's sorted gap list.

import { elixirscope } from '../gen/wire';
import { formatMfa } from './processes';

export type GapReason = 'overload' | 'encoder behind' | 'connection behind' | 'sampled' | 'suspended' | 'unknown';

const REASONS: GapReason[] = ['unknown', 'overload', 'encoder behind', 'connection behind', 'sampled', 'suspended'];

/** What each reason means to a user (stop descriptions, webview markers). */
export const GAP_REASON_TEXT: Record<GapReason, string> = {
  overload: 'the agent was overloaded',
  'encoder behind': 'the agent could not encode fast enough',
  'connection behind': 'the connection to the debugger could not keep up',
  sampled: 'rate limit: sampled',
  suspended: 'rate limit: suspended',
  unknown: 'lost in the agent',
};

export interface Gap {
  /** "<0.123.0>"; "" for losses of processes past the agent's per-gap bound. */
  pid: string;
  count: number;
  reason: GapReason;
  /** Agent time (ns since the agent started) of the first and last lost event. */
  fromMono: number;
  toMono: number;
}

/** Calls of one function recorded 1 in `oneIn` (0 = suspended) in every process during [fromMono, toMono]. */
export interface SamplingWindow {
  mfa: string;
  oneIn: number;
  /** Calls skipped (estimated from those kept). */
  count: number;
  fromMono: number;
  toMono: number;
}

/** The gaps a move from one time to another went over. */
export interface CrossedGaps {
  /** Events of the process moved in that were not recorded. */
  count: number;
  reasons: GapReason[];
  /** Events of other processes not recorded meanwhile (counted only when asked, e.g. for continue). */
  others: number;
  sampled: SamplingWindow[];
}

/** Most gaps kept per process: beyond it, the two oldest merge (counts stay exact, spans widen). */
const MAX_GAPS_PER_PID = 4096;
const MAX_WINDOWS = 4096;

export class GapBook {
  private readonly byPid = new Map<string, Gap[]>();
  private readonly windows = new Map<string, SamplingWindow>();
  /** Events reported lost, all processes together. */
  totalLost = 0;

  /** Adds one AgentMessage.gaps. Sampling windows are reported again while open: the latest report of a window wins. */
  add(msg: elixirscope.Gaps.$Properties): void {
    for (const g of msg.gaps ?? []) {
      const reason = REASONS[Number(g.reason ?? 0)] ?? 'unknown';
      const fromMono = Number(g.fromMono ?? 0);
      const toMono = Math.max(fromMono, Number(g.toMono ?? 0));
      const count = Number(g.count ?? 0);
      if (g.mfa) {
        const mfa = formatMfa({ module: g.mfa.module ?? '', function: g.mfa.function ?? '', arity: g.mfa.arity ?? 0 });
        const key = `${mfa}@${fromMono}`;
        if (!this.windows.has(key) && this.windows.size >= MAX_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
        this.windows.set(key, { mfa, oneIn: g.oneIn ?? 0, count, fromMono, toMono });
        continue;
      }
      if (count <= 0) continue;
      this.insert({ pid: g.pid ?? '', count, reason, fromMono, toMono });
      this.totalLost += count;
    }
  }

  private insert(g: Gap): void {
    let list = this.byPid.get(g.pid);
    if (!list) this.byPid.set(g.pid, (list = []));
    // Usually later than every gap so far: append; otherwise keep the list sorted by time.
    let i = list.length;
    while (i > 0 && list[i - 1].fromMono > g.fromMono) i--;
    list.splice(i, 0, g);
    if (list.length > MAX_GAPS_PER_PID) {
      const [a, b] = list;
      list.splice(0, 2, { pid: a.pid, count: a.count + b.count, reason: a.reason === b.reason ? a.reason : 'unknown', fromMono: Math.min(a.fromMono, b.fromMono), toMono: Math.max(a.toMono, b.toMono) });
    }
  }

  /** Gaps of a process ("" = unattributed), oldest first. */
  of(pid: string): readonly Gap[] {
    return this.byPid.get(pid) ?? [];
  }

  /** Events of `pid` lost in all. */
  lostOf(pid: string): number {
    let n = 0;
    for (const g of this.of(pid)) n += g.count;
    return n;
  }

  /** Processes with gaps ("" = unattributed losses). */
  pids(): IterableIterator<string> {
    return this.byPid.keys();
  }

  get empty(): boolean {
    return this.byPid.size === 0 && this.windows.size === 0;
  }

  /** Gaps of `pid` that lie between times a and b (either order, ends excluded). */
  between(pid: string, a: number, b: number): Gap[] {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const list = this.byPid.get(pid);
    if (!list || list.length === 0 || hi <= lo) return [];
    // First gap that ends after lo (gaps of one process do not overlap, so ends are sorted too).
    let l = 0;
    let h = list.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (list[m].toMono <= lo) l = m + 1;
      else h = m;
    }
    const out: Gap[] = [];
    for (let i = l; i < list.length && list[i].fromMono < hi; i++) if (list[i].toMono > lo) out.push(list[i]);
    return out;
  }

  /** Sampling windows overlapping the time between a and b. */
  windowsBetween(a: number, b: number): SamplingWindow[] {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const out: SamplingWindow[] = [];
    for (const w of this.windows.values()) if (w.toMono > lo && w.fromMono < hi) out.push(w);
    return out;
  }

  /**
   * What a move of `pid` from time a to time b went over, or undefined when nothing. With `others`,
   * the losses of every other process in that time are counted too (a continue jumps across processes).
   */
  crossed(pid: string, a: number, b: number, others = false): CrossedGaps | undefined {
    const mine = this.between(pid, a, b);
    let count = 0;
    const reasons = new Set<GapReason>();
    for (const g of mine) {
      count += g.count;
      reasons.add(g.reason);
    }
    let rest = 0;
    if (others) for (const p of this.byPid.keys()) if (p !== pid) for (const g of this.between(p, a, b)) rest += g.count;
    const sampled = this.windowsBetween(a, b);
    if (count === 0 && rest === 0 && sampled.length === 0) return undefined;
    return { count, reasons: [...reasons], others: rest, sampled };
  }

  /** Forgets what ended before `mono` (the oldest retained event): nothing can cross it any more. */
  trim(mono: number): void {
    for (const [pid, list] of this.byPid) {
      let k = 0;
      while (k < list.length && list[k].toMono < mono) k++;
      if (k === list.length) this.byPid.delete(pid);
      else if (k > 0) list.splice(0, k);
    }
    for (const [key, w] of this.windows) if (w.toMono < mono) this.windows.delete(key);
  }
}

/** "1,204 events of this process not recorded (the agent was overloaded)" and the like, for stops and markers. */
export function describeGaps(c: CrossedGaps, subject = 'this process'): string {
  const parts: string[] = [];
  if (c.count > 0) parts.push(`${c.count.toLocaleString('en-US')} event${c.count === 1 ? '' : 's'} of ${subject} not recorded (${c.reasons.map((r) => GAP_REASON_TEXT[r]).join('; ')})`);
  if (c.others > 0) parts.push(`${c.others.toLocaleString('en-US')} of other processes`);
  // One phrase per function, however many windows (levels) it went through.
  const byMfa = new Map<string, { rates: Set<number>; skipped: number; suspended: boolean }>();
  for (const w of c.sampled) {
    const f = byMfa.get(w.mfa) ?? { rates: new Set<number>(), skipped: 0, suspended: false };
    if (w.oneIn > 0) f.rates.add(w.oneIn);
    else f.suspended = true;
    f.skipped += w.count;
    byMfa.set(w.mfa, f);
  }
  const fns = [...byMfa.entries()].sort((a, b) => b[1].skipped - a[1].skipped);
  for (const [mfa, f] of fns.slice(0, 3)) {
    const rates = [...f.rates].sort((a, b) => a - b).map((r) => `1 in ${r}`);
    const how = [rates.length > 0 ? `recorded ${rates.join(', then ')}` : '', f.suspended ? 'suspended' : ''].filter(Boolean).join(', ');
    parts.push(`calls of ${mfa} ${how} meanwhile${f.skipped > 0 ? ` (~${f.skipped.toLocaleString('en-US')} skipped)` : ''}`);
  }
  if (fns.length > 3) parts.push(`${fns.length - 3} more sampled functions`);
  return parts.join('; ');
}
