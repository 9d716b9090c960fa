// Unit tests of the external-term-format decoder on hand-made bytes (the cross-language test in
// test/integration/codec.test.ts checks it against terms the agent really sends).
import * as assert from 'assert';
import { decodeEtf, etfSource, expandEtf, setEtfLocalNode, termForWire } from '../../../adapter/terms/etf';
import { formatTerm } from '../../../adapter/terms/format';

const atom = (s: string) => [119, s.length, ...Buffer.from(s)];

describe('terms/etf: terms captured whole', () => {
  afterEach(() => setEtfLocalNode(undefined));

  it('decodes a struct-like map, a charlist and a pid into the shapes the renderer knows', () => {
    // %{__struct__: Bank.Account, balance: 90, id: :b} and 'ab' and <0.5.0> on node a@h
    const struct = [116, 0, 0, 0, 3, ...atom('__struct__'), ...atom('Elixir.Bank.Account'), ...atom('balance'), 97, 90, ...atom('id'), ...atom('b')];
    const bytes = Uint8Array.from([131, 104, 3, ...struct, 107, 0, 2, 97, 98, 88, ...atom('a@h'), 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
    setEtfLocalNode('a@h');
    const t = decodeEtf(bytes);
    assert.strictEqual(formatTerm(t), "{%Bank.Account{balance: 90, id: :b}, ~c\"ab\", #PID<0.5.0>}".replace('~c"ab"', formatTerm({ list: { items: [{ int: 97 }, { int: 98 }] } })));
    setEtfLocalNode('other@h');
    assert.match(formatTerm(decodeEtf(bytes)), /#PID<a@h\.5\.0>/);
  });

  it('integers beyond ±2^53 become big_int exactly as the agent would send them', () => {
    // 2^53 + 1 as SMALL_BIG_EXT (7 bytes, little endian), negative
    const big = [131, 110, 7, 1, 1, 0, 0, 0, 0, 0, 0x20];
    const t = decodeEtf(Uint8Array.from(big));
    assert.deepStrictEqual(t.bigInt?.negative, true);
    assert.deepStrictEqual([...(t.bigInt?.magnitude ?? [])], [0x20, 0, 0, 0, 0, 0, 1]);
    assert.deepStrictEqual(decodeEtf(Uint8Array.from([131, 110, 7, 0, 0, 0, 0, 0, 0, 0, 0x20])), { int: 2 ** 53 });
  });

  it('expands in place, keeps the exact bytes for the wire, and turns malformed bytes into a visible cut', () => {
    const good = Uint8Array.from([131, 104, 2, ...atom('ok'), 97, 1]);
    const body = { call: { args: [{ etf: good }, { etf: Uint8Array.from([131, 104, 5, 97]) }, { atom: 'x' }] } };
    expandEtf(body);
    const [ok, bad, plain] = body.call.args as Record<string, unknown>[];
    assert.strictEqual(formatTerm(ok), '{:ok, 1}');
    assert.strictEqual(etfSource(ok), good);
    assert.deepStrictEqual(termForWire(ok), { etf: good });
    assert.ok(bad.truncated, 'a malformed term is shown as cut, not thrown');
    assert.deepStrictEqual(plain, { atom: 'x' });
    assert.throws(() => decodeEtf(Uint8Array.from([131, 104, 5, 97])), /ends early/);
    assert.throws(() => decodeEtf(Uint8Array.from([130, 97, 1])), /version byte/);
  });
});
