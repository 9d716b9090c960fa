// Maps the recording store to the webviews' data model (adapter/protocol/webviewData.ts): captured terms
// to TermView trees, STATE events to StateVersion, SEND/SPAWN/EXIT events to MessageEvent; and keeps the
// incremental stream indexes behind the custom DAP requests (one list of state events per GenServer, one
// list of message events), filled as the store commits events, never by scanning the whole ring.
//
// Item `seq` = the store's global event index (what Navigator.goto takes), `time` = the agent's monotonic
// nanoseconds. Stream indexes are stable: item i is the i-th ever appended to the stream; eviction only
// raises `oldest` (see StreamRangeResponse in adapter/protocol/customDap.ts).
import { EventEmitter } from 'events';
import type { elixirscope } from '../gen/wire';
import type { GapMarker, MessageEvent, MessageKind, StateCallback, StateVersion, TermChild, TermKind, TermView } from '../protocol/webviewData';
import { GAP_REASON_TEXT, Kind, ProcState, atomName, describeGaps, elixirModule, formatMfa, type Committed, type GapReason, type RecordingStore } from '../store';
import { elixirAtom, formatTerm, printableUtf8 } from '../terms/format';

type Term = elixirscope.Term.$Properties;

// ───────────── Terms ─────────────

/** Longest `text` of a container node; scalars get the same limit (the agent already bounds sizes). */
const TEXT_LIMIT = 1000;

/** A captured term as a TermView tree: Elixir text per node, children for maps, structs, lists, tuples, keyword lists. */
export function termView(t: Term | null | undefined): TermView {
  const term = t ?? {};
  const kind = termKind(term);
  if (term.tuple) {
    const items = (term.tuple.items ?? []).map(termView);
    const v: TermView = { kind, text: '', children: items.map((value, i) => ({ key: `{${i}}`, value })) };
    v.text = clip(`{${items.map((i) => i.text).join(', ')}${more(items.length, v, term.tuple.omitted)}}`);
    return v;
  }
  if (term.list && (kind === 'list' || kind === 'keyword')) {
    const l = term.list;
    if (kind === 'keyword') {
      const pairs = (l.items ?? []).map((it) => ({ key: it.tuple!.items![0].atom!, value: termView(it.tuple!.items![1]) }));
      if (!pairs.every((p) => PLAIN_ATOM.test(p.key))) return withOmitted({ ...textOnly(term, kind), children: uniqueKeys(pairs) }, l.omitted);
      const v: TermView = { kind, text: '' };
      v.text = clip(`[${pairs.map((p) => `${p.key}: ${p.value.text}`).join(', ')}${l.omitted ? `, …(+${l.omitted})` : ''}]`);
      v.children = uniqueKeys(pairs);
      omitted(v, l.omitted);
      return v;
    }
    const items = (l.items ?? []).map(termView);
    const v: TermView = { kind, text: '', children: items.map((value, i) => ({ key: `[${i}]`, value })) };
    const tail = l.tail ? termView(l.tail) : undefined;
    if (tail) v.children!.push({ key: '| tail', value: tail });
    v.text = clip(`[${items.map((i) => i.text).join(', ')}${tail ? ` | ${tail.text}` : ''}${more(items.length, v, l.omitted)}]`);
    return v;
  }
  if (term.map) {
    const struct = kind === 'struct';
    const fields = (term.map.entries ?? []).filter((e) => !(struct && e.key?.atom === '__struct__'));
    const atomKeys = fields.every((e) => e.key?.atom != null);
    const children = fields.map((e) => ({ key: e.key?.atom != null ? e.key.atom : formatTerm(e.key ?? {}, { maxLength: 80 }), value: termView(e.value) }));
    if (atomKeys && !children.every((c) => PLAIN_ATOM.test(c.key))) return withOmitted({ ...textOnly(term, kind), children: uniqueKeys(children) }, term.map.omitted);
    const open = struct ? `%${elixirAtom(term.map.entries!.find((e) => e.key?.atom === '__struct__')!.value!.atom!).replace(/^:/, '')}{` : '%{';
    const parts = fields.map((e, i) => (atomKeys ? `${children[i].key}: ${children[i].value.text}` : `${formatTerm(e.key ?? {})} => ${children[i].value.text}`));
    const v: TermView = { kind, text: '', children: uniqueKeys(children) };
    v.text = clip(`${open}${parts.join(', ')}${more(fields.length, v, term.map.omitted)}}`);
    return v;
  }
  return textOnly(term, kind);
}

