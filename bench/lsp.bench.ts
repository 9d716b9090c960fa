// Recording language server benchmark: request latency (over the real loopback socket, a real LSP
// client) for hover, code lenses and inlay hints on a 1,000,000-event recording vs the same requests on
// a 10,000-event one, and the cost of its incremental indexes on ingest (vs ingest with no server).
// Env: LSP_BENCH_EVENTS (big recording, default 1,000,000), LSP_BENCH_SAMPLES (requests per figure, default 300).
import * as fs from 'fs';
import type { CodeLens, Hover, InlayHint } from 'vscode-languageserver-protocol';
import { elixirscope } from '../adapter/gen/wire';
import { RecordingIndex } from '../adapter/lsp/recordingIndex';
import { startRecordingLanguageServer, type RecordingLanguageServer } from '../adapter/lsp/server';
import { Kind, Navigator, RecordingStore } from '../adapter/store';
import { accountEx, bankCatalog, FakeCatalog, TestClient } from '../test/unit/lsp/support';
import { BenchRow } from './types';
import { gcFn } from './gc';
import { ColumnBatch } from './columnBatch';

const EVENTS = Number(process.env.LSP_BENCH_EVENTS ?? 1_000_000);
const BASE_EVENTS = 10_000;
const SAMPLES = Number(process.env.LSP_BENCH_SAMPLES ?? 300);
const BATCH = 1000;
const WORKER_FNS = 200;

type Term = elixirscope.Term.$Properties;
const K = elixirscope.EventKind;

/**
 * Clients depositing/withdrawing on 10 Bank.Account servers (handle_call/3 recorded without a
 * breakpoint: arguments only, so hover matches clause heads; line probes on lines 33–37; nested
 * fee_for/1 and Ledger.record/3), plus a worker calling 200 different functions: 16 events per request.
 */
class BankWorkload {
  private seq = 0;
  private req = 0;
  private readonly pids: string[] = [];
  private readonly mfas: elixirscope.Mfa.$Properties[] = [{}];
  private readonly pool: Record<string, Uint8Array[]> = {};

  constructor() {
    for (let i = 0; i < 10; i++) this.pids.push(`<0.${200 + i}.0>`);
    for (let i = 0; i < 40; i++) this.pids.push(`<0.${300 + i}.0>`);
    this.pids.push('<0.999.0>');
    const A = 'Elixir.Bank.Account';
    this.mfas.push({ module: A, function: 'withdraw', arity: 2 }, { module: A, function: 'handle_call', arity: 3 }, { module: A, function: 'fee_for', arity: 1 }, { module: 'Elixir.Bank.Ledger', function: 'record', arity: 3 });
    for (let i = 0; i < WORKER_FNS; i++) this.mfas.push({ module: 'Elixir.Bank.Worker', function: `step_${i}`, arity: 1 });
    const enc = (b: elixirscope.EventBody.$Properties) => elixirscope.EventBody.encode(b).finish();
    const acct = (bal: number, ops: number): Term => ({ map: { entries: [
      { key: { atom: '__struct__' }, value: { atom: A } },
      { key: { atom: 'balance' }, value: { int: bal } },
      { key: { atom: 'id' }, value: { atom: 'b' } },
      { key: { atom: 'ops' }, value: { int: ops } },
    ] } });
    const from: Term = { tuple: { items: [{ pid: { node: 'nonode@nohost', repr: '<0.301.0>' } }, { ref: { node: 'nonode@nohost', repr: '#Ref<0.1.2.3>' } }] } };
    const b = (name: string, value: Term) => ({ name, value });
    const pool = (name: string, f: (n: number) => Uint8Array) => (this.pool[name] = Array.from({ length: 16 }, (_, k) => f(k * 7 + 3)));
    pool('api', (n) => enc({ call: { args: [{ atom: 'b' }, { int: n }] } }));
    pool('hcall', (n) => enc({ call: { args: [{ tuple: { items: [{ atom: 'withdraw' }, { int: n }] } }, from, acct(1000 + n, n)] } }));
    const base = (n: number) => [b('amount', { int: n }), b('balance', { int: 1000 + n }), b('state', acct(1000 + n, n))];
    pool('l33', (n) => enc({ line: { line: 33, file: accountEx, bindings: base(n) } }));
    pool('fee', (n) => enc({ call: { args: [{ int: n }] } }));
    pool('feeRet', () => enc({ return: { value: { int: 0 } } }));
    pool('l34', (n) => enc({ line: { line: 34, file: accountEx, bindings: [...base(n), b('fee', { int: 0 })] } }));
    pool('l35', (n) => enc({ line: { line: 35, file: accountEx, bindings: [...base(n), b('fee', { int: 0 }), b('new_balance', { int: 1000 })] } }));
    pool('l36', (n) => enc({ line: { line: 36, file: accountEx, bindings: [...base(n), b('fee', { int: 0 }), b('new_balance', { int: 1000 })] } }));
    pool('rec', (n) => enc({ call: { args: [{ atom: 'b' }, { atom: 'withdraw' }, { int: n }] } }));
    pool('ok', () => enc({ return: { value: { atom: 'ok' } } }));
    pool('l37', (n) => enc({ line: { line: 37, file: accountEx, bindings: [b('new_balance', { int: 1000 }), b('state', acct(1000, n + 1))] } }));
    pool('hret', (n) => enc({ return: { value: { tuple: { items: [{ atom: 'reply' }, { tuple: { items: [{ atom: 'ok' }, { int: 1000 }] } }, acct(1000, n + 1)] } } } }));
    pool('state', (n) => enc({ state: { version: n, callback: 'handle_call', state: acct(1000, n + 1) } }));
    pool('apiRet', () => enc({ return: { value: { tuple: { items: [{ atom: 'ok' }, { int: 1000 }] } } } }));
    pool('wcall', (n) => enc({ call: { args: [{ int: n }] } }));
    pool('wret', (n) => enc({ return: { value: { int: n + 1 } } }));
  }

