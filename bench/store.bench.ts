// Recording store benchmark: ingest rate from encoded agent frames (vs. bare protobuf decode of the same
// frames), step latency on a 1,000,000-event recording, bytes per retained event, heap during a soak at capacity.
// Env: STORE_BENCH_EVENTS (recording size, default 1,000,000), STORE_BENCH_SOAK_S (soak seconds, default 20).

import * as os from 'os';
import { elixirscope } from '../adapter/gen/wire';
import { Navigator, RecordingStore, StepKind } from '../adapter/store';
import { BenchRow } from './types';
import { gcFn } from './gc';
import { ColumnBatch } from './columnBatch';

const EVENTS = Number(process.env.STORE_BENCH_EVENTS ?? 1_000_000);
const SOAK_S = Number(process.env.STORE_BENCH_SOAK_S ?? 20);
const BATCH = 1000;

const K = elixirscope.EventKind;
type Term = elixirscope.Term.$Properties;


/**
 * A typical workload: 40 clients calling 10 Bank.Account GenServers (call, $gen_call send/receive,
 * handle_call with two line probes, return, state version, reply) while one worker process runs a
 * single long frame (run/0, open for the whole recording) calling step/1 — 14 events per request.
 * Bodies come from a pool of pre-encoded variants (the store never looks inside them on ingest).
 */
class Workload {
  private seq = 0;
  private req = 0;
  private readonly pids: string[] = [];
  private readonly mfas: elixirscope.Mfa.$Properties[] = [
    {},
    { module: 'Elixir.Bank', function: 'deposit', arity: 2 },
    { module: 'Elixir.Bank.Account', function: 'handle_call', arity: 3 },
    { module: 'Elixir.Worker', function: 'step', arity: 1 },
    { module: 'Elixir.Worker', function: 'run', arity: 0 },
  ];
  private readonly pool: Record<string, Uint8Array[]> = {};
  private started = false;

  constructor() {
    for (let i = 0; i < 10; i++) this.pids.push(`<0.${200 + i}.0>`);
    for (let i = 0; i < 40; i++) this.pids.push(`<0.${300 + i}.0>`);
    this.pids.push('<0.999.0>');
    const enc = (b: elixirscope.EventBody.$Properties) => elixirscope.EventBody.encode(b).finish();
    const acct = (n: number): Term => ({ map: { entries: [
      { key: { atom: '__struct__' }, value: { atom: 'Elixir.Bank.Account' } },
      { key: { atom: 'balance' }, value: { int: n } },
      { key: { atom: 'id' }, value: { atom: 'b' } },
      { key: { atom: 'ops' }, value: { int: n % 97 } },
    ] } });
    const req = (n: number): Term => ({ tuple: { items: [{ atom: 'deposit' }, { int: n }] } });
    const from: Term = { tuple: { items: [{ pid: { node: 'nonode@nohost', repr: '<0.301.0>' } }, { ref: { node: 'nonode@nohost', repr: '#Ref<0.1.2.3>' } }] } };
    const pool = (name: string, f: (n: number) => Uint8Array) => (this.pool[name] = Array.from({ length: 16 }, (_, n) => f(n * 37 + 5)));
    pool('apiCall', (n) => enc({ call: { args: [{ atom: 'b' }, { int: n }], clause: 1, line: 12, bindings: [{ name: 'amount', value: { int: n } }] } }));
    pool('send', (n) => enc({ send: { to: '<0.200.0>', message: { tuple: { items: [{ atom: '$gen_call' }, from, req(n)] } } } }));
    pool('recv', (n) => enc({ receive: { message: { tuple: { items: [{ atom: '$gen_call' }, from, req(n)] } } } }));
    pool('hcall', (n) => enc({ call: { args: [req(n), from, acct(n)], clause: 1, line: 40, bindings: [{ name: 'amount', value: { int: n } }, { name: 'state', value: acct(n) }] } }));
    pool('line1', (n) => enc({ line: { line: 41, file: 'lib/bank/account.ex', bindings: [{ name: 'amount', value: { int: n } }, { name: 'state', value: acct(n) }] } }));
    pool('line2', (n) => enc({ line: { line: 42, file: 'lib/bank/account.ex', bindings: [{ name: 'new_state', value: acct(n + 1) }] } }));
    pool('hret', (n) => enc({ return: { value: { tuple: { items: [{ atom: 'reply' }, { atom: 'ok' }, acct(n + 1)] } } } }));
    pool('state', (n) => enc({ state: { version: n, callback: 'handle_call', message: req(n), state: acct(n + 1), from: '<0.301.0>' } }));
    pool('reply', () => enc({ send: { to: '<0.301.0>', message: { tuple: { items: [{ ref: { node: 'nonode@nohost', repr: '#Ref<0.1.2.3>' } }, { atom: 'ok' }] } } } }));
    pool('replyRecv', () => enc({ receive: { message: { tuple: { items: [{ ref: { node: 'nonode@nohost', repr: '#Ref<0.1.2.3>' } }, { atom: 'ok' }] } } } }));
    pool('apiRet', () => enc({ return: { value: { atom: 'ok' } } }));
    pool('wcall', (n) => enc({ call: { args: [{ int: n }], clause: 1, line: 7, bindings: [{ name: 'i', value: { int: n } }] } }));
    pool('wline', (n) => enc({ line: { line: 8, file: 'lib/worker.ex', bindings: [{ name: 'i', value: { int: n } }, { name: 'acc', value: { list: { items: [{ int: n }, { int: n + 1 }] } } }] } }));
    pool('wret', (n) => enc({ return: { value: { int: n } } }));
    pool('empty', () => new Uint8Array(0));
  }

