// Property tests on random event streams: forward n then back n returns to the same position and view;
// step targets agree with a brute-force model; the step index agrees with a linear scan.

import { strict as assert } from 'assert';
import fc from 'fast-check';
import { Navigator } from '../../../adapter/store';
import { StepIndex } from '../../../adapter/store/stepIndex';
import { elixirscope } from '../../../adapter/gen/wire';
import { load } from './harness';
import { Synth, mfa, t } from './synth';

const K = elixirscope.EventKind;
const PIDS = ['<0.10.0>', '<0.11.0>', '<0.12.0>'];
const FNS = ['a', 'b', 'c'];

type Op = { p: number; op: number; x: number; hit: boolean };
const opArb = fc.record({ p: fc.integer({ min: 0, max: 2 }), op: fc.integer({ min: 0, max: 9 }), x: fc.integer({ min: 0, max: 5 }), hit: fc.boolean() });

/** A random but plausible recording: calls and returns mostly nest, sometimes not (tail calls, unknown returns). */
function stream(ops: Op[]): Synth {
  const s = new Synth();
  const stacks: string[][] = PIDS.map(() => []);
  const versions = PIDS.map(() => 0);
  for (const { p, op, x, hit } of ops) {
    const pid = PIDS[p];
    const st = stacks[p];
    const h = hit && x === 0 ? 1 + p : undefined;
    switch (op) {
      case 0:
      case 1:
      case 2: {
        const fn = FNS[x % 3];
        s.call(pid, mfa(fn), [t.int(x)], { bindings: { x: t.int(x) }, hit: h });
        st.push(fn);
        break;
      }
      case 3:
      case 4: {
        // Usually the top frame; sometimes a lower one (closing elided frames) or one not on the stack.
        const fn = st.length === 0 || x === 5 ? 'zz' : st[Math.max(0, st.length - 1 - (x === 4 ? 1 : 0))];
        s.ret(pid, mfa(fn), t.int(x), x === 4);
        const i = st.lastIndexOf(fn);
        st.length = i >= 0 ? i : Math.max(0, st.length - 1);
        break;
      }
      case 5: {
        const fn = st.length === 0 ? 'zz' : st[x % st.length];
        s.exc(pid, mfa(fn));
        const i = st.lastIndexOf(fn);
        st.length = i >= 0 ? i : Math.max(0, st.length - 1);
        break;
      }
      case 6:
        s.line(pid, 10 + x, { v: t.int(x) }, h);
        break;
      case 7:
        s.state(pid, ++versions[p], 'handle_call', t.map({ n: t.int(versions[p]) }), t.atom(`m${x}`));
        break;
      case 8:
        s.send(pid, PIDS[x % 3], t.int(x), 1 + x);
        break;
      default:
        s.recv(pid, t.int(x), 1 + x);
    }
  }
  return s;
}

function viewSig(nav: Navigator): string {
  const sc = nav.scopes();
  return JSON.stringify({
    cursor: nav.cursor,
    pid: nav.pid,
    stack: nav.stack().frames.map((f) => [f.call, f.name, f.line, f.depth, f.evicted]),
    args: sc?.arguments?.args,
    locals: sc?.locals,
    ret: sc?.returnValue,
    state: sc?.state?.version,
    message: sc?.message?.index,
  });
}

