// Messages and GenServer.call replies across processes, GenServer state versions as steps, thread names,
// lineage and breakpoint hits.

import { strict as assert } from 'assert';
import { load, moved } from './harness';
import { Synth, mfa, t } from './synth';

const C = '<0.1.0>';
const S = '<0.2.0>';
const ACC = 'Elixir.Bank.Account';

function bank(): Synth {
  const s = new Synth();
  s.proc(S, { registeredName: 'b', callbackModule: ACC }); // 0
  s.state(S, 1, 'initial', t.map({ balance: t.int(100) })); // 1
  s.call(C, mfa('deposit', 2, ACC), [t.atom('b'), t.int(10)]); // 2
  s.send(C, S, t.tuple(t.atom('$gen_call'), t.atom('from'), t.tuple(t.atom('deposit'), t.int(10))), 111, 77); // 3
  s.recv(S, t.tuple(t.atom('$gen_call'), t.atom('from'), t.tuple(t.atom('deposit'), t.int(10))), 111); // 4
  s.call(S, mfa('handle_call', 3, ACC), [t.tuple(t.atom('deposit'), t.int(10))]); // 5
  s.line(S, 40, { amount: t.int(10) }, 1); // 6: breakpoint 1 hit
  s.ret(S, mfa('handle_call', 3, ACC), t.tuple(t.atom('reply'), t.atom('ok'))); // 7
  s.state(S, 2, 'handle_call', t.map({ balance: t.int(110) }), t.tuple(t.atom('deposit'), t.int(10))); // 8
  s.send(S, C, t.tuple(t.atom('tag'), t.atom('ok')), 222, 77); // 9
  s.recv(C, t.tuple(t.atom('tag'), t.atom('ok')), 222); // 10
  s.ret(C, mfa('deposit', 2, ACC), t.atom('ok')); // 11
  s.send(C, S, t.tuple(t.atom('$gen_cast'), t.atom('audit')), 333); // 12
  s.recv(S, t.tuple(t.atom('$gen_cast'), t.atom('audit')), 333); // 13
  s.call(S, mfa('handle_cast', 2, ACC), [t.atom('audit')]); // 14
  s.line(S, 50, {}, 2); // 15: breakpoint 2 hit
  return s;
}

describe('store: messages across processes', () => {
  it('pairs sends with receives and a GenServer.call request with its reply', () => {
    const { nav } = load(bank());
    const v = nav.view;
    assert.equal(v.links(3).match, 4);
    assert.equal(v.links(4).match, 3);
    assert.equal(v.links(9).match, 10);
    assert.equal(v.links(3).peer, 9, 'request → reply');
    assert.equal(v.links(9).peer, 3, 'reply → request');
    assert.equal(v.links(12).match, 13, 'cast');
    assert.equal(v.links(12).peer, -1);
  });

  it('pairs equal messages first-in first-out', () => {
    const s = new Synth();
    s.send(C, S, t.atom('ping'), 5); // 0
    s.send(C, S, t.atom('ping'), 5); // 1
    s.recv(S, t.atom('ping'), 5); // 2
    s.send(C, S, t.atom('ping'), 5); // 3
    s.recv(S, t.atom('ping'), 5); // 4
    s.recv(S, t.atom('ping'), 5); // 5
    s.recv(S, t.atom('ping'), 5); // 6: nothing left to pair with
    const { nav } = load(s);
    assert.deepEqual([2, 4, 5, 6].map((g) => nav.view.links(g).match), [0, 1, 3, -1]);
  });

  it('names threads from process metadata', () => {
    const { store } = load(bank());
    assert.equal(store.process(store.pidId(S)!).name, 'Bank.Account :b <0.2.0>');
    assert.equal(store.process(store.pidId(C)!).name, '<0.1.0>');
  });

  it('shows the state version and the message being handled at the cursor', () => {
    const { nav } = load(bank());
    nav.goto(6);
    assert.equal(nav.state()!.version, 1);
    assert.equal(nav.state()!.state!.map!.entries![0].value!.int, 100);
    const m = nav.message()!;
    assert.equal(m.source, 'state');
    assert.equal(m.message!.tuple!.items![0].atom, 'deposit');
    nav.goto(8);
    assert.equal(nav.state()!.version, 2);
    // Live end of handle_cast: no state version yet, so the oldest message received since v2.
    nav.goto(15);
    const m2 = nav.message()!;
    assert.equal(m2.source, 'receive');
    assert.equal(m2.index, 13);
  });

  it('views another process at the cursor time', () => {
    const { nav, store } = load(bank());
    nav.goto(6);
    const client = store.pidId(C)!;
    assert.equal(nav.positionOf(client), 3);
    assert.deepEqual(nav.stack(client).frames.map((f) => f.name), ['Bank.Account.deposit/2']);
  });

  it('stepping back from a callback reaches the state before it', () => {
    const { nav } = load(bank());
    nav.goto(6);
    assert.equal(nav.state()!.version, 1, 'inside the callback the current version is still the old one');
    assert.equal(moved(nav.stepOver({ reverse: true })), 5);
    assert.equal(moved(nav.stepOver({ reverse: true })), 4);
    assert.equal(moved(nav.stepOver({ reverse: true })), 1);
    assert.equal(nav.state()!.version, 1);
    // From the new version, back over the whole callback (same level), like forward over it.
    nav.goto(8);
    assert.equal(nav.state()!.version, 2);
    assert.equal(moved(nav.stepOver({ reverse: true })), 4);
    nav.goto(4);
    assert.equal(moved(nav.stepOver()), 8);
  });

  it('continues to the next and previous breakpoint hit, across processes', () => {
    const { nav, store } = load(bank());
    nav.goto(2);
    const r = nav.continue();
    assert.equal(moved(r), 6);
    assert.equal(r.status === 'moved' && r.reason, 'breakpoint');
    assert.equal(r.status === 'moved' && r.hit, 1);
    assert.equal(nav.pid, store.pidId(S));
    assert.equal(moved(nav.continue()), 15);
    assert.equal(moved(nav.continue({ reverse: true })), 6);
    const back = nav.continue({ reverse: true });
    assert.equal(back.status === 'moved' && back.reason, 'entry', 'no earlier hit: the first event of the process');
    assert.equal(moved(back), 1, 'event 0 is process metadata, not a step');
  });

  it('records spawn and exit lineage', () => {
    const s = new Synth();
    s.spawn(C, S); // 0
    s.call(S, mfa('run')); // 1
    s.call(S, mfa('inner')); // 2
    s.exit(S, t.atom('killed')); // 3
    const { store, nav } = load(s);
    const child = store.process(store.pidId(S)!);
    assert.equal(child.parent, C);
    assert.equal(child.spawnIndex, 0);
    assert.equal(child.exitIndex, 3);
    assert.deepEqual([1, 2].map((g) => nav.view.links(g).match), [3, 3], 'exit closes open frames');
    nav.goto(2);
    assert.equal(moved(nav.stepOut()), 3);
  });
});