  /** One encoded AgentMessage with `n` events. */
  frame(n = BATCH): Uint8Array {
    const b = new ColumnBatch();
    const push = (pid: number, kind: number, mfa: number, body: string, other = 0, hash = 0, tag = 0, hit = 0) => {
      const s = this.seq++;
      b.push(s, pid, kind, mfa, this.pool[body][s & 15], { other, msgHash: hash, callTag: tag, hit });
    };
    const W = 50;
    if (!this.started) {
      this.started = true;
      push(W, K.CALL, 4, 'empty');
    }
    while (b.length < n) {
      const r = this.req++;
      const srv = r % 10;
      const cli = 10 + (r % 40);
      const h1 = ((r * 2654435761) >>> 0) | 1;
      const h2 = ((r * 40503 + 7) >>> 0) | 1;
      const tag = (r % 100000) + 1;
      push(cli, K.CALL, 1, 'apiCall');
      push(cli, K.SEND, 0, 'send', srv + 1, h1, tag);
      push(srv, K.RECEIVE, 0, 'recv', 0, h1);
      push(srv, K.CALL, 2, 'hcall');
      push(srv, K.LINE, 0, 'line1', 0, 0, 0, r % 71 === 0 ? 1 : 0);
      push(srv, K.LINE, 0, 'line2');
      push(srv, K.RETURN, 2, 'hret');
      push(srv, K.STATE, 0, 'state');
      push(srv, K.SEND, 0, 'reply', cli + 1, h2, tag);
      push(cli, K.RECEIVE, 0, 'replyRecv', 0, h2);
      push(cli, K.RETURN, 1, 'apiRet');
      push(W, K.CALL, 3, 'wcall');
      push(W, K.LINE, 0, 'wline');
      push(W, K.RETURN, 3, 'wret');
    }
    return b.encode(this.pids, this.mfas);
  }

