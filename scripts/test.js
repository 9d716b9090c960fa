#!/usr/bin/env node
// `npm test`: installs and builds what is needed, then runs every suite (lint, manifest check, unit,
// Erlang agent and its types, adapter integration) and ends with one plain "N passed, N failed" line.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
process.chdir(root);

function run(label, cmd, args, opts = {}) {
  console.log(`\n━━ ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...process.env, ...opts.env } });
  if (opts.capture) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
  }
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function must(label, cmd, args) {
  const r = run(label, cmd, args);
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status}).`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

/** Runs a suite whose own summary we parse; a non-zero exit with no parsed failure counts as one failure. */
function suite(label, cmd, args, parse, env) {
  const r = run(label, cmd, args, { capture: true, env });
  const c = parse(r.out);
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
  if (r.status !== 0 && c.failed === 0) {
    totals.failed += 1;
    failures.push(`${label} (exit ${r.status})`);
  } else if (c.failed > 0) failures.push(`${label} (${c.failed} failed)`);
}

const mochaCounts = (out) => ({
  passed: Number(/(\d+) passing/.exec(out)?.[1] ?? 0),
  failed: Number(/(\d+) failing/.exec(out)?.[1] ?? 0),
  skipped: Number(/(\d+) pending/.exec(out)?.[1] ?? 0),
});

const eunitCounts = require('./eunit-counts');
/** A script's own final "N passed, N failed[, N skipped]" line. */
const plainCounts = (out) => {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : { passed: 0, failed: 0, skipped: 0 };
};

must('prerequisites', 'node', ['scripts/check-prereqs.js']);
require('./ensure-deps')(root);
must('build', 'npm', ['run', '--silent', 'build']);
must('lint', 'npx', ['eslint', '.']);
must('package.json contributions match the launch schema', 'npm', ['run', '--silent', 'check-manifest']);

suite('unit tests', 'npx', ['mocha'], mochaCounts);

const erlTests = fs.existsSync('erlang/test')
  ? fs.readdirSync('erlang/test').filter((f) => f.endsWith('_tests.erl')).map((f) => path.basename(f, '.erl'))
  : [];
if (erlTests.length > 0) {
  const mods = erlTests.join(', ');
  suite('Erlang agent tests (EUnit)', 'erl', ['-noshell', '-pa', 'erlang/ebin', '-pa', 'erlang/test-ebin', '-eval',
    `R = eunit:test([${mods}], [verbose]), halt(case R of ok -> 0; _ -> 1 end).`], eunitCounts);
}

// The same agent tests on OTP 27 + Elixir 1.18 (trace sessions), in the root scripts/install-otp27.sh makes.
if (erlTests.length > 0) suite('Erlang agent tests on OTP 27 (EUnit, trixie root)', 'node', ['scripts/test-otp27.js'], plainCounts);

// Checked types in the agent: dialyzer over erlang/ebin (its PLT is cached outside the repository).
if (erlTests.length > 0) suite('Erlang agent types (dialyzer)', 'node', ['scripts/dialyzer.js'], plainCounts);

if (fs.existsSync('test/webviews')) {
  suite('webview tests (real Chromium)', 'npx', ['mocha', '--no-config', '--require', 'tsx/cjs', '--extension', 'ts', '--timeout', '60000', 'test/webviews/**/*.test.ts'], mochaCounts);
}

const integration = fs.existsSync('test/integration') ? fs.readdirSync('test/integration').filter((f) => f.endsWith('.test.ts')) : [];
if (integration.length > 0) {
  suite('adapter integration tests (real BEAM, real DAP)', 'npx', ['mocha', '--config', '.mocharc.integration.json'], mochaCounts);
}

// The extension in a real VS Code: code-server driven by Playwright in Chromium (installed on first
// use by scripts/install-code-server.sh), and the @vscode/test-electron suite, skipped where VS Code
// cannot be downloaded (reported as skipped, never as passed).
suite('extension in a real VS Code (code-server e2e + test-electron)', 'node', ['scripts/e2e.js'], plainCounts);

console.log('\n━━ summary');
if (failures.length > 0) console.log(`failed suites: ${failures.join('; ')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
