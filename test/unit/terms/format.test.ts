// Rendering of captured terms in Elixir and Erlang syntax, including visible truncation.
import * as assert from 'assert';
import { formatTerm } from '../../../adapter/terms/format';
import { atom, int, list, map, str, tuple } from '../../support/terms';


describe('formatTerm (Elixir syntax)', () => {
  it('renders a struct as %Module{...} with atom keys in keyword form', () => {
    const account = map([atom('__struct__'), atom('Elixir.Bank.Account')], [atom('balance'), int(90)], [atom('id'), atom('b')], [atom('ops'), int(17)]);
    assert.strictEqual(formatTerm(account), '%Bank.Account{balance: 90, id: :b, ops: 17}');
  });

  it('renders scalars the way Elixir prints them', () => {
    assert.strictEqual(formatTerm(atom('nil')), 'nil');
    assert.strictEqual(formatTerm(atom('ok')), ':ok');
    assert.strictEqual(formatTerm(atom('with space')), ':"with space"');
    assert.strictEqual(formatTerm(atom('Elixir.Enum')), 'Enum');
    assert.strictEqual(formatTerm({ float: 1e21 }), '1.0e21');
    assert.strictEqual(formatTerm({ float: 2 }), '2.0');
    assert.strictEqual(formatTerm({ bigInt: { negative: true, magnitude: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0]) } }), '-18446744073709551616');
    assert.strictEqual(formatTerm(str('say "hi" #{x}')), '"say \\"hi\\" \\#{x}"');
    assert.strictEqual(formatTerm({ binary: { data: new Uint8Array([255, 1]) } }), '<<255, 1>>');
    assert.strictEqual(formatTerm({ bitstring: { data: new Uint8Array([1, 0b10100000]), trailingBits: 3 } }), '<<1, 5::size(3)>>');
    assert.strictEqual(formatTerm({ pid: { repr: '<0.123.0>' } }), '#PID<0.123.0>');
    assert.strictEqual(formatTerm({ ref: { repr: '#Ref<0.1.2.3>' } }), '#Reference<0.1.2.3>');
    assert.strictEqual(formatTerm({ fun: { module: 'Elixir.Enum', name: 'map', arity: 2, external: true } }), '&Enum.map/2');
  });

  it('recognises charlists, keyword lists and improper lists', () => {
    assert.strictEqual(formatTerm(list(int(104), int(105))), "'hi'");
    assert.strictEqual(formatTerm(list(tuple(atom('a'), int(1)), tuple(atom('b'), str('x')))), '[a: 1, b: "x"]');
    assert.strictEqual(formatTerm({ list: { items: [int(1), int(2)], tail: int(3) } }), '[1, 2 | 3]');
    assert.strictEqual(formatTerm(list(int(1), int(300))), '[1, 300]');
  });

  it('renders maps with non-atom keys with =>', () => {
    assert.strictEqual(formatTerm(map([str('k'), int(1)], [int(2), list()])), '%{"k" => 1, 2 => []}');
  });

  it('shows every cut the agent made', () => {
    assert.strictEqual(formatTerm({ list: { items: [int(1)], omitted: 99 } }), '[1, …(+99)]');
    assert.strictEqual(formatTerm({ tuple: { items: [int(1)], omitted: 2 } }), '{1, …(+2)}');
    assert.strictEqual(formatTerm({ map: { entries: [{ key: atom('a'), value: { truncated: { reason: 0 } } }], omitted: 5 } }), '%{a: …(depth limit), …(+5)}');
    assert.strictEqual(formatTerm({ binary: { data: new TextEncoder().encode('abc'), omittedBytes: 1000 } }), '"abc" …(+1000 bytes)');
  });

  it('cuts long previews with an ellipsis', () => {
    const big = list(...Array.from({ length: 500 }, (_, i) => int(i + 1000)));
    const s = formatTerm(big, { maxLength: 40 });
    assert.strictEqual(s.length, 40);
    assert.ok(s.endsWith('…'));
  });
});

describe('formatTerm (Erlang syntax)', () => {
  it('renders Erlang source forms', () => {
    assert.strictEqual(formatTerm(map([atom('k'), tuple(atom('Elixir.Foo'), str('x'), list(int(104)))]), { syntax: 'erlang' }), "#{k => {'Elixir.Foo',<<\"x\"/utf8>>,\"h\"}}");
    assert.strictEqual(formatTerm(atom('receive'), { syntax: 'erlang' }), "'receive'");
    assert.strictEqual(formatTerm({ pid: { repr: '<0.1.0>' } }, { syntax: 'erlang' }), '<0.1.0>');
  });
});
