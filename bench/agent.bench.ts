// Agent recording-engine benchmark: runs erlang/test/esc_trace_bench.erl on a fresh BEAM and reports
// a hot GenServer.call untraced (baseline) vs. the VM's own tracing of it with no agent (the floor)
// vs. its callback module fully recorded by esc_trace (target ≤ 4×), vs. a never-matching match spec on handle_call/3 only
// (target ≤ 1.5×; also as a meta pattern, for reference), and the
// recording throughput through encoding into a sink (one encoder; whole in-node pipeline).
// Also on Erlang/OTP 27 (trace sessions) when its root is installed (scripts/install-otp27.sh).
// Env: AGENT_BENCH_CALLS (calls per measurement, default 200000), AGENT_BENCH_ROUNDS (default 3; medians).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as otp27 from '../scripts/otp27-root';
import { BenchRow } from './types';

const root = path.resolve(__dirname, '..');
/** The bench module and the test helper it loads its modules with (erlang/test). */
const BENCH_SOURCES = ['esc_trace_bench.erl', 'esc_test_src.erl'];

export async function run(): Promise<BenchRow[]> {
  const ebin = path.join(root, 'erlang', 'ebin');
  const src = path.join(root, 'erlang', 'src');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-agent-bench-'));
  try {
    // The agent itself is built by `npm run build`; the bench module is compiled here so this file
    // does not depend on where the build puts test modules.
    if (!fs.existsSync(path.join(ebin, 'esc_trace.beam'))) {
      fs.mkdirSync(ebin, { recursive: true });
      const files = fs.readdirSync(src).filter((f) => f.endsWith('.erl')).map((f) => path.join(src, f));
      execFileSync('erlc', ['+debug_info', '-I', src, '-o', ebin, ...files], { stdio: 'inherit' });
    }
    execFileSync('erlc', ['+debug_info', '-I', src, '-o', out, ...BENCH_SOURCES.map((f) => path.join(root, 'erlang', 'test', f))], {
      stdio: 'inherit',
    });
    const stdout = execFileSync('erl', ['-noshell', '-pa', ebin, out, '-eval', 'esc_trace_bench:main()'], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: out },
      timeout: 10 * 60 * 1000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return [...parseRows(stdout), ...onOtp27()];
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The same bench on Erlang/OTP 27 (trace sessions), in the root scripts/install-otp27.sh makes, with
 * the agent compiled there: rows named "… [OTP 27]", ratios against OTP 27's own untraced call.
 * None when the root cannot be used here.
 */
function onOtp27(): BenchRow[] {
  const why = otp27.unavailable();
  if (why) {
    console.log(`agent bench on OTP 27 skipped: ${why}`);
    return [];
  }
  const st = otp27.stage('esc-agent-bench', [['erlang/src', 'src'], ...BENCH_SOURCES.map((f): [string, string] => [`erlang/test/${f}`, f])]);
  try {
    fs.mkdirSync(path.join(st.real, 'ebin'));
    const r = otp27.run(
      [`cd ${st.inside}`, `erlc +debug_info -I src -o ebin src/*.erl ${BENCH_SOURCES.join(' ')}`, `TMPDIR=${st.inside} erl -noshell -pa ebin -eval 'esc_trace_bench:main()'`].join(' && '),
      { timeoutMs: 10 * 60 * 1000 },
    );
    if (r.status !== 0) throw new Error(`agent bench on OTP 27 failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    return parseRows(r.stdout).map((row) => ({
      ...row,
      name: `${row.name} [OTP 27]`,
      baseline: row.baseline && { ...row.baseline, name: `${row.baseline.name} [OTP 27]` },
    }));
  } finally {
    st.dispose();
  }
}

/** Lines `ROW name|value|unit|baselineName|baselineValue|note` → BenchRow; anything else is ignored. */
export function parseRows(stdout: string): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('ROW ')) continue;
    const [name, value, unit, baseName, baseValue, ...note] = line.slice(4).split('|');
    const row: BenchRow = { name, value: Number(value), unit };
    if (baseName) {
      row.baseline = { name: baseName, value: Number(baseValue) };
      row.ratio = row.value / row.baseline.value;
    }
    const n = note.join('|').trim();
    if (n) row.note = n;
    rows.push(row);
  }
  if (rows.length === 0) throw new Error(`esc_trace_bench printed no ROW lines:\n${stdout}`);
  return rows;
}
