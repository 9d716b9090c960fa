// No silent holes, over a real BEAM and real DAP: examples/bank's storm.exs deposits into account :a
// from four processes as fast as they can (Bank.Storm.run/3), more than the agent can record, so it
// drops events. Then:
// 1. the once-a-second stats said what was kept while the program ran (eventsKept > 0), and the losses;
// 2. Step Out from the hit at Bank.Storm.run/3's entry to its return crosses the storm: the stop says
//    how many events of that process were not recorded, and why;
// 3. the lost events are marked per process, with counts: account :a's state history and the message
//    sequence carry gap markers (gapBefore) where events are missing.
import * as assert from 'assert';
import { DebugProtocol } from '@vscode/debugprotocol';
import { CustomRequests } from '../../adapter/protocol/customDap';
import type { MessageEvent, StateVersion } from '../../adapter/protocol/webviewData';
import { bankProject, customRequestBody, endSession, TracedDebugClient } from '../support/dapSession';

async function all<T>(fetch: (from: number) => Promise<{ total: number; from: number; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for (let from = 0; ; ) {
    const page = await fetch(from);
    out.push(...page.items);
    from = page.from + page.items.length;
    if (page.items.length === 0 || from >= page.total) return out;
  }
}

describe('gaps: lost events are marked, per process, with counts (real BEAM, real DAP)', function () {
  let dc: TracedDebugClient | undefined;

  afterEach(async function () {
    await endSession(this, dc);
    dc = undefined;
  });

  it('1. stats while running → 2. a step over the storm says what it crossed → 3. gap markers per process', async () => {
    dc = new TracedDebugClient();
    await dc.start();
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 60_000);
    await dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['storm.exs', '2500'] } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Bank.Storm.run/3' }] });
    assert.ok(set.body.breakpoints[0].verified, JSON.stringify(set.body));
    const hit = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    const threadId = (await hit).body.threadId!;

    // The program runs on (nothing pauses it) and ends; its last line tells how many deposits it made.
    await dc.waitForOutput((o) => /The program exited/.test(o), 90_000);
    const deposits = Number(/storm finished: (\d+) deposits/.exec(dc.output)?.[1] ?? 0);
    assert.ok(deposits > 0, 'the storm ran');

    // 1. While it ran, the stats said what was kept — and that events were lost.
    const stats = dc.events.filter((e) => e.event === 'elixirScope.stats').map((e) => e.body as { eventsKept: number; dropped: number; ended?: boolean });
    const running = stats.filter((s) => !s.ended);
    assert.ok(running.some((s) => s.eventsKept > 0), `eventsKept > 0 before the end: ${JSON.stringify(stats)}`);
    assert.ok(stats.some((s) => s.dropped > 0), `losses counted: ${JSON.stringify(stats)}`);

    // 2. Step Out of run/3: from its entry to its return, over everything this process did in the storm.
    const stepped = dc.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.stepOutRequest({ threadId });
    const stop = (await stepped).body;
    assert.strictEqual(stop.threadId, threadId);
    assert.match(stop.description ?? '', /stepped over a gap: [\d,]+ events? of this process not recorded \((the agent was overloaded|the agent could not encode fast enough|the connection to the debugger could not keep up)/, JSON.stringify(stop));
    const lost = Number(/stepped over a gap: ([\d,]+) event/.exec(stop.description ?? '')![1].replace(/,/g, ''));
    assert.ok(lost > 0);
    const top = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    assert.match(top.name, /Bank\.Storm\.run\/3/, 'landed on the return of run/3');

    // 3a. Account :a took every deposit: its state history marks where its versions are missing.
    const procs = (await customRequestBody(dc, CustomRequests.stateProcesses, {})).processes;
    const a = procs.find((p) => p.title === 'Bank.Account {:account, :a}');
    assert.ok(a, JSON.stringify(procs.map((p) => p.title)));
    const versions = await all((from) => customRequestBody(dc!, CustomRequests.stateVersions, { key: a.key, from, count: 5000 }));
    const marked = versions.filter((v: StateVersion) => v.gapBefore);
    assert.ok(marked.length > 0, `gap markers among ${versions.length} versions of account :a`);
    // Lost events of this process, or its callbacks sampled by the rate limit meanwhile (count 0: none of its own lost).
    for (const v of marked) assert.match(v.gapBefore!.text, v.gapBefore!.count > 0 ? /^[\d,]+ events? of this process not recorded \(/ : /^calls of Bank\.Account\.\S+ recorded 1 in \d+|suspended/);
    const lostHere = marked.filter((v) => v.gapBefore!.count > 0);
    assert.ok(lostHere.length > 0, `markers with lost events: ${JSON.stringify(marked.slice(0, 3).map((v) => v.gapBefore))}`);
    // Fewer versions than deposits were recorded, and the markers account for missing events.
    assert.ok(versions.length < deposits + 2, `${versions.length} versions for ${deposits} deposits`);

    // 3b. The message sequence marks the gaps between messages, naming the processes that lost events.
    const messages = await all((from) => customRequestBody(dc!, CustomRequests.messages, { from, count: 5000 }));
    const gapped = messages.filter((m: MessageEvent) => m.gapBefore);
    assert.ok(gapped.length > 0, `gap markers among ${messages.length} messages`);
    assert.match(gapped[0].gapBefore!.text, /^[\d,]+ events? not recorded \(.+: [\d,]+/);
  });
});