  frame(): Uint8Array {
    const c = new ColumnBatch();
    const push = (pid: number, kind: number, mfa: number, body: string) => {
      const s = this.seq++;
      c.push(s, pid, kind, mfa, this.pool[body][s & 15]);
    };
    while (c.length < BATCH) {
      const r = this.req++;
      const srv = r % 10;
      const cli = 10 + (r % 40);
      const w = 5 + (r % WORKER_FNS);
      push(cli, K.CALL, 1, 'api');
      push(srv, K.CALL, 2, 'hcall');
      push(srv, K.LINE, 0, 'l33');
      push(srv, K.CALL, 3, 'fee');
      push(srv, K.RETURN, 3, 'feeRet');
      push(srv, K.LINE, 0, 'l34');
      push(srv, K.LINE, 0, 'l35');
      push(srv, K.LINE, 0, 'l36');
      push(srv, K.CALL, 4, 'rec');
      push(srv, K.RETURN, 4, 'ok');
      push(srv, K.LINE, 0, 'l37');
      push(srv, K.RETURN, 2, 'hret');
      push(srv, K.STATE, 0, 'state');
      push(cli, K.RETURN, 1, 'apiRet');
      push(50, K.CALL, w, 'wcall');
      push(50, K.RETURN, w, 'wret');
    }
    return c.encode(this.pids, this.mfas);
  }

  frames(events: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let n = 0; n < events; n += BATCH) out.push(this.frame());
    return out;
  }
}


interface Setup {
  store: RecordingStore;
  nav: Navigator;
  server: RecordingLanguageServer;
  client: TestClient;
  uri: string;
}

const limits = { reorderWindowNs: 0, flushDelayMs: 0, maxEvents: 2_000_000, maxBytes: 1 << 30 };

function ingest(store: RecordingStore, frames: Uint8Array[]): number {
  const t0 = performance.now();
  for (const f of frames) store.ingest(f);
  store.flush();
  return performance.now() - t0;
}

async function setup(frames: Uint8Array[]): Promise<Setup> {
  const store = new RecordingStore(limits);
  const nav = new Navigator(store);
  const source = { store, nav, modules: new FakeCatalog(bankCatalog()) };
  // The server is up before the events arrive: its indexes grow on each commit, as in a session.
  const server = await startRecordingLanguageServer(source, undefined, { hintRefreshMs: 60_000, lensRefreshMs: 60_000 });
  ingest(store, frames);
  const client = await TestClient.connect(server.port, server.token);
  const uri = await client.open(accountEx);
  // Wait until the module outlines are in (the code lens answers something).
  for (let i = 0; i < 100; i++) {
    const l = (await client.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    if (l.length > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { store, nav, server, client, uri };
}

async function teardown(s: Setup): Promise<void> {
  s.client.close();
  await s.server.close();
  s.nav.dispose();
  s.store.dispose();
}

const lines = fs.readFileSync(accountEx, 'utf8').split('\n');
const pos = (line1: number, needle: string) => ({ line: line1 - 1, character: lines[line1 - 1].indexOf(needle) + 1 });

async function latency(run: () => Promise<unknown>, check: (r: unknown) => boolean, before?: () => void): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 20; i++) if (!check(await run())) throw new Error('the request did not answer what the bench expects');
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    before?.();
    const t0 = performance.now();
    await run();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(xs.length / 2)], p95: xs[Math.floor(xs.length * 0.95)] };
}

