// Value watches (data breakpoints over a recording): continue stops at the state version where a
// watched path changes, forward and in reverse, interleaved with breakpoint hits; absent is a value.

import { strict as assert } from 'assert';
import { load, moved } from './harness';
import { Synth, mfa, t } from './synth';

const C = '<0.1.0>';
const S = '<0.2.0>';
const ACC = 'Elixir.Bank.Account';

function account(): Synth {
  const s = new Synth();
  s.proc(S, { registeredName: 'b', callbackModule: ACC }); // 0
  s.state(S, 1, 'initial', t.map({ balance: t.int(100), ops: t.int(0) })); // 1
  s.call(C, mfa('run', 0, 'Elixir.Client'), []); // 2
  s.state(S, 2, 'handle_call', t.map({ balance: t.int(100), ops: t.int(1) })); // 3  balance unchanged
  s.line(S, 40, { amount: t.int(10) }, 7); // 4  breakpoint 7 hit
  s.state(S, 3, 'handle_call', t.map({ balance: t.int(90), ops: t.int(2) })); // 5  100 → 90
  s.state(S, 4, 'handle_call', t.map({ balance: t.int(90), ops: t.int(3) })); // 6  unchanged
  s.state(S, 5, 'handle_cast', t.map({ ops: t.int(4) })); // 7  90 → absent
  s.ret(C, mfa('run', 0, 'Elixir.Client'), t.atom('ok')); // 8
  return s;
}

describe('store: value watches (data breakpoints)', () => {
  function setup() {
    const { store, nav } = load(account());
    const pid = store.pidOf(1);
    nav.watches.set([{ id: 1000, pid, path: 'state.balance' }]);
    return { store, nav, pid };
  }

  it('forward: a breakpoint hit first, then each change of the value, then nothing more', () => {
    const { nav } = setup();
    nav.goto(0);
    const hit = nav.continue();
    assert.equal(moved(hit), 4);
    assert.equal((hit as { hit: number }).hit, 7);
    const change = nav.continue();
    assert.equal(moved(change), 5);
    assert.deepEqual((change as { watch?: unknown }).watch, { index: 5, id: 1000, before: '100', after: '90' });
    const gone = nav.continue();
    assert.equal(moved(gone), 7);
    assert.deepEqual((gone as { watch?: { before: string; after: string } }).watch, { index: 7, id: 1000, before: '90', after: '(absent)' });
    assert.equal(nav.continue().status, 'waiting', 'no later hit or change: wait at the live end');
  });

  it('reverse: the latest change before the cursor, then the earlier hit, then the first event', () => {
    const { nav, pid } = setup();
    nav.goto(8);
    assert.equal(moved(nav.continue({ reverse: true })), 7);
    const back = nav.continue({ reverse: true });
    assert.equal(moved(back), 5);
    assert.equal((back as { watch?: { after: string } }).watch?.after, '90');
    assert.equal(moved(nav.continue({ reverse: true })), 4, 'the hit before the change');
    assert.equal(nav.watches.valueAt({ id: 1000, pid, path: 'state.balance' }, 4), '100');
    const first = nav.continue({ reverse: true, pid });
    assert.equal(first.status === 'moved' ? (first as { watch?: unknown }).watch : 'none', undefined, 'v1 → v2 left the balance alone');
  });

  it('no watches: continue is exactly the breakpoint walk', () => {
    const { nav } = load(account());
    nav.goto(0);
    assert.equal(moved(nav.continue()), 4);
    assert.equal(nav.continue().status, 'waiting');
  });

  it('a watch on a process that does not exist, or a path into nothing, never stops', () => {
    const { nav } = load(account());
    nav.watches.set([{ id: 1, pid: 999, path: 'state.balance' }, { id: 2, pid: 1, path: 'state.nope.deeper' }]);
    nav.goto(4);
    assert.equal(nav.continue().status, 'waiting');
  });
});
