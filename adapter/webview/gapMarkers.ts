// The gap markers of the webviews: events not recorded between two state versions of a process, or
// between two messages of the recording (per process, busiest first), with why.
import type { GapMarker } from '../protocol/webviewData';
import { GAP_REASON_TEXT, describeGaps, elixirModule, nameOfPid, type GapReason, type ProcState, type RecordingStore } from '../store';

/** Events of p not recorded between two of its versions, and functions of its callback module sampled meanwhile. */
export function versionGap(store: RecordingStore, p: ProcState, from: number, to: number): GapMarker | undefined {
  if (store.gaps.empty) return undefined;
  const c = store.gaps.crossed(p.pid, from, to);
  if (!c) return undefined;
  const mod = p.callbackModule ? `${elixirModule(p.callbackModule)}.` : undefined;
  c.sampled = mod ? c.sampled.filter((w) => w.mfa.startsWith(mod)) : [];
  return c.count > 0 || c.sampled.length > 0 ? { count: c.count, text: describeGaps(c) } : undefined;
}

/** Events of any process not recorded between two messages (times from, to): per process, busiest first. */
export function messageGap(store: RecordingStore, from: number, to: number): GapMarker | undefined {
  const gaps = store.gaps;
  if (gaps.empty) return undefined;
  const per: [string, number][] = [];
  const reasons = new Set<GapReason>();
  let count = 0;
  for (const pid of gaps.pids()) {
    let n = 0;
    for (const g of gaps.between(pid, from, to)) {
      n += g.count;
      reasons.add(g.reason);
    }
    if (n > 0) per.push([pid, n]);
    count += n;
  }
  if (count === 0) return undefined;
  per.sort((a, b) => b[1] - a[1]);
  const who = per.slice(0, 3).map(([pid, n]) => `${pid ? nameOfPid(store, pid) : 'other processes'}: ${n.toLocaleString('en-US')}`);
  if (per.length > 3) who.push(`${per.length - 3} more processes`);
  const why = [...reasons].map((r) => GAP_REASON_TEXT[r]).join('; ');
  return { count, text: `${count.toLocaleString('en-US')} event${count === 1 ? '' : 's'} not recorded (${who.join(', ')}; ${why})` };
}