/** Atoms Elixir writes bare as keyword keys (`balance:`); others make the node fall back to formatTerm. */
const PLAIN_ATOM = /^[a-zA-Z_][a-zA-Z0-9_@]*[?!]?$/;

function withOmitted(v: TermView, n: number | null | undefined): TermView {
  omitted(v, n);
  return v;
}

function textOnly(term: Term, kind: TermKind): TermView {
  // One past the limit, then clip: the writer stops without a mark when parts end exactly at its limit.
  return { kind, text: clip(formatTerm(term, { maxLength: TEXT_LIMIT + 1 })) };
}

/** The "…(+N)" of a cut collection (as terms/format.ts writes it), recording `omitted` on the node. */
function more(shown: number, v: TermView, n: number | null | undefined): string {
  omitted(v, n);
  return v.omitted ? `${shown ? ', ' : ''}…(+${v.omitted})` : '';
}

/** Container texts are composed from their children's (linear, unlike formatting each subtree again), cut like formatTerm's. */
function clip(s: string): string {
  return s.length > TEXT_LIMIT ? `${s.slice(0, TEXT_LIMIT - 1)}…` : s;
}

function termKind(t: Term): TermKind {
  if (t.atom != null) return 'atom';
  if (t.int != null || t.bigInt) return 'int';
  if (t.float != null) return 'float';
  if (t.binary) return printableUtf8(t.binary.data ?? new Uint8Array()) !== undefined ? 'string' : 'binary';
  if (t.bitstring) return 'bitstring';
  if (t.list) {
    const items = t.list.items ?? [];
    if (!t.list.tail && items.length > 0) {
      if (items.every((it) => it.int != null && isPrintable(Number(it.int)))) return 'charlist';
      if (items.every((it) => it.tuple?.items?.length === 2 && !it.tuple.omitted && it.tuple.items[0].atom != null)) return 'keyword';
    }
    return 'list';
  }
  if (t.tuple) return 'tuple';
  if (t.map) return t.map.entries?.some((e) => e.key?.atom === '__struct__' && e.value?.atom) ? 'struct' : 'map';
  if (t.pid) return 'pid';
  if (t.port) return 'port';
  if (t.ref) return 'ref';
  if (t.fun) return 'fun';
  if (t.truncated) return 'truncated';
  return 'other';
}

/** The same characters terms/format.ts prints as a charlist. */
function isPrintable(n: number): boolean {
  return (n >= 32 && n <= 126) || n === 10 || n === 9 || n === 13;
}

function omitted(v: TermView, n: number | null | undefined): void {
  const k = Number(n ?? 0);
  if (k > 0) v.omitted = k;
}

/** Keyword lists may repeat keys; rendered keys must be unique within a parent: `key`, `key (2)`, … */
function uniqueKeys(children: TermChild[]): TermChild[] {
  const seen = new Map<string, number>();
  for (const c of children) {
    const n = (seen.get(c.key) ?? 0) + 1;
    seen.set(c.key, n);
    if (n > 1) c.key = `${c.key} (${n})`;
  }
  return children;
}

const NOT_KEPT = (what: string): TermView => ({ kind: 'truncated', text: `…(${what} too large to keep)` });

// ───────────── State versions ─────────────

/**
 * The version number users see, in the Debug pane and in the views alike: the agent numbers a
 * process's versions from 1, users from 0 (v0 = the state init/1 returned, before any message).
 */
export function shownVersion(agentVersion: number): number {
  return Math.max(0, agentVersion - 1);
}

const CALLBACKS: ReadonlySet<string> = new Set<StateCallback>(['init', 'handle_call', 'handle_cast', 'handle_info', 'handle_continue', 'initial']);

