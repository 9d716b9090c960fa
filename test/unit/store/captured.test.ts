// A real recording captured from the example project (examples/bank, demo.exs) through the agent:
// GenServer calls over aliases, casts by registered name, state versions, a crash of the demo process.

import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Navigator, RecordingStore, kindName } from '../../../adapter/store';
import { moved, stackSig } from './harness';

function loadCapture(): { store: RecordingStore; nav: Navigator } {
  const file = path.join(__dirname, 'fixtures', 'bank-demo.frames.json');
  const { frames } = JSON.parse(fs.readFileSync(file, 'utf8')) as { frames: string[] };
  const store = new RecordingStore({ flushDelayMs: 0 });
  const errors: string[] = [];
  store.on('protocolError', (e) => errors.push(e));
  for (const f of frames) assert.equal(store.ingest(Buffer.from(f, 'base64')), undefined, 'every frame is an event batch');
  store.flush();
  assert.deepEqual(errors, []);
  return { store, nav: new Navigator(store) };
}

const kinds = (store: RecordingStore, from: number, to: number) => Array.from({ length: to - from }, (_, i) => kindName(store.kind(from + i)));

describe('store: a recording captured from examples/bank', () => {
  it('orders and names what the agent sent', () => {
    const { store } = loadCapture();
    assert.equal(store.size, 115);
    assert.equal(store.stats().late, 0);
    assert.deepEqual(kinds(store, 65, 74), ['SEND', 'RECEIVE', 'CALL', 'CALL', 'SEND', 'RETURN', 'RETURN', 'STATE', 'SEND']);
    assert.equal(store.process(store.pidId('<0.153.0>')!).name, 'Bank.Account <0.153.0>');
    assert.equal(store.process(store.pidId('<0.152.0>')!).name, 'Bank.Ledger Bank.Ledger <0.152.0>');
  });

  it('pairs a GenServer.call with its reply sent to an alias, and a cast sent by name', () => {
    const { nav } = loadCapture();
    const v = nav.view;
    assert.equal(v.links(65).match, 66, '$gen_call send ↔ receive');
    assert.equal(v.links(65).peer, 73, 'request → reply (call tag)');
    assert.equal(v.links(73).match, 78, 'reply to an alias ↔ the caller’s receive');
    assert.equal(v.links(69).match, 74, 'cast to Bank.Ledger by name ↔ receive');
    assert.deepEqual([65, 66, 73, 78, 69, 74].map((g) => v.messageRole(g)), ['call', 'call', 'reply', 'reply', 'cast', 'cast']);
    assert.equal(v.links(83).peer, 88);
    assert.equal(v.links(88).match, 89);
  });

  it('reconstructs stacks across the client and the server', () => {
    const { store, nav } = loadCapture();
    nav.goto(68);
    assert.deepEqual(nav.stack().frames.map((f) => f.name), ['Bank.Ledger.record/3', 'Bank.Account.handle_call/3']);
    const client = store.pidId('<0.104.0>')!;
    assert.deepEqual(nav.stack(client).frames.map((f) => f.name), ['Bank.Account.deposit/2', 'Bank.Demo.-run/2-fun-0-/3']);
    assert.equal(stackSig(nav, client)[0], 'deposit:0', 'no line probes in this capture: line unknown');
  });

  it('shows the state version and the message being handled', () => {
    const { nav } = loadCapture();
    nav.goto(68);
    assert.equal(nav.state()!.version, 2);
    const m = nav.message()!;
    assert.equal(m.source, 'state');
    assert.deepEqual(m.message!.tuple!.items!.map((t) => t.atom ?? t.int), ['deposit', 60]);
    nav.goto(72);
    assert.equal(nav.state()!.version, 3);
    assert.equal(nav.scopes()!.state!.index, 72);
  });

  it('steps through the server callback and back to the state before it', () => {
    const { nav } = loadCapture();
    nav.goto(67);
    assert.equal(moved(nav.stepOver()), 71, 'over the Ledger.record call');
    nav.goto(68);
    assert.equal(moved(nav.stepOut()), 70);
    nav.goto(72);
    assert.equal(moved(nav.stepOver({ reverse: true })), 66, 'back over handle_call to the request');
    assert.equal(moved(nav.stepOver({ reverse: true })), 40, 'the previous state version of this account');
    assert.equal(nav.state()!.version, 2);
  });

  it('an exception closes the crashing frame of the demo process', () => {
    const { store, nav } = loadCapture();
    assert.equal(kindName(store.kind(91)), 'EXCEPTION');
    assert.equal(nav.view.links(61).match, 91);
    nav.goto(90);
    assert.equal(moved(nav.stepOut()), 91);
    assert.equal(nav.scopes()!.exception!.class, 'error');
  });
});
