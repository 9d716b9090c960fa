// Message sequence model: the events received so far, indexed incrementally — lifelines in order of
// first appearance (named as Debug pane threads are), and seq → event for cursor moves and call/reply pairs.
import type { MessageEvent } from '../adapter/protocol/webviewData';
import { lastAtOrBefore } from './format';

export interface Lane {
  pid: string;
  name: string;
  /** Position among all lanes, in order of first appearance. */
  order: number;
}

export class SeqModel {
  readonly lanes: Lane[] = [];
  private readonly laneByPid = new Map<string, Lane>();
  /** Send seq and receive seq → event index. */
  private readonly bySeq = new Map<number, number>();

  constructor(readonly events: readonly MessageEvent[]) {}

  /** Indexes events[from..]; returns true when new lanes appeared (the lane layout must be redone). */
  index(from: number): boolean {
    const before = this.lanes.length;
    for (let i = from; i < this.events.length; i++) {
      const e = this.events[i];
      this.lane(e.from, e.fromName);
      this.lane(e.to, e.toName);
      this.bySeq.set(e.seq, i);
      if (e.receiveSeq !== undefined) this.bySeq.set(e.receiveSeq, i);
    }
    return this.lanes.length !== before;
  }

  clear(): void {
    this.lanes.length = 0;
    this.laneByPid.clear();
    this.bySeq.clear();
  }

  laneOf(pid: string): Lane | undefined {
    return this.laneByPid.get(pid);
  }

  /** Index of the event with this send/receive seq, or undefined. */
  eventOfSeq(seq: number): number | undefined {
    return this.bySeq.get(seq);
  }

  /** The event at the cursor: exact send/receive match, else the last message sent before it. */
  eventAtCursor(seq: number): number {
    return this.bySeq.get(seq) ?? lastAtOrBefore(this.events, seq, (e) => e.seq);
  }

  /** Index of the reply of a call (or the call of a reply). */
  partner(i: number): number | undefined {
    const p = this.events[i]?.pairSeq;
    return p === undefined ? undefined : this.bySeq.get(p);
  }

  private lane(pid: string, name: string): void {
    const lane = this.laneByPid.get(pid);
    if (!lane) {
      const l = { pid, name: name || pid, order: this.lanes.length };
      this.lanes.push(l);
      this.laneByPid.set(pid, l);
    } else if (name && name !== lane.name && name.length > lane.name.length) {
      // A process gets a better name once registered (`<0.1.0>` → `Bank.Ledger <0.1.0>`).
      lane.name = name;
    }
  }
}