/** The StateVersion of STATE event g, or undefined when g is not a retained STATE event. */
export function stateVersion(store: RecordingStore, g: number): StateVersion | undefined {
  if (!store.has(g) || store.kind(g) !== Kind.STATE) return undefined;
  const s = store.slot(g);
  const p = store.process(store.cols.pid[s]);
  const b = store.body(g)?.state;
  const callback = (b?.callback && CALLBACKS.has(b.callback) ? b.callback : b ? 'handle_info' : 'initial') as StateCallback;
  const v: StateVersion = {
    seq: g,
    time: store.cols.mono[s],
    pid: p.pid,
    process: p.name,
    version: shownVersion(b?.version ?? 1),
    callback,
    state: b ? termView(b.state) : NOT_KEPT('state'),
  };
  if (b?.message && callback !== 'init' && callback !== 'initial') v.message = termView(b.message);
  if (b?.from) v.from = nameOfPid(store, b.from);
  const prev = p.states.prev(g);
  const gap = prev >= 0 && store.has(prev) ? versionGap(store, p, store.cols.mono[store.slot(prev)], v.time) : undefined;
  if (gap) v.gapBefore = gap;
  return v;
}

// ───────────── Gaps ─────────────

/** Events of p not recorded between two of its versions, and functions of its callback module sampled meanwhile. */
function versionGap(store: RecordingStore, p: ProcState, from: number, to: number): GapMarker | undefined {
  if (store.gaps.empty) return undefined;
  const c = store.gaps.crossed(p.pid, from, to);
  if (!c) return undefined;
  const mod = p.callbackModule ? `${elixirModule(p.callbackModule)}.` : undefined;
  c.sampled = mod ? c.sampled.filter((w) => w.mfa.startsWith(mod)) : [];
  return c.count > 0 || c.sampled.length > 0 ? { count: c.count, text: describeGaps(c) } : undefined;
}

