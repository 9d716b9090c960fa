// DataBreakpoints (DAP translation of value watches): data ids in, watches and breakpoints out.
import * as assert from 'assert';
import { DataBreakpoints } from '../../../adapter/dap/dataBreakpoints';

describe('DataBreakpoints', () => {
  it('turns data ids into watches, keeps a watch id while the value stays watched, refuses what it did not issue', () => {
    const d = new DataBreakpoints();
    const balance = JSON.stringify({ pid: 3, path: 'state.balance' });
    const first = d.set([{ dataId: balance }, { dataId: 'not json' }, { dataId: JSON.stringify({ pid: 'x', path: 1 }) }]);
    assert.deepStrictEqual(first.watches, [{ id: first.breakpoints[0].id, pid: 3, path: 'state.balance' }]);
    assert.deepStrictEqual(first.breakpoints.map((b) => b.verified), [true, false, false]);
    assert.match(first.breakpoints[1].message ?? '', /not a value ElixirScope can watch/);
    const ops = JSON.stringify({ pid: 3, path: 'state.ops' });
    const second = d.set([{ dataId: ops }, { dataId: balance }]);
    assert.strictEqual(second.breakpoints[1].id, first.breakpoints[0].id, 'same value, same id');
    assert.notStrictEqual(second.breakpoints[0].id, first.breakpoints[0].id);
    assert.strictEqual(d.watchPaths.get(second.breakpoints[0].id!), 'state.ops');
    assert.deepStrictEqual(d.set([]).watches, []);
    assert.strictEqual(d.watchPaths.size, 0);
  });
});
