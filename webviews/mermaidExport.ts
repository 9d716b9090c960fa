// Mermaid `sequenceDiagram` text for a list of messages: participants in lifeline order, one arrow style
// per kind (call ->>, reply -->>, cast -), info --), spawn ->, exit -x or a note).
import type { MessageEvent } from '../adapter/protocol/webviewData';
import { Lane } from './seqModel';

const ARROW: Record<MessageEvent['kind'], string> = { call: '->>', reply: '-->>', cast: '-)', info: '--)', spawn: '->', exit: '-x' };

/** Mermaid reads `;` as a statement end, `#…;` as an entity and `<…>` as HTML: encode them as entities. */
const ENTITY: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' };

export function mermaidText(s: string): string {
  // One pass, so the `#` and `;` of an inserted entity are never encoded again.
  return s.replace(/[#;<>]/g, (c) => ENTITY[c]).replace(/[\r\n]+/g, ' ');
}

export function toMermaid(events: readonly MessageEvent[], lanes: readonly Lane[]): string {
  const used = new Set<string>();
  for (const e of events) {
    used.add(e.from);
    if (e.kind !== 'exit') used.add(e.to);
    else if (e.to !== e.from) used.add(e.to);
  }
  const alias = new Map<string, string>();
  const lines = ['sequenceDiagram'];
  for (const l of lanes) {
    if (!used.has(l.pid)) continue;
    const a = `P${alias.size + 1}`;
    alias.set(l.pid, a);
    lines.push(`    participant ${a} as ${mermaidText(l.name)}`);
  }
  for (const e of events) {
    const from = alias.get(e.from);
    const to = alias.get(e.to);
    if (!from) continue;
    const text = mermaidText(e.kind === 'spawn' ? `spawn ${e.message.text}` : e.kind === 'exit' ? `exit ${e.message.text}` : e.message.text);
    if (e.kind === 'exit' && (e.to === e.from || !to)) lines.push(`    Note over ${from}: ${text}`);
    else if (to) lines.push(`    ${from}${ARROW[e.kind]}${to}: ${text}`);
  }
  return `${lines.join('\n')}\n`;
}
