// Breakpoint costs on the user's hot path, measured on a fresh BEAM by erlang/test/esc_probe_bench.erl:
// a never-matching condition on a hot handle_call/3 (target ≤ 1.5× untraced) and disabled body-line
// probes (target ≤ 1.1× the original module on the same workload), each with its baseline in the same run.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { BenchRow } from './types';

const root = path.resolve(__dirname, '..');

export async function run(): Promise<BenchRow[]> {
  const code = `[io:format("ROW\\t~ts\\t~p\\t~ts\\t~ts\\t~p~n", [N, V, U, BN, BV]) || {N, V, U, BN, BV} <- esc_probe_bench:run()], halt().`;
  const out = execFileSync('erl', ['-noshell', '-pa', path.join(root, 'erlang', 'ebin'), '-pa', path.join(root, 'erlang', 'test-ebin'), '-eval', code], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ERL_AFLAGS: '' },
    timeout: 10 * 60 * 1000,
  });
  const targets: Record<string, string> = {
    'never-matching condition on handle_call/3 (GenServer.call)': 'target ≤ 1.5×',
    'disabled line probes in handle_call/3 (GenServer.call)': 'target ≤ 1.1×',
  };
  return out
    .split('\n')
    .filter((l) => l.startsWith('ROW\t'))
    .map((l) => {
      const [, name, value, unit, baseName, baseValue] = l.split('\t');
      const v = Number(value);
      const b = Number(baseValue);
      return { name, value: v, unit, baseline: { name: baseName, value: b }, ratio: v / b, note: targets[name] ?? '' };
    });
}
