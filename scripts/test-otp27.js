#!/usr/bin/env node
// The agent's EUnit suite again on Erlang/OTP 27 + Elixir 1.18 (trace sessions, the newer compiler
// and Elixir's diagnostics), inside the trixie root made by scripts/install-otp27.sh: the agent's
// sources, tests and the bank example are copied in, compiled there with -Werror, and run.
// Ends with one "N passed, N failed, N skipped" line. Without the root (or without root rights to
// chroot into it) the suite is reported skipped — except under CI, where .ci/run installs it, so
// its absence is a failure.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const eunitCounts = require('./eunit-counts');

const root = path.resolve(__dirname, '..');
const { root: chrootDir, unavailable } = require('./otp27-root');

function finish(c, why) {
  if (why) console.log(`OTP 27 agent tests: ${why}`);
  console.log(`${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  process.exit(c.failed > 0 ? 1 : 0);
}

const missing = unavailable();
if (missing) finish(process.env.CI === 'true' ? { passed: 0, failed: 1, skipped: 0 } : { passed: 0, failed: 0, skipped: 1 }, missing);

// A fresh copy of what the agent's tests need, inside the root.
const work = path.join(chrootDir, 'tmp', `esc-otp27-${process.pid}`);
const inside = `/tmp/${path.basename(work)}`;
const skip = new Set(['_build', 'deps', 'ebin', 'test-ebin']);
const copy = (rel) => fs.cpSync(path.join(root, rel), path.join(work, rel), {
  recursive: true, filter: (src) => !skip.has(path.basename(src)) || src === path.join(root, rel),
});
fs.mkdirSync(path.join(work, 'home'), { recursive: true });
['erlang/src', 'erlang/test', 'examples/bank'].forEach(copy);

const mods = fs.readdirSync(path.join(root, 'erlang/test')).filter((f) => f.endsWith('_tests.erl')).map((f) => path.basename(f, '.erl'));
const script = [
  'set -e',
  `cd ${inside}/erlang`,
  'mkdir -p ebin test-ebin',
  'erl -noshell -eval \'io:format("OTP ~s, ", [erlang:system_info(otp_release)]), halt().\'; elixir --version | tail -1',
  'erlc -Werror +debug_info -I src -o ebin src/*.erl',
  'erlc +debug_info -I src -pa ebin -o test-ebin test/*.erl',
  `erl -noshell -pa ebin -pa test-ebin -eval 'R = eunit:test([${mods.join(', ')}], [verbose]), halt(case R of ok -> 0; _ -> 1 end).'`,
].join('\n');
const r = spawnSync('chroot', [chrootDir, '/usr/bin/env', '-i', `HOME=${inside}/home`, 'LANG=C.UTF-8', 'PATH=/usr/bin:/bin', 'sh', '-c', script],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60 * 1000, maxBuffer: 64 * 1024 * 1024 });
process.stdout.write(r.stdout ?? '');
process.stderr.write(r.stderr ?? '');
fs.rmSync(work, { recursive: true, force: true });
const c = eunitCounts(`${r.stdout}${r.stderr}`);
if (r.status !== 0 && c.failed === 0) c.failed = 1;
finish(c, r.status === 0 ? undefined : `exit ${r.status ?? r.signal}`);
