// What a cursor move means to the user: the DAP stop reason, its description and the breakpoint hit.
import type { BreakpointBook } from '../runtime/breakpointBook';
import { HIT_CRASH, HIT_RAISED } from '../gen/version';
import type { Moved } from '../store';
import { describeGaps } from '../store/gaps';

export interface StopDescription {
  reason: 'breakpoint' | 'exception' | 'step' | 'pause' | 'entry' | 'goto' | 'data breakpoint';
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
}

/** `what` says what the event under the cursor is (see eventSummary). A move over events the agent did not
 *  record says so ("stepped over a gap: 1,204 events of this process not recorded (…)"). */
export function describeStop(m: Moved, book: BreakpointBook, what: string, watchPaths: ReadonlyMap<number, string> = new Map()): StopDescription {
  return withGapNote(m, describeMove(m, book, what, watchPaths));
}

function withGapNote(m: Moved, d: StopDescription): StopDescription {
  if (!m.gaps) return d;
  const note = `${m.reason === 'step' ? 'stepped' : 'continued'} over a gap: ${describeGaps(m.gaps)}`;
  return { ...d, description: `${d.description} — ${note}`, text: d.text ? `${d.text}; ${note}` : note };
}

function describeMove(m: Moved, book: BreakpointBook, what: string, watchPaths: ReadonlyMap<number, string>): StopDescription {
  if (m.watch) {
    const path = watchPaths.get(m.watch.id) ?? 'a watched value';
    return { reason: 'data breakpoint', description: `${path} changed: ${m.watch.before} → ${m.watch.after}`, hitBreakpointIds: [m.watch.id] };
  }
  if (m.reason === 'breakpoint' && m.hit === HIT_RAISED) return { reason: 'exception', description: 'Exception raised', text: 'raised in traced code' };
  if (m.reason === 'breakpoint' && m.hit === HIT_CRASH) return { reason: 'exception', description: 'Process crashed', text: 'a process that ran traced code exited abnormally' };
  if (m.reason === 'breakpoint' && m.hit > 0) {
    const bp = book.byId(m.hit);
    const where = bp?.function ? bp.function : bp?.line ? `${bp.file.split('/').pop()}:${bp.line}` : `breakpoint ${m.hit}`;
    return { reason: 'breakpoint', description: `Paused on breakpoint (${where})${bp?.condition ? ` when ${bp.condition}` : ''}`, hitBreakpointIds: [m.hit] };
  }
  switch (m.reason) {
    case 'breakpoint':
      return { reason: 'step', description: `No later breakpoint hit: ${what}` };
    case 'pause':
      return { reason: 'pause', description: `Paused on the latest recorded event: ${what}` };
    case 'entry':
      return { reason: 'entry', description: `First recorded event of this process: ${what}` };
    case 'goto':
      return { reason: 'goto', description: what };
    case 'evicted':
      return { reason: 'step', description: `The event under the cursor was overwritten; now at the oldest retained one: ${what}` };
    default:
      return { reason: 'step', description: what };
  }
}
