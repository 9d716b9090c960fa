#!/usr/bin/env node
// Dialyzer over the Erlang agent (erlang/ebin, built with debug_info): checked types and specs.
// Improper lists are allowed: the encoders build iodata whose tails are binaries, on purpose.
// The PLT of the OTP applications the agent uses is built once per OTP release and cached outside the
// repository ($XDG_CACHE_HOME or ~/.cache, elixir-scope/dialyzer-otp<release>.plt). Calls into Elixir
// modules are dynamic (the agent runs in nodes with and without Elixir), so "unknown function"
// warnings about 'Elixir.*' modules (and OTP 27's trace module) are not counted; every other
// warning fails. Ends with the
// "N passed, N failed" line scripts/test.js reads (one check per agent module).
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ebin = path.join(root, 'erlang', 'ebin');
const APPS = ['erts', 'kernel', 'stdlib', 'compiler', 'syntax_tools', 'tools'];

if (spawnSync('dialyzer', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('dialyzer is missing (Debian: apt-get install erlang-dialyzer)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const otp = execFileSync('erl', ['-noshell', '-eval', 'io:format("~s", [erlang:system_info(otp_release)]), halt().']).toString().trim();
const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'elixir-scope');
const plt = path.join(cache, `dialyzer-otp${otp}.plt`);
fs.mkdirSync(cache, { recursive: true });
if (!fs.existsSync(plt)) {
  console.log(`building the PLT of ${APPS.join(', ')} (once per OTP release) into ${plt}…`);
  const tmp = `${plt}.${process.pid}`;
  const b = spawnSync('dialyzer', ['--build_plt', '--output_plt', tmp, '--apps', ...APPS], { encoding: 'utf8' });
  // dialyzer exits 2 when it found warnings in OTP itself: the PLT is still complete.
  if (b.status !== 0 && b.status !== 2) {
    process.stdout.write(b.stdout + b.stderr);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  fs.renameSync(tmp, plt);
}

const modules = fs.readdirSync(ebin).filter((f) => f.endsWith('.beam'));
const r = spawnSync('dialyzer', ['--plt', plt, '--no_check_plt', '-Wno_improper_lists', ebin], { encoding: 'utf8' });
const lines = `${r.stdout}${r.stderr}`.split('\n');
// A warning is "file.erl:Line:Col: text" (possibly continued on indented lines); calls to modules
// the PLT does not hold come at the end, one indented line each under "Unknown functions:".
const counted = [];
const unknown = [];
let inUnknown = false;
for (const line of lines) {
  if (/^\S+\.erl:\d+(:\d+)?: /.test(line)) {
    inUnknown = false;
    counted.push(line);
  } else if (/^\s*Unknown (functions|types):/.test(line)) inUnknown = true;
  else if (inUnknown && /^\s+'?[a-zA-Z_.]+'?:/.test(line)) unknown.push(line.trim());
  else if (/^\s+\S/.test(line) && counted.length > 0 && !/^\s*(Proceeding|done|Checking|Compiling|Total)/.test(line)) counted[counted.length - 1] += `\n${line}`;
}
// Elixir's modules (the agent runs in nodes with and without Elixir) and OTP 27's `trace` module
// (used only where it exists, see esc_tsess) are called dynamically.
const unknownCounted = unknown.filter((u) => !/^'?Elixir\./.test(u) && !/^trace:/.test(u));
for (const w of counted) console.log(w);
for (const u of unknownCounted) console.log(`unknown function: ${u}`);
if (r.status !== 0 && r.status !== 2) {
  process.stdout.write(r.stdout + r.stderr);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const bad = new Set(counted.map((w) => path.basename(w.split(':')[0], '.erl')));
const failed = bad.size + (unknownCounted.length > 0 ? 1 : 0);
console.log(`dialyzer: ${counted.length + unknownCounted.length} warnings in ${modules.length} modules`);
console.log(`${modules.length - bad.size} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