  frames(events: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let n = 0; n < events; n += BATCH) out.push(this.frame());
    return out;
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const mb = (b: number) => b / 1024 / 1024;
/** Process CPU seconds (user + system): "events/s on one core" even when other jobs share the machine. */
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function run(): Promise<BenchRow[]> {
  const gc = gcFn();
  const rows: BenchRow[] = [];
  const work = new Workload();
  const store = new RecordingStore({ maxEvents: Math.max(EVENTS, 1000), flushDelayMs: 0 });

  // Warm-up (JIT) on a throwaway store, not timed.
  {
    const warm = new RecordingStore({ maxEvents: 100_000, flushDelayMs: 0 });
    const wf = new Workload().frames(200_000);
    for (const f of wf) elixirscope.AgentMessage.decode(f);
    for (const f of wf) warm.ingest(f);
    warm.dispose();
  }
  gc();

  // ── ingest: decode + index + correlate, in slices of pre-encoded frames (encoding is not timed) ──
  let ingestCpu = 0;
  let ingestWall = 0;
  let decodeCpu = 0;
  let ingested = 0;
  const SLICE = 100_000;
  while (ingested < EVENTS) {
    const frames = work.frames(Math.min(SLICE, EVENTS - ingested));
    let c = cpuS();
    let sink = 0;
    for (const f of frames) sink += elixirscope.AgentMessage.decode(f).events?.seq?.length ?? 0;
    decodeCpu += cpuS() - c;
    gc(); // the baseline's garbage is not the store's to collect
    c = cpuS();
    const w = process.hrtime.bigint();
    for (const f of frames) store.ingest(f);
    ingestCpu += cpuS() - c;
    ingestWall += Number(process.hrtime.bigint() - w) / 1e9;
    ingested += sink;
  }
  store.flush();
  const ingestRate = ingested / ingestCpu;
  const decodeRate = ingested / decodeCpu;
  rows.push({
    name: 'ingest (decode + index + correlate)',
    value: ingestRate,
    unit: 'events/s',
    baseline: { name: 'protobufjs decode only', value: decodeRate },
    ratio: ingestRate / decodeRate,
    note: `per CPU-second of this process; wall clock ${(ingested / ingestWall / 1e6).toFixed(2)} M/s (load avg ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores); ${ingested.toLocaleString('en-US')} events in ${BATCH}-event frames; target ≥ 1,000,000`,
  });

  // ── steps on the full recording ──
  gc();
  const nav = new Navigator(store);
  const kinds: StepKind[] = ['stepIn', 'stepOver', 'stepOut', 'continue'];
  const fwd: number[] = [];
  const rev: number[] = [];
  const view: number[] = [];
  let rnd = 12345;
  const next = () => (rnd = (rnd * 1103515245 + 12345) & 0x7fffffff);
  const SAMPLES = 4000;
  for (let i = 0; i < SAMPLES; i++) {
    const g = store.head + (next() % store.size);
    for (const reverse of [false, true]) {
      nav.goto(g);
      const kind = kinds[next() % kinds.length];
      const t = process.hrtime.bigint();
      nav.move(kind, { reverse });
      (reverse ? rev : fwd).push(Number(process.hrtime.bigint() - t) / 1e6);
      nav.cancelWait();
    }
    const t = process.hrtime.bigint();
    nav.stack();
    nav.scopes();
    view.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  // The worst case for a naive scan: stepping over the worker's first line skips the whole recording.
  const worker = store.pidId('<0.999.0>')!;
  const wFirst = store.process(worker).steps.first();
  nav.goto(store.process(worker).steps.next(wFirst));
  let t = process.hrtime.bigint();
  nav.stepOut();
  const longOut = Number(process.hrtime.bigint() - t) / 1e6;
  nav.cancelWait();
  nav.goto(store.process(worker).steps.last());
  t = process.hrtime.bigint();
  nav.stepOver({ reverse: true });
  const longBack = Number(process.hrtime.bigint() - t) / 1e6;
  const n = store.size.toLocaleString('en-US');
  rows.push({ name: 'step forward p99 (in/over/out/continue)', value: percentile(fwd, 99), unit: 'ms', note: `${n}-event recording, ${SAMPLES} random positions; p50 ${percentile(fwd, 50).toFixed(4)} ms, max ${Math.max(...fwd).toFixed(3)} ms; target < 2 ms` });
  rows.push({ name: 'step reverse p99 (in/over/out/continue)', value: percentile(rev, 99), unit: 'ms', note: `p50 ${percentile(rev, 50).toFixed(4)} ms, max ${Math.max(...rev).toFixed(3)} ms; step back over a ${n}-event frame: ${longBack.toFixed(3)} ms` });
  rows.push({ name: 'stack + scopes at cursor p99', value: percentile(view, 99), unit: 'ms', note: `decodes bodies on demand; p50 ${percentile(view, 50).toFixed(4)} ms; step out of an open frame at the live end: ${longOut.toFixed(3)} ms` });

  // ── memory per retained event ──
  gc();
  const mem = store.memory();
  const perEvent = mem.total / store.size;
  const bodyPerEvent = mem.arenaLive / store.size;
  rows.push({
    name: 'bytes per retained event',
    value: perEvent,
    unit: 'B',
    baseline: { name: 'encoded wire bytes per event', value: work.frame().length / BATCH },
    ratio: perEvent / (work.frame().length / BATCH),
    note: `columns+indexes ${((mem.columns + mem.indexes) / store.size).toFixed(0)} B + body ${bodyPerEvent.toFixed(0)} B; store ${mb(mem.total).toFixed(0)} MiB of ${mb(store.limits.maxBytes).toFixed(0)} MiB limit; JS heap ${mb(process.memoryUsage().heapUsed).toFixed(0)} MiB`,
  });

  // ── soak: keep ingesting at capacity (every event evicts one), watch the heap ──
  nav.dispose();
  gc();
  const samples: number[] = [];
  const ext: number[] = [];
  const start = Date.now();
  let soaked = 0;
  let soakCpu = 0;
  let lastSample = start;
  while (Date.now() - start < SOAK_S * 1000) {
    const frames = work.frames(20_000);
    const c0 = cpuS();
    for (const f of frames) store.ingest(f);
    soakCpu += cpuS() - c0;
    soaked += 20_000;
    if (Date.now() - lastSample >= 1000) {
      lastSample = Date.now();
      gc();
      const m = process.memoryUsage();
      samples.push(m.heapUsed);
      ext.push(m.arrayBuffers);
    }
  }
  const first = samples[Math.min(1, samples.length - 1)];
  const last = samples[samples.length - 1];
  const growth = last - first;
  const flat = Math.abs(growth) < Math.max(8 * 1024 * 1024, first * 0.05);
  rows.push({
    name: `heap growth over ${SOAK_S} s ingest at capacity`,
    value: mb(growth),
    unit: 'MiB',
    note: `${flat ? 'flat' : 'NOT flat'}: heapUsed ${mb(first).toFixed(1)} → ${mb(last).toFixed(1)} MiB (max ${mb(Math.max(...samples)).toFixed(1)}), arrayBuffers ${mb(ext[0]).toFixed(0)} → ${mb(ext[ext.length - 1]).toFixed(0)} MiB (store ${mb(store.memory().total).toFixed(0)} MiB); ${soaked.toLocaleString('en-US')} events at ${(soaked / soakCpu / 1e6).toFixed(2)} M/CPU-s with eviction, ${store.stats().evictedTotal.toLocaleString('en-US')} evicted`,
  });
  store.dispose();
  return rows;
}
