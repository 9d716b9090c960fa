// Hover/watch expressions evaluated in the adapter: pure Elixir over captured terms, and what it must
// leave to the node (other calls, cut values) or refuse with Elixir's own error.
import * as assert from 'assert';
import { evaluateExpression, ExprError, Unsupported } from '../../../adapter/terms/exprEval';
import { sameTerm } from '../../../adapter/terms/exprValues';
import { formatTerm } from '../../../adapter/terms/format';
import { atom, int, list, map, str, T, tuple } from '../../support/terms';


const state = map([atom('__struct__'), atom('Elixir.Bank.Account')], [atom('id'), atom('b')], [atom('balance'), int(90)], [atom('ops'), int(3)],
  [atom('tags'), list(atom('x'), atom('y'))], [atom('meta'), map([str('k'), int(7)], [int(1), atom('one')], [atom('Elixir.Bank.Ledger'), atom('mod')])]);
const bindings = new Map<string, T>([
  ['state', state],
  ['amount', int(10)],
  ['name', str('ab')],
  ['pid', { pid: { node: 'n@h', repr: '<0.1.0>' } }],
  ['msg', tuple(atom('withdraw'), int(105))],
  ['opts', list(tuple(atom('timeout'), int(5000)))],
  ['ratio', { float: 0.5 }],
  ['cut', { map: { entries: [{ key: atom('a'), value: int(1) }], omitted: 4 } }],
  ['deep', map([atom('a'), { truncated: { reason: 0 } }])],
]);
const ev = (e: string) => formatTerm(evaluateExpression(e, bindings));

describe('evaluateExpression (hover/watch, in the adapter)', () => {
  it('evaluates arithmetic, comparisons and boolean operators with Elixir semantics', () => {
    assert.strictEqual(ev('state.balance + 1'), '91');
    assert.strictEqual(ev('state.balance - amount * 2'), '70');
    assert.strictEqual(ev('amount / 4'), '2.5');
    assert.strictEqual(ev('amount + ratio'), '10.5');
    assert.strictEqual(ev('-amount'), '-10');
    assert.strictEqual(ev('div(state.balance, 7) + rem(state.balance, 7)'), '18');
    assert.strictEqual(ev('state.balance > amount and state.id == :b'), 'true');
    assert.strictEqual(ev('amount == 10.0'), 'true');
    assert.strictEqual(ev('amount === 10.0'), 'false');
    assert.strictEqual(ev('amount < :atom'), 'true'); // number < atom in Erlang's term order
    assert.strictEqual(ev('not (amount >= 11) || nope'), 'true'); // || short-circuits: nope is never read
    assert.strictEqual(ev('nil && nope'), 'nil');
    assert.strictEqual(ev('!amount'), 'false');
    assert.strictEqual(ev(':y in state.tags'), 'true');
    assert.strictEqual(ev(':z not in state.tags'), 'true');
  });

  it('evaluates field and key access, literals and the common pure functions', () => {
    assert.strictEqual(ev('Map.get(state, :balance)'), '90');
    assert.strictEqual(ev('Map.get(state, :nope, 0)'), '0');
    assert.strictEqual(ev('Map.has_key?(state, :ops)'), 'true');
    assert.strictEqual(ev('state |> Map.get(:balance)'), '90');
    assert.strictEqual(ev('Enum.count(state.tags) + length(state.tags)'), '4');
    assert.strictEqual(ev('elem(msg, 1)'), '105');
    assert.strictEqual(ev('map_size(state.meta)'), '3');
    assert.strictEqual(ev('name <> "c"'), '"abc"');
    assert.strictEqual(ev('state.tags ++ [:z]'), '[:x, :y, :z]');
    assert.strictEqual(ev('state.meta["k"]'), '7');
    assert.strictEqual(ev('state.meta[1]'), ':one');
    assert.strictEqual(ev('state.meta[Bank.Ledger]'), ':mod');
    assert.strictEqual(ev('opts[:timeout]'), '5000');
    assert.strictEqual(ev('Keyword.get(opts, :nope, 1)'), '1');
    assert.strictEqual(ev('Enum.at(state.tags, 1)'), ':y');
    assert.strictEqual(ev('{state.id, [amount, :z]}'), '{:b, [10, :z]}');
    assert.strictEqual(ev('is_pid(pid) and is_nil(nil)'), 'true');
    assert.strictEqual(ev('Enum.sum([1, 2, amount])'), '13');
  });

  it('raises what Elixir would for wrong values, with the reason', () => {
    const fails = (e: string, re: RegExp) => assert.throws(() => evaluateExpression(e, bindings), (err: unknown) => err instanceof ExprError && re.test((err as Error).message));
    fails('nope + 1', /nope is not bound here \(captured names: state, amount/);
    fails('state.nokey', /KeyError: key :nokey not found/);
    fails('state[:balance]', /does not implement the Access behaviour/); // a struct has no Access
    fails('name + 1', /ArithmeticError/);
    fails('amount / 0', /ArithmeticError/);
    fails('amount and true', /BadBooleanError/);
    fails('elem(msg, 5)', /out of range/);
    fails('state.balance +', /incomplete expression|syntax error/);
  });

  it('leaves to the node what it cannot decide exactly, and never runs other functions', () => {
    const later = (e: string) => assert.throws(() => evaluateExpression(e, bindings), Unsupported, e);
    later('File.rm!("x")'); // not evaluated here; the node refuses it (not on the pure allow-list)
    later('send(pid, :x)');
    later('Enum.map(state.tags, fn t -> t end)');
    later(':lists.reverse(state.tags)');
    later('String.upcase(name)');
    later('cut.b'); // a key that may be among the entries not captured
    later('deep.a + 1'); // cut at the depth limit
    later('Enum.count(state)'); // a struct's own Enumerable implementation
    later('"#{amount}"');
    later('9007199254740991 + 10');
    assert.strictEqual(ev('cut.a'), '1'); // a captured key of a cut map is known
  });

  it('compares terms structurally', () => {
    assert.ok(sameTerm(map([atom('a'), int(1)], [atom('b'), list(int(2))]), map([atom('b'), list(int(2))], [atom('a'), int(1)])));
    assert.ok(!sameTerm(tuple(int(1)), tuple(int(1), int(2))));
    assert.ok(sameTerm(int(1), { float: 1 }, false) && !sameTerm(int(1), { float: 1 }, true));
  });
});
