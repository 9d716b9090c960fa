// SEND, SPAWN and EXIT events of the recording as the webviews' MessageEvent items: kind (call, reply,
// cast, info), sender and receiver, the message as a TermView, and the gap since the previous message.
import type { elixirscope } from '../gen/wire';
import type { MessageEvent, MessageKind } from '../protocol/webviewData';
import { Kind, existingStreamIndex, formatMfa, nameOfPid, type ProcState, type RecordingStore, type RegisteredNames } from '../store';
import { elixirAtom } from '../terms/format';
import { NOT_KEPT, termView } from '../terms/termView';
import { messageGap } from './gapMarkers';

type Term = elixirscope.Term.$Properties;

/** The MessageEvent of SEND, SPAWN or EXIT event g, or undefined for other kinds or evicted events. */
export function messageEvent(store: RecordingStore, g: number, names?: RegisteredNames): MessageEvent | undefined {
  if (!store.has(g)) return undefined;
  const c = store.cols;
  const s = store.slot(g);
  const kind = c.kind[s];
  const p = store.process(c.pid[s]);
  const base = { seq: g, time: c.mono[s], from: p.pid, fromName: p.name };
  if (kind === Kind.SEND) return withMessageGap(store, g, sendEvent(store, g, s, base, names));
  if (kind === Kind.SPAWN) {
    const b = store.body(g)?.spawn;
    const child = c.other[s] !== 0 ? store.process(c.other[s] - 1) : undefined;
    const to = child?.pid ?? b?.child ?? '';
    // The child's initial call (`Bank.Account:init/1` for a GenServer) says more than proc_lib's entry point.
    const entry = child?.initialCall ? initialCallText(child.initialCall) : b?.entry ? formatMfa({ module: b.entry.module ?? '', function: b.entry.function ?? '', arity: b.entry.arity ?? 0 }) : '?';
    return withMessageGap(store, g, { ...base, kind: 'spawn', to, toName: child?.name ?? to, message: { kind: 'other', text: entry } });
  }
  if (kind === Kind.EXIT) {
    const b = store.body(g)?.exit;
    const to = exitPeer(store, p);
    return withMessageGap(store, g, { ...base, kind: 'exit', to, toName: to === p.pid ? p.name : nameOfPid(store, to), message: b ? termView(b.reason) : NOT_KEPT('exit reason') });
  }
  return undefined;
}

/** `Elixir.Bank.Account:init/1` → `Bank.Account.init/1`. */
function initialCallText(ic: string): string {
  const m = /^(.*):([^:/]+)\/(\d+)$/.exec(ic);
  return m ? formatMfa({ module: m[1], function: m[2], arity: Number(m[3]) }) : ic;
}

/** Who got the exit signal: the parent when linked to it (a supervisor), else a linked process, else the process itself. */
function exitPeer(store: RecordingStore, p: ProcState): string {
  if (p.parent && p.links.has(p.parent)) return p.parent;
  const linked = p.links.values().next();
  if (!linked.done) return linked.value;
  return p.parent || p.pid;
}

function sendEvent(store: RecordingStore, g: number, s: number, base: Pick<MessageEvent, 'seq' | 'time' | 'from' | 'fromName'>, names?: RegisteredNames): MessageEvent {
  const c = store.cols;
  const body = store.body(g)?.send;
  const msg = body?.message ?? undefined;
  const items = msg?.tuple && !msg.tuple.omitted ? (msg.tuple.items ?? []) : undefined;
  const tag = items?.[0]?.atom;
  const callTag = c.callTag[s];
  const peer = c.peer[s] >= 0 && store.has(c.peer[s]) ? c.peer[s] : -1;
  let kind: MessageKind;
  let inner: Term | undefined = msg;
  if (tag === '$gen_call' && items!.length === 3) {
    kind = 'call';
    inner = items![2];
  } else if (callTag !== 0) {
    // Tagged but not a request: {Tag, Reply}, the reply of a GenServer.call (its request may be evicted).
    // Without a body (too large to keep) the pairing order decides; unpaired, it is taken for a request.
    kind = body ? 'reply' : peer >= 0 && peer < g ? 'reply' : 'call';
    if (kind === 'reply' && items?.length === 2) inner = items[1];
  } else if (tag === '$gen_cast' && items!.length === 2) {
    kind = 'cast';
    inner = items![1];
  } else {
    kind = 'info';
  }
  const e: MessageEvent = { ...base, kind, to: '', toName: '', message: body ? termView(inner) : NOT_KEPT('message') };
  // The receiver: the process of the paired receive (exact), else the send's `other`, else for a reply the requester, else the name sent to.
  const m = c.match[s];
  let to: ProcState | undefined;
  if (m >= 0 && store.has(m)) {
    e.receiveSeq = m;
    e.receiveTime = c.mono[store.slot(m)];
    to = store.process(c.pid[store.slot(m)]);
  } else if (c.other[s] !== 0) to = store.process(c.other[s] - 1);
  else if (kind === 'reply' && peer >= 0) to = store.process(c.pid[store.slot(peer)]);
  if (to) {
    e.to = to.pid;
    e.toName = to.name;
  } else {
    const name = body?.to ?? '';
    const pid = /^<\d+\.\d+\.\d+>$/.test(name) ? name : names?.pidOf(name);
    e.to = pid ?? name;
    // A registered name prints as an atom; an alias (`#Ref<…>`, a reply whose request was not recorded) as it is.
    e.toName = pid ? nameOfPid(store, pid) : /^[#<]/.test(name) ? name : name ? elixirAtom(name) : '?';
  }
  if (callTag !== 0 && peer >= 0 && (kind === 'call' || kind === 'reply')) e.pairSeq = peer;
  return e;
}

/** The message event of g with the gap since the previous message of the stream, if any. */
function withMessageGap(store: RecordingStore, g: number, e: MessageEvent): MessageEvent {
  if (store.gaps.empty) return e;
  const prev = existingStreamIndex(store)?.messages.before(g) ?? -1;
  if (prev < 0 || !store.has(prev)) return e;
  const gap = messageGap(store, store.cols.mono[store.slot(prev)], e.time);
  if (gap) e.gapBefore = gap;
  return e;
}
