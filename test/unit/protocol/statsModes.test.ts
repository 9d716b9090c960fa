// The recording modes the adapter and the status bar understand are exactly those Stats.mode can carry
// (the .proto names them), so a mode the agent reports is never dropped as malformed.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseStatsBody, RECORDING_MODES } from '../../../adapter/protocol/customDap';

const proto = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'proto', 'elixir_scope.proto'), 'utf8');

describe('recording modes (Stats.mode)', () => {
  it('match the modes the .proto documents for Stats.mode', () => {
    const line = /string mode = \d+;\s*\/\/(.*)/.exec(proto)?.[1] ?? '';
    const documented = [...line.matchAll(/"(\w+)"/g)].map((m) => m[1]);
    assert.ok(documented.length > 0, `no modes found on Stats.mode's line: ${line}`);
    assert.deepStrictEqual([...RECORDING_MODES].sort(), documented.sort());
  });

  it('every mode parses; an unknown one is refused', () => {
    for (const mode of RECORDING_MODES) assert.strictEqual(parseStatsBody({ eventsPerSecond: 1, eventsKept: 2, dropped: 0, sampled: 0, mode })?.mode, mode);
    assert.strictEqual(parseStatsBody({ eventsPerSecond: 1, eventsKept: 2, dropped: 0, sampled: 0, mode: 'paused' }), undefined);
    assert.strictEqual(parseStatsBody({ eventsPerSecond: 0, eventsKept: 2, dropped: 0, sampled: 0, mode: 'stopped', ended: true })?.ended, true);
    assert.strictEqual(parseStatsBody({ eventsPerSecond: 0, eventsKept: 2, dropped: 0, sampled: 0, mode: 'stopped', ended: 'yes' })?.ended, undefined);
  });
});
