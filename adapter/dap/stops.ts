// What a cursor move means to the user: the DAP stop reason, its description and the breakpoint hit.
import type { BreakpointBook } from '../runtime/breakpointBook';
import { CRASH_HIT, RAISED_HIT } from '../runtime/breakpointBook';
import type { Moved } from '../store';

export interface StopDescription {
  reason: 'breakpoint' | 'exception' | 'step' | 'pause' | 'entry' | 'goto' | 'data breakpoint';
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
}

export function describeStop(m: Moved, book: BreakpointBook): StopDescription {
  if (m.reason === 'breakpoint' && m.hit === RAISED_HIT) return { reason: 'exception', description: 'Exception raised', text: 'raised in traced code' };
  if (m.reason === 'breakpoint' && m.hit === CRASH_HIT) return { reason: 'exception', description: 'Process crashed', text: 'a process that ran traced code exited abnormally' };
  if (m.reason === 'breakpoint' && m.hit > 0) {
    const bp = book.byId(m.hit);
    const where = bp?.function ? bp.function : bp?.line ? `${bp.file.split('/').pop()}:${bp.line}` : `breakpoint ${m.hit}`;
    return { reason: 'breakpoint', description: `Paused on breakpoint (${where})${bp?.condition ? ` when ${bp.condition}` : ''}`, hitBreakpointIds: [m.hit] };
  }
  switch (m.reason) {
    case 'breakpoint':
      return { reason: 'step', description: 'No later breakpoint hit' };
    case 'pause':
      return { reason: 'pause', description: 'Paused on the latest recorded event' };
    case 'entry':
      return { reason: 'entry', description: 'First recorded event of this process' };
    case 'goto':
      return { reason: 'goto', description: 'Moved to the selected event' };
    case 'evicted':
      return { reason: 'step', description: 'The event under the cursor was overwritten; moved to the oldest retained one' };
    default:
      return { reason: 'step', description: 'Step' };
  }
}
