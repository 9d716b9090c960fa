// The Elixir TextMate grammar, run through vscode-textmate + Oniguruma (VS Code's engine): every rule
// compiles, and the constructs users see most get the expected scopes.
import * as assert from 'assert';
import { scopeOf, tokenize, type Token } from './tokenize';

const SAMPLE = [
  'defmodule Bank.Account do', //                                  1
  '  @moduledoc """', //                                            2
  '  Accounts #{1 + 1}.', //                                        3
  '  """', //                                                       4
  '  use GenServer', //                                             5
  '  @fee 0x1F + 1_000 + 2.5e-3', //                                6
  '  def deposit(id, amount), do: GenServer.call(via(id), {:deposit, amount})', // 7
  '  defp valid?(x) when x > 0, do: true # positive', //            8
  '  def run(list) do', //                                         9
  '    list |> Enum.map(&(&1 * 2)) |> Enum.filter(&is_integer/1)', // 10
  '    "sum: #{%{a: 1}.a} done" <> \'chars\' <> ~s(sig #{x}) <> ~S|raw #{y}|', // 11
  '    {~r/ab+c/i, :"quoted atom", :ok?, ?#, nil, __MODULE__, <<1, 2::size(8)>>}', // 12
  '    ~s"""', //                                                   13
  '    heredoc sigil', //                                           14
  '    """', //                                                     15
  '  end', //                                                       16
  'end', //                                                         17
].join('\n');

describe('Elixir grammar', function () {
  this.timeout(30_000);
  let lines: Token[][];

  before(async () => {
    lines = await tokenize(SAMPLE);
  });

  const line = (n: number) => lines[n - 1];
  const scope = (n: number, text: string) => scopeOf([line(n)], text);

  it('modules and definitions', () => {
    assert.strictEqual(scope(1, 'defmodule'), 'keyword.declaration.module.elixir');
    assert.strictEqual(scope(1, 'Bank.Account'), 'entity.name.type.module.elixir');
    assert.strictEqual(scope(7, 'def'), 'keyword.declaration.function.elixir');
    assert.strictEqual(scope(7, 'deposit'), 'entity.name.function.elixir');
    assert.strictEqual(scope(8, 'valid?'), 'entity.name.function.elixir');
    assert.strictEqual(scope(5, 'use'), 'keyword.other.special-method.elixir');
    assert.strictEqual(scope(5, 'GenServer'), 'entity.name.type.module.elixir');
  });

  it('doc heredocs with interpolation', () => {
    assert.ok(line(3).some((t) => t.scopes.includes('comment.block.documentation.heredoc.elixir')));
    assert.strictEqual(scope(3, '#{'), 'punctuation.section.embedded.begin.elixir');
    assert.ok(line(5).every((t) => !t.scopes.some((s) => s.startsWith('comment'))), 'the heredoc ends');
  });

  it('module attributes and numbers', () => {
    assert.strictEqual(scope(6, 'fee'), 'variable.other.readwrite.module.elixir');
    assert.strictEqual(scope(6, '0x1F'), 'constant.numeric.hex.elixir');
    assert.strictEqual(scope(6, '1_000'), 'constant.numeric.integer.elixir');
    assert.strictEqual(scope(6, '2.5e-3'), 'constant.numeric.float.elixir');
  });

  it('atoms, keyword keys, keywords and comments', () => {
    assert.strictEqual(scope(7, 'deposit', ), 'entity.name.function.elixir');
    assert.ok(line(7).some((t) => t.text === 'deposit' && t.scopes.includes('constant.other.symbol.elixir')), ':deposit is an atom');
    assert.ok(line(7).some((t) => t.text === 'do' && t.scopes.includes('constant.other.symbol.keyword.elixir')), 'do: is a keyword key');
    assert.strictEqual(scope(8, 'when'), 'keyword.operator.word.elixir');
    assert.strictEqual(scope(8, 'true'), 'constant.language.elixir');
    assert.ok(line(8).some((t) => t.scopes.includes('comment.line.number-sign.elixir') && t.text.includes('positive')));
    assert.strictEqual(scope(9, 'do'), 'keyword.control.elixir');
    assert.strictEqual(scope(16, 'end'), 'keyword.control.elixir');
  });

  it('pipes and captures', () => {
    assert.strictEqual(scope(10, '|>'), 'keyword.operator.pipe.elixir');
    assert.strictEqual(scope(10, '&'), 'keyword.operator.capture.elixir');
    assert.strictEqual(scope(10, '&1'), 'variable.parameter.capture.elixir');
    assert.strictEqual(scope(10, 'is_integer'), 'entity.name.function.call.elixir');
  });

  it('strings, interpolation with nested braces, charlists and sigils', () => {
    const l = line(11);
    assert.ok(l.some((t) => t.text === 'sum: ' && t.scopes.includes('string.quoted.double.elixir')));
    assert.ok(l.some((t) => t.text === ' done' && t.scopes.includes('string.quoted.double.elixir')), 'the map\'s } does not end the interpolation');
    assert.ok(l.some((t) => t.text === 'chars' && t.scopes.includes('string.quoted.single.elixir')));
    assert.ok(l.some((t) => t.text === 'x' && t.scopes.includes('meta.embedded.line.elixir')), '~s interpolates');
    assert.ok(l.some((t) => t.text === 'raw #{y}' && t.scopes.includes('string.quoted.other.sigil.elixir')), '~S does not');
  });

  it('regex sigils, quoted atoms, char literals, binaries', () => {
    const l = line(12);
    assert.ok(l.some((t) => t.text === 'ab+c' && t.scopes.includes('string.regexp.sigil.elixir')));
    assert.ok(l.some((t) => t.text === 'i' && t.scopes.includes('storage.modifier.sigil.elixir')));
    assert.ok(l.some((t) => t.text === 'quoted atom' && t.scopes.includes('constant.other.symbol.quoted.elixir')));
    assert.ok(l.some((t) => t.text === 'ok?' && t.scopes.includes('constant.other.symbol.elixir')));
    assert.strictEqual(scopeOf([l], '?#'), 'constant.numeric.character.elixir');
    assert.strictEqual(scopeOf([l], '__MODULE__'), 'variable.language.elixir');
    assert.strictEqual(scopeOf([l], '<<'), 'punctuation.section.binary.elixir');
    assert.strictEqual(scopeOf([l], '::'), 'keyword.operator.arrow.elixir');
  });

  it('sigil heredocs close, and the code after them is code again', () => {
    assert.ok(line(14).some((t) => t.scopes.includes('string.quoted.other.sigil.heredoc.elixir')));
    assert.strictEqual(scope(16, 'end'), 'keyword.control.elixir');
    assert.strictEqual(scope(17, 'end'), 'keyword.control.elixir');
  });

  it('tokenizes the example project without leaving an open string at the end', async () => {
    const fs = await import('fs');
    const path = await import('path');
    const dir = path.resolve(__dirname, '..', '..', '..', 'examples', 'bank', 'lib', 'bank');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ex'))) {
      const toks = await tokenize(fs.readFileSync(path.join(dir, f), 'utf8').trimEnd());
      const last = toks[toks.length - 1];
      assert.strictEqual(scopeOf([last], 'end'), 'keyword.control.elixir', `${f} ends outside any string`);
    }
  });
});
