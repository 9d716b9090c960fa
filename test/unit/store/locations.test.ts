// Stack views at a breakpoint hit with a captured stack (recorded frames, then the untraced callers
// the VM saw), frame lines inside a call without line events, and the message being handled.

import { strict as assert } from 'assert';
import { Kind as K } from '../../../adapter/store/eventKind';
import { load } from './harness';
import { Synth, mfa, t } from './synth';

const S = '<0.2.0>';
const ACC = 'Elixir.Bank.Account';
const LEDGER = 'Elixir.Bank.Ledger';
const HC = mfa('handle_call', 3, ACC);
const entry = (module: string, fn: string, arity: number, line = 0, file = '') => ({ module, function: fn, arity, line, file });

function hitWithStack(): Synth {
  const s = new Synth();
  s.proc(S, { callbackModule: ACC }); // 0
  s.recv(S, t.tuple(t.atom('$gen_call'), t.atom('from'), t.atom('x')), 1); // 1
  s.add({
    pid: S, kind: K.CALL, mfa: HC, hit: 1,
    body: { call: { args: [t.atom('x')], clause: 2, line: 31, stack: [entry('gen_server', 'try_handle_call', 4, 1149, 'gen_server.erl'), entry('gen_server', 'handle_msg', 6), entry('proc_lib', 'init_p_do_apply', 3)] } },
  }); // 2
  s.call(S, mfa('record', 3, LEDGER), [t.atom('b')]); // 3: recorded, no hit
  s.send(S, '<0.3.0>', t.atom('cast'), 2); // 4
  s.ret(S, mfa('record', 3, LEDGER)); // 5
  s.send(S, '<0.3.0>', t.atom('other'), 3); // 6: inside handle_call, no line event
  s.ret(S, HC, t.tuple(t.atom('reply'), t.atom('ok'))); // 7
  s.state(S, 2, 'handle_call', t.map({ balance: t.int(1) }), t.atom('x')); // 8
  s.send(S, '<0.9.0>', t.tuple(t.atom('tag'), t.atom('ok')), 4); // 9: the reply, after the callback
  s.recv(S, t.tuple(t.atom('$gen_cast'), t.atom('later')), 5); // 10
  s.call(S, mfa('handle_cast', 2, ACC), [t.atom('later')]); // 11
  s.ret(S, mfa('handle_cast', 2, ACC), t.atom('noreply')); // 12
  s.state(S, 3, 'handle_cast', t.map({ balance: t.int(2) }), t.tuple(t.atom('$gen_cast'), t.atom('later'))); // 13
  return s;
}

describe('store: locations and the whole stack at a hit', () => {
  it('continues the recorded frames with the untraced callers the hit captured', () => {
    const { nav } = load(hitWithStack());
    const st = nav.view.stack(4);
    assert.deepEqual(st.frames.map((f) => `${f.name}${f.untraced ? ' (untraced)' : ''}`), [
      'Bank.Ledger.record/3',
      'Bank.Account.handle_call/3',
      ':gen_server.try_handle_call/4 (untraced)',
      ':gen_server.handle_msg/6 (untraced)',
      ':proc_lib.init_p_do_apply/3 (untraced)',
    ]);
    assert.equal(st.total, 5);
    assert.deepEqual([st.frames[2].line, st.frames[2].file], [1149, 'gen_server.erl']);
    const page = nav.view.stack(4, 1, 2);
    assert.deepEqual(page.frames.map((f) => f.name), ['Bank.Account.handle_call/3', ':gen_server.try_handle_call/4']);
    assert.equal(page.total, 5);
  });

  it('shows a captured caller that is a recorded frame as that frame, once', () => {
    const s = new Synth();
    s.call(S, HC, [t.atom('x')]); // 0
    s.add({ pid: S, kind: K.CALL, mfa: mfa('record', 3, LEDGER), hit: 1, body: { call: { args: [], line: 12, stack: [entry(ACC, 'handle_call', 3, 36), entry('gen_server', 'try_handle_call', 4)] } } }); // 1
    const { nav } = load(s);
    assert.deepEqual(nav.view.stack(1).frames.map((f) => `${f.name}${f.call >= 0 ? '' : ' (untraced)'}`), [
      'Bank.Ledger.record/3',
      'Bank.Account.handle_call/3',
      ':gen_server.try_handle_call/4 (untraced)',
    ]);
  });

  it('has no untraced frames once the hit call returned', () => {
    const { nav } = load(hitWithStack());
    assert.equal(nav.view.stack(11).frames.some((f) => f.untraced), false);
  });

  it('locates an event inside a call without line events at the clause the CALL names', () => {
    const { nav } = load(hitWithStack());
    assert.equal(nav.view.stack(6).frames[0].line, 31);
  });

  it('never shows a message received after the position', () => {
    const { nav } = load(hitWithStack());
    const v = nav.view;
    assert.equal(v.messageAt(9), undefined, 'the reply after the state version: nothing is being handled');
    assert.equal(v.messageAt(6)?.message?.atom, 'x', 'inside the callback: its message');
    assert.equal(v.messageAt(10)?.message?.tuple?.items?.[1]?.atom, 'later', 'at the receive: the message just received');
  });
});
