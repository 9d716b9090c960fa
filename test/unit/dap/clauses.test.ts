// Which clause a recorded call went through, from the source's clause heads: the line frames are
// located at and the names its arguments get when the agent gave none (calls that are not hits).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SourceClauses } from '../../../adapter/dap/clauses';
import { Kind } from '../../../adapter/store/eventKind';
import { load } from '../store/harness';
import { Synth, mfa, t } from '../store/synth';

const MOD = 'Elixir.Stage';
const SRC = `defmodule Stage do
  @moduledoc """
  Example:

      def handle_info({:ask, n}, state) do
        {:noreply, [], state}
      end
  """

  @doc false
  def handle_info(message, state)

  def handle_info({:DOWN, _ref, _, _, reason}, state) do
    {:stop, reason, state}
  end

  def handle_info(
        {:ask, n},
        %{demand: demand} = state
      )
      when is_integer(n) do
    {:noreply, %{state | demand: demand + n}}
  end
end
`;

describe('dap: the clause a recorded call went through', () => {
  let dir = '';
  let file = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-clauses-'));
    file = path.join(dir, 'stage.ex');
    fs.writeFileSync(file, SRC);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('matches the arguments against the real clause heads, not doc examples or a bodiless head', () => {
    const s = new Synth();
    // Recorded calls the agent did not bind (not hits): clause 0, line 0.
    const call = (args: ReturnType<typeof t.atom>[]) => s.add({ pid: '<0.1.0>', kind: Kind.CALL, mfa: mfa('handle_info', 2, MOD), body: { call: { args, clause: 0, line: 0 } } });
    call([t.tuple(t.atom('ask'), t.int(3)), t.map({ demand: t.int(1) })]);
    call([t.tuple(t.atom('DOWN'), t.atom('r'), t.atom('process'), t.atom('p'), t.atom('normal')), t.map({})]);
    const { store } = load(s);
    const c = new SourceClauses();
    const m = { module: MOD, function: 'handle_info', arity: 2 };
    const ask = c.clauseOf(store, 0, m, file);
    assert.deepEqual([ask?.line, ask?.clause, ask?.bindings.map((b) => b.name)], [17, 2, ['n', 'demand', 'state']]);
    const down = c.clauseOf(store, 1, m, file);
    assert.deepEqual([down?.line, down?.clause, down?.bindings.map((b) => b.name)], [13, 1, ['reason', 'state']]);
  });

  it("takes the agent's clause line when the call was a hit", () => {
    const s = new Synth();
    s.call('<0.1.0>', mfa('handle_info', 2, MOD), [t.atom('x'), t.map({})], { line: 17 });
    const { store } = load(s);
    assert.equal(new SourceClauses().clauseOf(store, 0, { module: MOD, function: 'handle_info', arity: 2 }, '')?.line, 17);
  });
});