async function measure(s: Setup): Promise<Record<string, { p50: number; p95: number }>> {
  const { client, uri } = s;
  const hov = (p: { line: number; character: number }) => () => client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: p });
  const hasValue = (r: unknown) => !!(r as Hover | null)?.contents;
  const out: Record<string, { p50: number; p95: number }> = {};
  // No cursor: the last calls of handle_call/3 through the hovered clause, with line-probe locals.
  out.hoverRecent = await latency(hov(pos(31, 'amount')), hasValue);
  out.hoverRecentLocal = await latency(hov(pos(34, 'new_balance')), hasValue);
  // The same with the store's decoded-body cache emptied before each request: every body decoded again.
  const cache = (s.store as unknown as { bodyCache: Map<number, unknown> }).bodyCache;
  out.hoverRecentCold = await latency(hov(pos(34, 'new_balance')), hasValue, () => cache.clear());
  out.codeLens = await latency(() => client.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }), (r) => (r as CodeLens[]).length >= 6);
  // The cursor on a line probe of the newest handle_call/3 frame.
  const st = s.store;
  let target = -1;
  for (let g = st.tail - 1; g >= st.head && target < 0; g--) if (st.kind(g) === Kind.LINE && st.body(g)?.line?.line === 36) target = g;
  s.nav.goto(target);
  out.hoverCursor = await latency(hov(pos(34, 'new_balance')), (r) => /at the debugger's cursor/.test(JSON.stringify(r)));
  const range = { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } };
  out.inlayHints = await latency(() => client.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri }, range }), (r) => (r as InlayHint[]).length >= 4);
  return out;
}

export async function run(): Promise<BenchRow[]> {
  const work = new BankWorkload();
  const bigFrames = work.frames(EVENTS);
  const baseFrames = new BankWorkload().frames(BASE_EVENTS);

  // Ingest cost of the indexes: the same frames into a bare store and into one with the index attached,
  // alternated after a full GC, best of two each (the machine is shared).
  const gc = gcFn();
  const bareRuns: number[] = [];
  const indexRuns: number[] = [];
  for (let r = 0; r < 2; r++) {
    gc();
    const bare = new RecordingStore(limits);
    bareRuns.push(ingest(bare, bigFrames));
    bare.dispose();
    gc();
    const indexed = new RecordingStore(limits);
    const index = new RecordingIndex(indexed);
    indexRuns.push(ingest(indexed, bigFrames));
    index.dispose();
    indexed.dispose();
  }
  const bareMs = Math.min(...bareRuns);
  const indexMs = Math.min(...indexRuns);
  gc();

  const base = await setup(baseFrames);
  const baseM = await measure(base);
  await teardown(base);
  const big = await setup(bigFrames);
  const bigM = await measure(big);
  const events = big.store.size;
  await teardown(big);

  const label = `${(events / 1e6).toFixed(events >= 1e6 ? 0 : 2)}M events`;
  const rows: BenchRow[] = [];
  const row = (name: string, key: string, what: string) =>
    rows.push({
      name: `${name}, ${label}`,
      value: bigM[key].p50,
      unit: 'ms',
      baseline: { name: `same on ${BASE_EVENTS.toLocaleString('en-US')} events`, value: baseM[key].p50 },
      ratio: bigM[key].p50 / baseM[key].p50,
      note: `median over ${SAMPLES} requests through the socket (p95 ${bigM[key].p95.toFixed(2)} ms); ${what}`,
    });
  row('hover: last calls of handle_call/3', 'hoverRecent', 'clause match + guard over arguments, newest 3 calls');
  row('hover: a local in the last calls', 'hoverRecentLocal', 'line-probe locals of each call frame');
  row('hover: a local in the last calls, cold', 'hoverRecentCold', 'the store\'s decoded-body cache emptied before each request');
  row('hover: value at the cursor', 'hoverCursor', 'cursor on a line probe in handle_call/3');
  row('code lenses of account.ex', 'codeLens', '3 recorded functions: counts, last return, step to last call');
  row('inlay hints of account.ex', 'inlayHints', 'the cursor frame\'s recorded lines');
  rows.push({
    name: `ingest with the language server's index, ${label}`,
    value: (events / indexMs) * 1000,
    unit: 'events/s',
    baseline: { name: 'same frames into a store with no index', value: (events / bareMs) * 1000 },
    ratio: bareMs / indexMs,
    note: `per-function counts and latest calls kept on each commit; best of 2 after GC (${indexMs.toFixed(0)} ms vs ${bareMs.toFixed(0)} ms)`,
  });
  return rows;
}

if (require.main === module) {
  void run().then((rows) => {
    for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(3)} ${r.unit} | baseline ${r.baseline?.value.toFixed(3)} (${r.baseline?.name}) | ratio ${r.ratio?.toFixed(2)} | ${r.note}`);
  });
}
