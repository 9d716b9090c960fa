import * as assert from 'assert';
import * as fs from 'fs';
import { functionsOf } from '../../../adapter/lsp/clauseHeads';
import { evalGuard, parseGuard } from '../../../adapter/lsp/clauseGuards';
import { matchClause, parsePattern } from '../../../adapter/lsp/clausePatterns';
import { hoverTargetAt, identifiersOn } from '../../../adapter/lsp/hoverTargets';
import { modulesDefinedIn } from '../../../adapter/lsp/server';
import { formatTerm } from '../../../adapter/terms/format';
import { t } from '../store/synth';
import { accountEx } from './support';

const show = (m: Map<string, unknown> | undefined): Record<string, string> | undefined =>
  m && Object.fromEntries([...m].map(([k, v]) => [k, formatTerm(v as never)]));

describe('lsp: reading Elixir source', () => {
  it('finds the variable or field path under the cursor, not atoms, keys, calls or modules', () => {
    const line = '    state = %{state | balance: state.balance + amount, ops: state.ops + 1}';
    assert.deepStrictEqual(hoverTargetAt(line, line.indexOf('amount') + 2), { name: 'amount', expression: 'amount', start: line.indexOf('amount'), end: line.indexOf('amount') + 6 });
    const bal = line.indexOf('state.balance') + 8;
    assert.strictEqual(hoverTargetAt(line, bal)?.expression, 'state.balance');
    assert.strictEqual(hoverTargetAt(line, line.indexOf('balance:') + 1), undefined, 'keyword key');
    assert.strictEqual(hoverTargetAt('    Bank.Ledger.record(state.id, :deposit, amount)', 10), undefined, 'Module.fun');
    const rec = '    Bank.Ledger.record(state.id, :deposit, amount)';
    assert.strictEqual(hoverTargetAt(rec, rec.indexOf(':deposit') + 2), undefined, 'atom');
    assert.strictEqual(hoverTargetAt(rec, rec.indexOf('id,'))?.expression, 'state.id');
    assert.strictEqual(hoverTargetAt('    fee = fee_for(amount)', 12), undefined, 'local call');
    assert.strictEqual(hoverTargetAt('    x = 1 # amount', 15), undefined, 'comment');
    assert.deepStrictEqual([...identifiersOn('    new_balance = balance - amount - fee # state')].sort(), ['amount', 'balance', 'fee', 'new_balance']);
  });

  it('names the modules a file defines (asked of the agent when the file opens)', () => {
    assert.deepStrictEqual(modulesDefinedIn(fs.readFileSync(accountEx, 'utf8')), ['Elixir.Bank.Account']);
    assert.deepStrictEqual(modulesDefinedIn("%% x\n-module('bank_erl').\n"), ['bank_erl']);
  });

  it('reads the clause heads of a real module, guards included', () => {
    const fns = functionsOf(fs.readFileSync(accountEx, 'utf8').split('\n'));
    const hc = fns.find((f) => f.name === 'handle_call' && f.arity === 3)!;
    assert.deepStrictEqual(hc.clauses.map((c) => c.line + 1), [25, 31, 40, 45]);
    assert.ok(hc.clauses[1].guard && hc.clauses[1].guard.k === 'and', 'multi-line guard of clause 2');
    assert.deepStrictEqual(fns.find((f) => f.name === 'deposit')?.clauses[0].params.map((p) => p?.k), ['var', 'var']);
  });

  it('matches captured arguments against clause patterns and evaluates guards', () => {
    const fns = functionsOf(fs.readFileSync(accountEx, 'utf8').split('\n'));
    const hc = fns.find((f) => f.name === 'handle_call' && f.arity === 3)!;
    const state = t.map({ __struct__: t.atom('Elixir.Bank.Account'), balance: t.int(25), id: t.atom('b'), ops: t.int(5) });
    const args = [t.tuple(t.atom('withdraw'), t.int(30)), t.tuple(t.atom('pid'), t.atom('tag')), state];
    assert.strictEqual(matchClause(hc.clauses[0].params, args, 'Elixir.Bank.Account'), undefined, 'deposit clause does not match');
    const m2 = matchClause(hc.clauses[1].params, args, 'Elixir.Bank.Account')!;
    assert.deepStrictEqual(show(m2), { amount: '30', _from: '{:pid, :tag}', balance: '25', state: '%Bank.Account{balance: 25, id: :b, ops: 5}' });
    assert.strictEqual(evalGuard(hc.clauses[1].guard!, m2, 'Elixir.Bank.Account'), false, '30 <= 25 is false: clause 2 did not run');
    assert.strictEqual(matchClause(hc.clauses[1].params, [args[0], args[1], t.map({ __struct__: t.atom('Elixir.Other'), balance: t.int(1) })], 'Elixir.Bank.Account'), undefined, 'struct name checked');
    assert.deepStrictEqual(show(matchClause([parsePattern('[h | rest]'), parsePattern('%{"k" => v, a: 1}')], [t.list(t.int(1), t.int(2)), t.map({ a: t.int(1) })], 'M')), undefined, 'missing key');
    assert.deepStrictEqual(show(matchClause([parsePattern('[h | rest]'), parsePattern('opts \\\\ []')], [t.list(t.int(1), t.int(2)), t.list()], 'M')), { h: '1', rest: '[2]', opts: '[]' });
    assert.strictEqual(evalGuard(parseGuard('is_integer(n) and (n > 0 or n == -1)'), new Map([['n', t.int(-1)]]), 'M'), true);
    assert.strictEqual(evalGuard(parseGuard('length(xs) > 2'), new Map(), 'M'), undefined, 'unknown functions are not decided');
  });
});