describe('store: properties', function () {
  // Property runs: generous under a loaded machine (the project .mocharc gives 20 s; plain mocha 2 s).
  this.timeout(60_000);
  it('stepping forward n times and back n times returns to the same position and view', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.nat(), fc.integer({ min: 1, max: 40 }), (ops, startSeed, n) => {
        const { store, nav } = load(stream(ops), {}, 7);
        const steppable: number[] = [];
        for (let g = store.head; g < store.tail; g++) if (store.kind(g) !== K.PROCESS) steppable.push(g);
        nav.goto(steppable[startSeed % steppable.length]);
        const before = viewSig(nav);
        let done = 0;
        for (let i = 0; i < n; i++) {
          const r = nav.stepIn();
          if (r.status !== 'moved') break;
          done++;
        }
        nav.cancelWait();
        for (let i = 0; i < done; i++) assert.equal(nav.stepIn({ reverse: true }).status, 'moved');
        assert.equal(viewSig(nav), before);
      }),
      { numRuns: 200 },
    );
  });

  it('step over/out targets agree with a brute-force model, also after eviction', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200 }), fc.integer({ min: 8, max: 300 }), fc.nat(), (ops, maxEvents, startSeed) => {
        const { store, nav } = load(stream(ops), { maxEvents }, 9);
        const c = store.cols;
        const evs: number[] = [];
        for (let g = store.head; g < store.tail; g++) if (store.kind(g) !== K.PROCESS) evs.push(g);
        if (evs.length === 0) return;
        const base = evs[startSeed % evs.length];
        const pid = store.pidOf(base);
        const mine = evs.filter((g) => store.pidOf(g) === pid);
        const d = (g: number) => store.depth(g);
        const k = (g: number) => store.kind(g);
        const isRet = (g: number) => k(g) === K.RETURN || k(g) === K.EXCEPTION;
        // Step over forward: first later event of the process at the level we are at.
        const level = isRet(base) ? Math.max(0, d(base) - 1) : d(base);
        const over = mine.find((g) => g > base && d(g) <= level) ?? -1;
        nav.goto(base);
        const r = nav.stepOver();
        assert.equal(r.status === 'moved' ? r.index : -1, over);
        nav.cancelWait();
        // Step over backward.
        nav.goto(base);
        const rl = k(base) === K.CALL ? Math.max(0, d(base) - 1) : d(base);
        const backs = mine.filter((g) => g < base && d(g) <= rl);
        const back = backs.length ? backs[backs.length - 1] : mine[0] === base ? -1 : mine[0];
        const rb = nav.stepOver({ reverse: true });
        assert.equal(rb.status === 'moved' ? rb.index : -1, back);
        // Step out forward: the event ending the current frame (a return/exception at its depth or an exit);
        // outside any frame, like step over.
        nav.goto(base);
        const ro = nav.stepOut();
        const landed = ro.status === 'moved' ? ro.index : -1;
        const fl = isRet(base) ? d(base) - 1 : d(base);
        if (fl <= 0 || (!isRet(base) && k(base) !== K.CALL && c.link[store.slot(base)] === -1)) {
          assert.equal(landed, over);
        } else {
          const ends = (g: number) => (isRet(g) && d(g) <= fl) || k(g) === K.EXIT;
          const expect = mine.find((g) => g > base && ends(g));
          if (expect !== undefined) assert.equal(landed, expect);
          else assert.equal(landed, -1, 'waits when the frame has not ended yet');
        }
        nav.cancelWait();
        // The depth column agrees with an independent replay of the stack rules on the retained events.
        for (const g of mine) {
          const s = store.slot(g);
          assert.ok(c.depth[s] >= 0);
          if (k(g) === K.CALL && c.link[s] >= store.head) assert.equal(d(c.link[s]) + 1, d(g), 'a call is one deeper than its caller');
          if (isRet(g) && c.match[s] >= store.head) assert.equal(d(c.match[s]), d(g), 'a return has its call depth');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('correlations stay symmetric and bookkeeping stays bounded under eviction', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 400 }), fc.integer({ min: 8, max: 120 }), (ops, maxEvents) => {
        const { store } = load(stream(ops), { maxEvents }, 11);
        const c = store.cols;
        for (let g = store.head; g < store.tail; g++) {
          const s = store.slot(g);
          const m = c.match[s];
          if (m < store.head || m >= store.tail) continue;
          const back = c.match[store.slot(m)];
          const k = c.kind[s];
          if (k === K.SEND || k === K.RECEIVE) assert.equal(back, g, `send/receive ${g} ↔ ${m}`);
          if (k === K.RETURN || k === K.EXCEPTION) assert.equal(back, g, `call ${m} is closed by ${g}`);
          if (k === K.CALL) {
            // Its end is a return/exception/exit of the same process, no deeper than the call; a return
            // closing several frames names the lowest of them (this call or an outer one).
            const ms = store.slot(m);
            assert.ok([K.RETURN, K.EXCEPTION, K.EXIT].includes(c.kind[ms]), `call ${g} ends with ${c.kind[ms]}`);
            assert.equal(c.pid[ms], c.pid[s]);
            assert.ok(c.depth[ms] <= c.depth[s]);
            if (c.kind[ms] !== K.EXIT && back >= store.head) assert.ok(back <= g);
          }
        }
        const sizes = store.correlator.sizes();
        assert.ok(sizes.sendQueues <= store.size, `send queues ${sizes.sendQueues} > retained ${store.size}`);
        assert.ok(sizes.callTags <= store.size);
        // Ghosts: frames that began before the retained window; at most every open or straddling frame.
        assert.ok(sizes.ghosts <= Math.max(256, 2 * ops.length), `ghosts ${sizes.ghosts}`);
      }),
      { numRuns: 200 },
    );
  });

  it('the step index finds the same positions as a linear scan, through growth, eviction and compaction', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 })), { maxLength: 30 }), fc.nat(), (depths, queries, evictSeed) => {
        const ix = new StepIndex();
        const all: number[] = [];
        let g = 0;
        let head = 0;
        for (const dep of depths) {
          ix.pushStep(g, dep);
          all.push(dep);
          g += 1 + (dep % 2);
          if ((evictSeed + g) % 97 === 0) {
            head = Math.min(g, head + 50);
            ix.evictBelow(head);
          }
        }
        const live: { g: number; d: number }[] = [];
        for (let p = ix.start; p < ix.end; p++) live.push({ g: ix.at(p), d: ix.depthAt(p) });
        assert.ok(live.every((e) => e.g >= head));
        for (const [q, L] of queries) {
          if (live.length === 0) break;
          const i = q % live.length;
          const pos = ix.lowerBound(live[i].g);
          const nf = live.findIndex((e, j) => j > i && e.d <= L);
          const np = ix.nextAtMost(pos, L);
          assert.equal(np === -1 ? -1 : ix.at(np), nf === -1 ? -1 : live[nf].g);
          let pb = -1;
          for (let j = i - 1; j >= 0; j--) if (live[j].d <= L) { pb = j; break; }
          const pp = ix.prevAtMost(pos, L);
          assert.equal(pp === -1 ? -1 : ix.at(pp), pb === -1 ? -1 : live[pb].g);
        }
      }),
      { numRuns: 150 },
    );
  });
});
