// Thread names from the agent's ProcessEvents: what the process is (callback module, ExUnit test, Task, Agent,
// wrapper behaviour, spawned function), its registered or via name, its pid; later events rename it.

import { strict as assert } from 'assert';
import { formatCode, parseMfa, ProcState } from '../../../adapter/store/processes';
import { load } from './harness';
import { mfa, Synth } from './synth';

function named(info: Parameters<ProcState['applyInfo']>[0], pid = '<0.9.0>'): string {
  const p = new ProcState(0, pid);
  p.applyInfo(info);
  return p.name;
}

describe('store: process names', () => {
  it('a GenServer: callback module and registered or via name (as before)', () => {
    assert.equal(named({ callbackModule: 'Elixir.Bank.Account', registeredName: 'b' }), 'Bank.Account :b <0.9.0>');
    assert.equal(named({ callbackModule: 'Elixir.Bank.Account', viaName: '{:account, :a}' }), 'Bank.Account {:account, :a} <0.9.0>');
    assert.equal(named({ callbackModule: 'Elixir.Bank.Ledger', registeredName: 'Elixir.Bank.Ledger' }), 'Bank.Ledger Bank.Ledger <0.9.0>');
  });

  it('an ExUnit test process: module and test name', () => {
    assert.equal(named({ kind: 'test', entry: 'Elixir.GenStageTest:test sync_subscribe/2 returns errors/1' }), 'GenStageTest test "sync_subscribe/2 returns errors" <0.9.0>');
    assert.equal(named({ kind: 'test', entry: 'Elixir.MyTest:doctest Mod.f/1 (1)/1' }), 'MyTest doctest "Mod.f/1 (1)" <0.9.0>');
  });

  it('Tasks and Agents with the code they run; a wrapper behaviour with the module it runs', () => {
    assert.equal(named({ kind: 'task', entry: 'Elixir.MyTest:-test x/1-fun-0-/0' }), 'Task fn in MyTest."test x"/1 <0.9.0>');
    assert.equal(named({ kind: 'task', entry: 'Elixir.Shorty:work/1' }), 'Task Shorty.work/1 <0.9.0>');
    assert.equal(named({ kind: 'task' }), 'Task <0.9.0>');
    assert.equal(named({ kind: 'agent', callbackModule: 'Elixir.Agent.Server', entry: 'Elixir.Shorty:-start/0-fun-0-/0' }), 'Agent fn in Shorty.start/0 <0.9.0>');
    assert.equal(named({ callbackModule: 'Elixir.GenStage', entry: 'Elixir.GenStageTest.Counter:init/1' }), 'GenStage GenStageTest.Counter <0.9.0>');
  });

  it('other processes: the code they were spawned for or their first recorded function, never proc_lib internals', () => {
    assert.equal(named({ entry: 'Elixir.Shorty.Late:run/1', registeredName: 'late' }), 'Shorty.Late.run/1 :late <0.9.0>');
    assert.equal(named({ entry: 'lists:reverse/1' }), ':lists.reverse/1 <0.9.0>');
    assert.equal(named({ initialCall: 'Elixir.Shorty:loop/0' }), 'Shorty.loop/0 <0.9.0>');
    assert.equal(named({ initialCall: 'proc_lib:init_p/5' }), '<0.9.0>');
    assert.equal(named({}), '<0.9.0>');
  });

  it('parses and formats function references', () => {
    assert.deepEqual(parseMfa('Elixir.T:test a: b/c/1'), { module: 'Elixir.T', function: 'test a: b/c', arity: 1 });
    assert.equal(parseMfa('nonsense'), undefined);
    assert.equal(formatCode({ module: 'Elixir.A', function: 'valid?', arity: 1 }), 'A.valid?/1');
    assert.equal(formatCode({ module: 'Elixir.Bank.Demo', function: '-run/2-fun-0-', arity: 3 }), 'fn in Bank.Demo.run/2');
    assert.equal(formatCode({ module: 'gen_server', function: 'init_it', arity: 6 }), ':gen_server.init_it/6');
  });

  it('a later ProcessEvent renames the thread (a name registered after the start), keeping what was known', () => {
    const s = new Synth();
    s.proc('<0.5.0>', { entry: 'Elixir.Shorty.Late:run/1' });
    s.call('<0.5.0>', mfa('run', 1, 'Elixir.Shorty.Late'));
    s.proc('<0.5.0>', { registeredName: 'shorty_late' });
    const { store, nav } = load(s);
    const names = nav.threads().map((p) => p.name);
    assert.deepEqual(names, ['Shorty.Late.run/1 :shorty_late <0.5.0>']);
    assert.equal(store.process(store.pidId('<0.5.0>')!).entry, 'Elixir.Shorty.Late:run/1');
  });
});
