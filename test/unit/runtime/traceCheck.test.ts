// traceCheck: which "trace" patterns match none of the modules the agent records, and the numbered
// Debug Console line that says so.
import * as assert from 'assert';
import { unmatchedTracePatterns, unmatchedTraceWarnings } from '../../../adapter/runtime/traceCheck';

describe('traceCheck', () => {
  const recorded = ['Elixir.Bank.Account', 'Elixir.Bank.Ledger', 'ets', 'cowboy_req'];

  it('keeps only the patterns that match no recorded module', () => {
    assert.deepStrictEqual(
      unmatchedTracePatterns(['Bank.*', 'Bank.Account', ':ets', ':cowboy*', 'Bank.Nope', 'Nope.*', ':nope*', 'Elixir.Bank.Ledger'], recorded),
      ['Bank.Nope', 'Nope.*', ':nope*'],
    );
    assert.deepStrictEqual(unmatchedTracePatterns([], recorded), []);
  });

  it('Bank.Acc.* is the modules below Bank.Acc, not every name starting Bank.Acc', () => {
    assert.deepStrictEqual(unmatchedTracePatterns(['Bank.Acc.*'], recorded), ['Bank.Acc.*']);
  });

  it('says each one on its own numbered line', () => {
    assert.deepStrictEqual(unmatchedTraceWarnings(['Foo.*'], recorded), [
      '[ElixirScope 1020] trace pattern "Foo.*" matches no loaded module: nothing is recorded for it until a module it names loads. Check its spelling in "trace".\n',
    ]);
  });
});
