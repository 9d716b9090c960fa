// Real test suites (gen_stage, nimble_pool) three ways in one run: plain `mix test`, recorded by
// ElixirScope at default settings, and with the project's modules interpreted by OTP's :int (the
// ElixirLS debugger's approach). Reports ExUnit and wall time against plain, and what the recording
// kept of the events its plan matched: a fast recording that drops events is not fast.
// `npm run bench realworld`; RW_BENCH_RUNS (default 3) runs of each; the corpus must be present.
import { BenchRow } from './types';
import { copyProject, intSuite, keptShare, plainSuite, realworldRoot, recordedSuite, REALWORLD_PROJECTS, SuiteRun } from '../test/support/realworld';

const RUNS = Number(process.env.RW_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<BenchRow[]> {
  const { dir, why } = realworldRoot();
  if (!dir) return [{ name: `skipped: ${why}`, value: 0, unit: '' }];
  const rows: BenchRow[] = [];
  for (const project of REALWORLD_PROJECTS) {
    const copy = await copyProject(project);
    const plain: SuiteRun[] = [];
    const recorded: { exunitMs: number; wallMs: number; share: number; kept: number; failures: number }[] = [];
    const interpreted: SuiteRun[] = [];
    let intNote = '';
    // Interleaved, so that a slower minute of the machine touches all three alike.
    for (let i = 0; i < RUNS; i++) {
      plain.push(await plainSuite(copy));
      const r = await recordedSuite(copy);
      recorded.push({ exunitMs: r.exunitMs, wallMs: r.wallMs, share: keptShare(r.stats), kept: r.stats.eventsKept, failures: r.failures });
      await r.dc.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
      await r.dc.stop().catch(() => undefined);
      const it = await intSuite(copy, project);
      if ('unavailable' in it) intNote = it.unavailable;
      else interpreted.push(it);
    }
    const base = { ex: median(plain.map((p) => p.exunitMs)), wall: median(plain.map((p) => p.wallMs)) };
    const failures = (xs: { failures: number }[]) => `failures per run: ${xs.map((x) => x.failures).join(', ')}`;
    const rec = { ex: median(recorded.map((r) => r.exunitMs)), wall: median(recorded.map((r) => r.wallMs)) };
    rows.push({ name: `${project}: ExUnit time, recorded (default settings)`, value: rec.ex, unit: 'ms',
      baseline: { name: 'plain mix test', value: base.ex }, ratio: rec.ex / base.ex,
      note: `kept ${recorded.map((r) => `${(r.share * 100).toFixed(1)} %`).join(', ')} of matched events; ${failures(recorded)} (plain: ${failures(plain)})` });
    rows.push({ name: `${project}: wall time from launch, recorded`, value: rec.wall, unit: 'ms',
      baseline: { name: 'plain mix test', value: base.wall }, ratio: rec.wall / base.wall });
    rows.push({ name: `${project}: events kept by the recording`, value: median(recorded.map((r) => r.kept)), unit: 'events',
      note: `median of ${RUNS}` });
    if (interpreted.length > 0) {
      const ie = median(interpreted.map((p) => p.exunitMs));
      rows.push({ name: `${project}: ExUnit time, modules interpreted by :int`, value: ie, unit: 'ms',
        baseline: { name: 'plain mix test', value: base.ex }, ratio: ie / base.ex, note: failures(interpreted) });
    } else rows.push({ name: `${project}: :int row skipped`, value: 0, unit: '', note: intNote });
  }
  return rows;
}
