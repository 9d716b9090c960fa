#!/usr/bin/env node
// Checks what ElixirScope needs on this machine and says exactly what to install when something is missing.
const { spawnSync } = require('child_process');

const problems = [];
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) problems.push(`Node.js ${process.versions.node} is too old: install Node.js ≥ 20.`);

function version(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return undefined;
  return `${r.stdout}${r.stderr}`;
}

const otp = version('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().']);
if (otp === undefined) problems.push('Erlang/OTP is not installed: install Erlang/OTP ≥ 25 (Debian/Ubuntu: apt-get install erlang-base erlang-dev erlang-eunit erlang-tools).');
else if (Number(otp.trim()) < 25) problems.push(`Erlang/OTP ${otp.trim()} is too old: install Erlang/OTP ≥ 25.`);
if (version('erlc', ['-help']) === undefined) problems.push('erlc (the Erlang compiler) is missing: apt-get install erlang-dev (or your OTP distribution\'s compiler package).');

const ex = version('elixir', ['--version']);
const m = ex && /Elixir (\d+)\.(\d+)/.exec(ex);
if (!ex) problems.push('Elixir is not installed: install Elixir ≥ 1.14 (Debian/Ubuntu: apt-get install elixir).');
else if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 14)) problems.push(`Elixir is too old (${ex.trim().split('\n').pop()}): install Elixir ≥ 1.14.`);
if (version('mix', ['--version']) === undefined) problems.push('mix is not on PATH: it comes with Elixir; add Elixir\'s bin folder to PATH.');

if (problems.length > 0) {
  console.error('ElixirScope cannot build or run here:\n' + problems.map((p) => `  - ${p}`).join('\n'));
  process.exit(1);
}
