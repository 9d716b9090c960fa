#!/usr/bin/env node
// The agent's EUnit suite again on Erlang/OTP 27 + Elixir 1.18 (trace sessions, the newer compiler
// and Elixir's diagnostics), inside the trixie root made by scripts/install-otp27.sh: the agent's
// sources, tests and the bank example are copied in, compiled there with -Werror, and run.
// Ends with one "N passed, N failed, N skipped" line. Without the root (or without root rights to
// chroot into it) the suite is reported skipped — except under CI, where .ci/run installs it, so
// its absence is a failure.
const fs = require('fs');
const path = require('path');
const eunitCounts = require('./eunit-counts');

const root = path.resolve(__dirname, '..');
const { unavailable, stage, run } = require('./otp27-root');

function finish(c, why) {
  if (why) console.log(`OTP 27 agent tests: ${why}`);
  console.log(`${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  process.exit(c.failed > 0 ? 1 : 0);
}

const missing = unavailable();
if (missing) finish(process.env.CI === 'true' ? { passed: 0, failed: 1, skipped: 0 } : { passed: 0, failed: 0, skipped: 1 }, missing);

// A fresh copy of what the agent's tests need, inside the root.
const st = stage('esc-otp27', [['erlang/src'], ['erlang/test'], ['examples/bank']]);
fs.mkdirSync(path.join(st.real, 'home'));
const mods = fs.readdirSync(path.join(root, 'erlang/test')).filter((f) => f.endsWith('_tests.erl')).map((f) => path.basename(f, '.erl'));
const script = [
  'set -e',
  `cd ${st.inside}/erlang`,
  'mkdir -p ebin test-ebin',
  'erl -noshell -eval \'io:format("OTP ~s, ", [erlang:system_info(otp_release)]), halt().\'; elixir --version | tail -1',
  'erlc -Werror +debug_info -I src -o ebin src/*.erl',
  'erlc +debug_info -I src -pa ebin -o test-ebin test/*.erl',
  `erl -noshell -pa ebin -pa test-ebin -eval 'R = eunit:test([${mods.join(', ')}], [verbose]), halt(case R of ok -> 0; _ -> 1 end).'`,
].join('\n');
const r = run(script, { home: `${st.inside}/home` });
process.stdout.write(r.stdout ?? '');
process.stderr.write(r.stderr ?? '');
st.dispose();
const c = eunitCounts(`${r.stdout}${r.stderr}`);
if (r.status !== 0 && c.failed === 0) c.failed = 1;
finish(c, r.status === 0 ? undefined : `exit ${r.status ?? r.signal}`);
