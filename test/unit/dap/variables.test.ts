// Every value the Debug pane shows under the State, Message or a bindings scope can be added to the
// watch: its evaluateName evaluates (terms/exprEval) to exactly that value, whatever the callback
// named its state parameter.
import * as assert from 'assert';
import { DebugProtocol } from '@vscode/debugprotocol';
import { scopeBindings, VariableTable } from '../../../adapter/dap/variables';
import { evaluateExpression } from '../../../adapter/terms/exprEval';
import { formatTerm } from '../../../adapter/terms/format';
import { atom, int, list, map, str, T, tuple } from '../../support/terms';


// A LiveView-like socket: a struct with nested maps, lists, keyword lists and keys of every literal kind.
const socket = map([atom('__struct__'), atom('Elixir.Phoenix.LiveView.Socket')], [atom('id'), str('phx-1')],
  [atom('assigns'), map([atom('count'), int(3)], [atom('items'), list(atom('a'), tuple(atom('b'), int(2)), map([atom('deep'), int(9)]))],
    [atom('opts'), list(tuple(atom('timeout'), int(5)), tuple(atom('weird key'), int(6)))], [str('s'), int(7)], [int(42), atom('answer')],
    [atom('Elixir.Bank.Ledger'), atom('mod')], [atom('ok?'), atom('true')], [atom('end'), int(8)], [atom('with space'), int(10)])],
  [atom('weird-key'), int(11)]);
const request = tuple(atom('withdraw'), int(10), list(int(1), int(2), int(3)));

/** Every (evaluateName, value) pair reachable from a scope, depth first. */
function walk(vt: VariableTable, ref: number, out: Array<{ v: DebugProtocol.Variable }> = [], depth = 0): Array<{ v: DebugProtocol.Variable }> {
  for (const v of vt.variables(ref)) {
    out.push({ v });
    if (v.variablesReference > 0 && depth < 8) walk(vt, v.variablesReference, out, depth + 1);
  }
  return out;
}

function checkAll(vt: VariableTable, ref: number, bindings: Map<string, T>): number {
  let n = 0;
  for (const { v } of walk(vt, ref)) {
    if (v.name === '| tail' || v.name === '…') continue;
    assert.ok(v.evaluateName, `${v.name} (${v.value}) has an evaluateName`);
    const got = formatTerm(evaluateExpression(v.evaluateName!, bindings), { maxLength: 300 });
    assert.strictEqual(got, v.value, `${v.evaluateName} evaluates to what the scope shows`);
    n++;
  }
  return n;
}

describe('variables: evaluateName of scope values', () => {
  it('State scope of a callback whose parameter is named socket: every value evaluates as shown', () => {
    const vt = new VariableTable();
    const frame = new Map<string, T>([['socket', socket], ['params', map()]]);
    const { names, extra } = scopeBindings(frame, { state: socket, message: request });
    assert.deepStrictEqual(names, { state: 'state', message: 'message' });
    const bindings = new Map([...frame, ...extra]);
    const stateRef = vt.add({ kind: 'named', syntax: 'elixir', entries: [{ name: 'state', term: socket, evaluateName: names.state }], origin: { pid: 1, root: names.state } });
    const n = checkAll(vt, stateRef, bindings);
    assert.ok(n >= 18, `${n} values checked`);
    const msgRef = vt.add({ kind: 'named', syntax: 'elixir', entries: [{ name: 'message', term: request, evaluateName: names.message }] });
    assert.strictEqual(checkAll(vt, msgRef, bindings), 7);
  });

  it('a frame binding `state` to another value (a helper, a gen_statem data) keeps it; the scope gets scope_state', () => {
    const vt = new VariableTable();
    const older = map([atom('count'), int(1)]);
    const frame = new Map<string, T>([['state', older], ['message', atom('other')]]);
    const { names, extra } = scopeBindings(frame, { state: socket, message: request });
    assert.deepStrictEqual(names, { state: 'scope_state', message: 'scope_message' });
    const bindings = new Map([...frame, ...extra]);
    assert.strictEqual(formatTerm(evaluateExpression('state.count', bindings)), '1'); // the argument, as the Arguments scope shows it
    const ref = vt.add({ kind: 'named', syntax: 'elixir', entries: [{ name: 'state', term: socket, evaluateName: names.state }], origin: { pid: 4, root: names.state } });
    checkAll(vt, ref, bindings);
    // Break on Value Change watches the state itself: its path is rooted at `state` again.
    const assigns = vt.variables(ref)[0].variablesReference;
    const countVar = vt.variables(vt.variables(assigns).find((v) => v.name === 'assigns')!.variablesReference).find((v) => v.name === 'count')!;
    assert.strictEqual(countVar.evaluateName, 'scope_state.assigns.count');
    assert.deepStrictEqual(vt.watchable(vt.variables(assigns).find((v) => v.name === 'assigns')!.variablesReference, 'count'), { pid: 4, path: 'state.assigns.count' });
  });

  it('a frame binding `state` to the same value shares the name', () => {
    const { names, extra } = scopeBindings(new Map([['state', socket]]), { state: socket });
    assert.deepStrictEqual(names, { state: 'state' });
    assert.strictEqual(extra.size, 0);
  });

  it('bindings scopes: list elements past the head and keys of every literal kind evaluate too', () => {
    const vt = new VariableTable();
    const bindings = new Map<string, T>([['request', request], ['socket', socket]]);
    const ref = vt.bindings([{ name: 'request', value: request }, { name: 'socket', value: socket }], 'elixir');
    assert.ok(checkAll(vt, ref, bindings) >= 25);
  });
});
