// Trace storm through the whole product: examples/bank's storm.exs (four processes depositing as fast
// as they can for STORM_MS, 10 s by default) launched over real DAP, STORM_BENCH_RUNS times (5).
// Reports the peak over the runs of the debugged node's memory above where it stood when the storm
// began (resident set of beam.smp, sampled every 50 ms), the adapter's peak resident set, whether the
// agent reported degrading, and how long after the storm full recording was back.
import * as fs from 'fs';
import { DebugProtocol } from '@vscode/debugprotocol';
import { bankProject, endSession, TracedDebugClient } from '../test/support/dapSession';
import { BenchRow } from './types';

const RUNS = Number(process.env.STORM_BENCH_RUNS ?? 5);
const STORM_MS = Number(process.env.STORM_MS ?? 10_000);
const MB = 1024 * 1024;

/** Resident set of a process, in bytes (0 once it is gone). */
function rss(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The beam.smp process started (through mix) by the adapter with this pid. */
function beamUnder(adapterPid: number): number | undefined {
  const parent = new Map<number, number>();
  const beams: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
      if (comm.startsWith('beam')) beams.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return beams.find((b) => {
    for (let p = parent.get(b); p !== undefined && p > 1; p = parent.get(p)) if (p === adapterPid) return true;
    return false;
  });
}

interface StormRun {
  nodeGrowth: number;
  adapterPeak: number;
  degraded: boolean;
  backAfterMs: number | undefined;
}

async function once(): Promise<StormRun> {
  const dc = new TracedDebugClient();
  try {
    await dc.start();
    const adapterPid = dc.adapterPid;
    if (adapterPid === undefined) throw new Error('the adapter process has no pid');
    await dc.initializeRequest();
    const initialized = dc.waitForEvent('initialized', 60_000);
    await dc.launchRequest({ projectDir: bankProject, task: 'run', taskArgs: ['storm.exs', String(STORM_MS), '6000'] } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Bank.Storm.run/3' }] });
    const hit = dc.waitForEvent('stopped', 60_000);
    await dc.configurationDoneRequest();
    await hit;
    const beam = beamUnder(adapterPid);
    if (beam === undefined) throw new Error('the debugged node (beam.smp) was not found under the adapter');
    const base = rss(beam);
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(beam))), 50);
    await dc.waitForOutput((o) => /storm finished/.test(o), STORM_MS + 60_000);
    const ended = Date.now();
    clearInterval(sampler);
    // Full recording back: the first stats event sent after the storm whose mode is full again.
    const stats = () => dc.events.filter((e) => e.event === 'elixirScope.stats').map((e) => e.body as { mode?: string });
    const before = stats().length;
    let backAfterMs: number | undefined;
    for (let waited = 0; waited < 5000 && backAfterMs === undefined; waited += 100) {
      if (stats().slice(before).some((s) => s.mode === 'full')) backAfterMs = Date.now() - ended;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const degraded = dc.events.some((e) => e.event === 'elixirScope.stats' && (e.body as { mode?: string }).mode !== 'full');
    return { nodeGrowth: peak - base, adapterPeak: rss(adapterPid, 'VmHWM'), degraded, backAfterMs };
  } finally {
    await endSession({ currentTest: { state: 'passed' } } as unknown as Mocha.Context, dc);
  }
}

export async function run(): Promise<BenchRow[]> {
  const runs: StormRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const note = `${RUNS} runs of ${STORM_MS / 1000} s, 4 processes`;
  return [
    { name: 'storm: node memory growth, peak of runs', value: Math.max(...runs.map((r) => r.nodeGrowth)) / MB, unit: 'MB', note: `${note}; each: ${runs.map((r) => (r.nodeGrowth / MB).toFixed(0)).join(', ')}` },
    { name: 'storm: adapter resident set, peak of runs', value: Math.max(...runs.map((r) => r.adapterPeak)) / MB, unit: 'MB', note },
    { name: 'storm: runs where the agent degraded (reported)', value: runs.filter((r) => r.degraded).length, unit: `of ${RUNS}` },
    { name: 'storm: full recording back after the storm, worst run', value: Math.max(...runs.map((r) => r.backAfterMs ?? Infinity)), unit: 'ms', note: 'stats once a second, so ±1 s' },
  ];
}
