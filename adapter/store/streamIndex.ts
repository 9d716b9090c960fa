// The stream indexes behind the webviews, kept by the store as it commits events (never by scanning the
// whole ring): one list of message events (SEND, SPAWN, EXIT) and one list of state events per GenServer.
//
// Item `seq` = the store's global event index (what Navigator.goto takes), `time` = the agent's monotonic
// nanoseconds. Stream indexes are stable: item i is the i-th ever appended to the stream; eviction only
// raises `oldest` (see StreamRangeResponse in adapter/protocol/customDap.ts).
import { EventEmitter } from 'events';
import { Kind } from './eventKind';
import { atomName, elixirModule, type ProcState } from './processes';
import type { Committed, RecordingStore } from './recordingStore';
import { RegisteredNames } from './registeredNames';
import { StreamList } from './streamList';

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

/** The stream index of a store if one was made (streamIndexOf), without making one. */
export function existingStreamIndex(store: RecordingStore): StreamIndex | undefined {
  return indexes.get(store);
}
