// Hover/watch expressions over captured bindings: names, field/key paths and the small built-ins.
import * as assert from 'assert';
import { evaluatePath, PathError } from '../../../adapter/terms/pathEval';
import { formatTerm } from '../../../adapter/terms/format';
import { atom, int, map, str, T } from '../../support/terms';


const state = map([atom('__struct__'), atom('Elixir.Bank.Account')], [atom('balance'), int(90)], [atom('meta'), map([str('k'), int(7)], [atom('tags'), { list: { items: [atom('x'), atom('y')] } }])]);
const bindings = new Map<string, T>([
  ['state', state],
  ['msg', { tuple: { items: [atom('withdraw'), int(105)] } }],
  ['opts', { list: { items: [{ tuple: { items: [atom('timeout'), int(5000)] } }] } }],
  ['deep', { map: { entries: [{ key: atom('a'), value: { truncated: { reason: 0 } } }] } }],
]);
const ev = (e: string) => formatTerm(evaluatePath(e, bindings));

describe('evaluatePath', () => {
  it('resolves names and field/key paths', () => {
    assert.strictEqual(ev('state.balance'), '90');
    assert.strictEqual(ev('state.meta["k"]'), '7');
    assert.strictEqual(ev('state[:balance]'), '90');
    assert.strictEqual(ev('state[:missing]'), 'nil');
    assert.strictEqual(ev('opts[:timeout]'), '5000');
  });

  it('applies elem/hd/tl/length and sizes', () => {
    assert.strictEqual(ev('elem(msg, 1)'), '105');
    assert.strictEqual(ev('hd(state.meta.tags)'), ':x');
    assert.strictEqual(ev('tl(state.meta.tags)'), '[:y]');
    assert.strictEqual(ev('length(state.meta.tags)'), '2');
    assert.strictEqual(ev('map_size(state)'), '3');
    assert.strictEqual(ev('tuple_size(msg)'), '2');
  });

  it('refuses with a reason instead of guessing', () => {
    assert.throws(() => ev('nope'), (e: unknown) => e instanceof PathError && /nope is not bound here \(captured names: state, msg, opts, deep\)/.test(e.message));
    assert.throws(() => ev('state.nokey'), /key :nokey not found/);
    assert.throws(() => ev('elem(msg, 5)'), /outside the captured tuple of 2/);
    assert.throws(() => ev('deep.a.b'), /not captured/);
    assert.throws(() => ev('state.balance + 1'), /cannot read/);
    assert.throws(() => ev('File.rm("x")'), /File is not bound here/);
  });
});
