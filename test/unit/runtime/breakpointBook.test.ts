// BreakpointBook: ids kept across sets, AgentMessage.breakpoints_changed applied to the file it belongs to,
// and the module of every breakpoint verified told when it is (the agent is a stub answering
// SetBreakpoints; unit test only).
import * as assert from 'assert';
import type { AgentConnection } from '../../../adapter/runtime/agentConnection';
import { BreakpointBook } from '../../../adapter/runtime/breakpointBook';

/** An agent that answers SetBreakpoints with `states(ids)` and records nothing else. */
function stubAgent(states: (ids: number[]) => { id: number; verified: boolean; line?: number; message?: string }[]): AgentConnection {
  return {
    request: async (cmd: { setBreakpoints: { breakpoints: { id: number }[] } }) => ({
      breakpoints: { breakpoints: states(cmd.setBreakpoints.breakpoints.map((b) => b.id)) },
    }),
  } as unknown as AgentConnection;
}

describe('BreakpointBook', () => {
  it('applies a breakpoints_changed update to the breakpoint still set, with its file as it now is', async () => {
    const book = new BreakpointBook();
    const agent = stubAgent((ids) => [
      { id: ids[0], verified: false, message: 'pending: module not loaded yet' },
      { id: ids[1], verified: true, line: 9 },
    ]);
    const results = await book.set(agent, '/p/lib/late.ex', [{ line: 3 }, { line: 9 }], []);
    assert.deepStrictEqual(results.map((r) => r.verified), [false, true]);

    const changes = book.changed({ breakpoints: [{ id: results[0].id, verified: true, line: 4, module: 'Elixir.Late' }, { id: 999, verified: true }] });
    assert.strictEqual(changes.length, 1, 'an id the book does not know is ignored');
    assert.deepStrictEqual(changes[0].result, { id: results[0].id, verified: true, line: 4, message: undefined });
    assert.strictEqual(changes[0].file.file, '/p/lib/late.ex');
    assert.deepStrictEqual(changes[0].file.results.map((r) => r.verified), [true, true]);
    assert.deepStrictEqual(changes[0].file.requests, [{ line: 3 }, { line: 9 }]);
  });

  it('ignores a change for a breakpoint that was removed meanwhile', async () => {
    const book = new BreakpointBook();
    const agent = stubAgent((ids) => ids.map((id) => ({ id, verified: false, message: 'pending' })));
    const [first] = await book.set(agent, '', [{ function: 'Late.f/1' }], []);
    await book.set(agent, '', [{ function: 'Other.g/0' }], []);
    assert.deepStrictEqual(book.changed({ breakpoints: [{ id: first.id, verified: true }] }), []);
  });

  it('tells the module of each breakpoint verified, at once or later (a test module loaded after the breakpoint was set)', async () => {
    const placed: string[] = [];
    const book = new BreakpointBook((m) => placed.push(m));
    const agent = stubAgent((ids) => [
      { id: ids[0], verified: true, line: 3, module: 'Elixir.Bank.Account' },
      { id: ids[1], verified: false, message: 'pending: module not loaded yet' },
    ] as never);
    const [, later] = await book.set(agent, '/p/test/x_test.exs', [{ line: 3 }, { line: 9 }], []);
    assert.deepStrictEqual(placed, ['Elixir.Bank.Account']);
    book.changed({ breakpoints: [{ id: later.id, verified: true, line: 9, module: 'Elixir.XTest' }] });
    assert.deepStrictEqual(placed, ['Elixir.Bank.Account', 'Elixir.XTest']);
    book.changed({ breakpoints: [{ id: later.id, verified: false, line: 9, message: 'reloaded without debug info' }] });
    assert.deepStrictEqual(placed, ['Elixir.Bank.Account', 'Elixir.XTest'], 'an unverified state tells nothing');
  });
});
