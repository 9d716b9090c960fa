// "Debug test at cursor" and its code lens: which lines are tests, and the file:line given to mix test.
import * as assert from 'assert';
import { findTestLocations, testLocation } from '../../../extension/testLocations';

describe('test locations', () => {
  it('finds test and describe lines (1-based), not examples inside heredocs', () => {
    const source = [
      'defmodule Bank.AccountTest do', //                 1
      '  use ExUnit.Case, async: true', //                2
      '  @moduledoc """', //                              3
      '  test "inside docs" do', //                       4
      '  """', //                                         5
      '  describe "deposit/2" do', //                     6
      '    test "adds money", %{account: a} do', //       7
      '      assert 1 == 1', //                           8
      '    end', //                                       9
      "    test 'charlist name' do", //                   10
      '    test "escaped \\" quote" do', //               11
      '  end', //                                         12
      '  def test(x), do: x', //                          13
      'end', //                                           14
    ].join('\n');
    assert.deepStrictEqual(findTestLocations(source), [
      { line: 6, kind: 'describe', name: 'deposit/2' },
      { line: 7, kind: 'test', name: 'adds money' },
      { line: 10, kind: 'test', name: 'charlist name' },
      { line: 11, kind: 'test', name: 'escaped \\" quote' },
    ]);
  });

  it('gives mix test a project-relative path with forward slashes', () => {
    assert.strictEqual(testLocation('/p/bank', '/p/bank/test/account_test.exs', 7, '/'), 'test/account_test.exs:7');
    assert.strictEqual(testLocation('C:\\p\\bank', 'C:\\p\\bank\\test\\account_test.exs', 3, '\\'), 'test/account_test.exs:3');
  });
});