/** Events of any process not recorded between two messages (times from, to): per process, busiest first. */
function messageGap(store: RecordingStore, from: number, to: number): GapMarker | undefined {
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

/** The message event of g with the gap since the previous message of the stream, if any. */
function withMessageGap(store: RecordingStore, g: number, e: MessageEvent): MessageEvent {
  if (store.gaps.empty) return e;
  const prev = indexes.get(store)?.messages.before(g) ?? -1;
  if (prev < 0 || !store.has(prev)) return e;
  const gap = messageGap(store, store.cols.mono[store.slot(prev)], e.time);
  if (gap) e.gapBefore = gap;
  return e;
}

function nameOfPid(store: RecordingStore, pid: string): string {
  const id = store.pidId(pid);
  return id === undefined ? pid : store.process(id).name;
}

// ───────────── Messages ─────────────

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

/** Registered name → pid, kept from the store's process metadata (for sends by name whose receive was not recorded). */
export class RegisteredNames {
  private readonly byName = new Map<string, string>();
  constructor(store: RecordingStore) {
    for (const p of store.interner.procs) if (p && p.registeredName && !p.released) this.byName.set(p.registeredName, p.pid);
    store.on('process', (p) => {
      if (p.registeredName) this.byName.set(p.registeredName, p.pid);
    });
  }
  pidOf(name: string): string | undefined {
    return this.byName.get(name);
  }
}

// ───────────── Stream indexes ─────────────

/** An append-only list of global event indexes with stable positions: item i is the i-th ever pushed. */
export class StreamList {
  private buf = new Float64Array(64);
  private start = 0;
  private end = 0;
  /** Items that left the front (evicted): the first answerable stream index. */
  dropped = 0;

  get total(): number {
    return this.dropped + this.end - this.start;
  }

  get oldest(): number {
    return this.dropped;
  }

  push(g: number): void {
    if (this.end === this.buf.length) {
      const live = this.end - this.start;
      const next = live * 2 > this.buf.length ? new Float64Array(this.buf.length * 2) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf[this.end++] = g;
  }

  /** Global index of stream item i, or -1 when evicted or not recorded (yet). */
  at(i: number): number {
    const k = i - this.dropped;
    return k >= 0 && this.start + k < this.end ? this.buf[this.start + k] : -1;
  }

  last(): number {
    return this.end > this.start ? this.buf[this.end - 1] : -1;
  }

  /** The retained item just before global index g (items ascend), or -1. */
  before(g: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (this.buf[m] < g) lo = m + 1;
      else hi = m;
    }
    return lo > this.start ? this.buf[lo - 1] : -1;
  }

  /** Drops items whose events were evicted (global index below `head`). */
  trim(head: number): void {
    while (this.start < this.end && this.buf[this.start] < head) {
      this.start++;
      this.dropped++;
    }
  }
}

/** One GenServer's versions: every incarnation under a registered (or via) name, else one pid. */
export interface VersionStream {
  key: string;
  title: string;
  list: StreamList;
  /** Pids of its incarnations, oldest first. */
  pids: string[];
}

export interface StreamIndexEvents {
  /** Events were committed: the messages stream and these version streams may have grown. */
  grew: [{ messages: boolean; versionKeys: Set<string> }];
}

/**
 * The webview streams of one store, maintained on commit: `messages` (SEND, SPAWN, EXIT events) and one
 * version stream per GenServer (STATE events). Costs one kind check per committed event.
 */
export class StreamIndex extends EventEmitter<StreamIndexEvents> {
  readonly messages = new StreamList();
  readonly versions = new Map<string, VersionStream>();
  /** Pid → its version stream key, fixed at the pid's first version so its indexes stay stable. */
  private readonly keyOfPid = new Map<string, string>();
  readonly names: RegisteredNames;

  constructor(readonly store: RecordingStore) {
    super();
    this.names = new RegisteredNames(store);
    this.add(store.head, store.tail);
    store.on('committed', (c: Committed) => this.add(c.from, c.to));
    store.on('historyDropped', () => this.trim());
  }

  /** Version stream key of a pid (undefined when it has no state versions yet). */
  keyOf(pid: string): string | undefined {
    return this.keyOfPid.get(pid);
  }

  private add(from: number, to: number): void {
    const st = this.store;
    const c = st.cols;
    let messages = false;
    const versionKeys = new Set<string>();
    for (let g = Math.max(from, st.head); g < to; g++) {
      const s = st.slot(g);
      const k = c.kind[s];
      if (k === Kind.SEND || k === Kind.SPAWN || k === Kind.EXIT) {
        this.messages.push(g);
        messages = true;
      } else if (k === Kind.STATE) {
        const vs = this.streamOf(st.process(c.pid[s]));
        vs.list.push(g);
        versionKeys.add(vs.key);
      }
    }
    if (messages || versionKeys.size > 0) this.emit('grew', { messages, versionKeys });
  }

  private streamOf(p: ProcState): VersionStream {
    let key = this.keyOfPid.get(p.pid);
    let vs = key === undefined ? undefined : this.versions.get(key);
    if (vs) return vs;
    const named = p.registeredName || p.viaName;
    key = named ? `name:${named}` : `pid:${p.pid}`;
    this.keyOfPid.set(p.pid, key);
    vs = this.versions.get(key);
    if (!vs) {
      vs = { key, title: named ? titleOf(p) : p.name, list: new StreamList(), pids: [] };
      this.versions.set(key, vs);
    }
    if (!vs.pids.includes(p.pid)) vs.pids.push(p.pid);
    return vs;
  }

  /** Evicted events leave the front of every stream; their indexes stay counted. */
  trim(): void {
    const head = this.store.head;
    this.messages.trim(head);
    for (const vs of this.versions.values()) vs.list.trim(head);
  }
}

/** Heading of a registered GenServer's view: `Bank.Ledger` (module and name once when they agree), `Bank.Account :b`. */
function titleOf(p: ProcState): string {
  const mod = p.callbackModule ? elixirModule(p.callbackModule) : '';
  const name = p.registeredName ? atomName(p.registeredName) : p.viaName;
  return mod && mod !== name ? `${mod} ${name}` : name;
}

const indexes = new WeakMap<RecordingStore, StreamIndex>();

/** The stream index of a store, created on first use (it then indexes what the store retains and follows its commits). */
export function streamIndexOf(store: RecordingStore): StreamIndex {
  let ix = indexes.get(store);
  if (!ix) {
    ix = new StreamIndex(store);
    indexes.set(store, ix);
  }
  return ix;
}
