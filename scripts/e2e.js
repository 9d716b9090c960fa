#!/usr/bin/env node
// `node scripts/e2e.js`: the extension's tests in a real VS Code.
//   1. the @vscode/test-electron suite (test/electron): needs a VS Code download; where that is not
//      possible it reports its tests as skipped, never as passed;
//   2. the offline end-to-end test (test/e2e): code-server + the built .vsix, driven by Playwright in
//      Debian's Chromium; screenshots in test-artifacts/e2e/*.png.
// Builds the .vsix when it is missing (npm run package), repackages it from dist/ when dist/ is newer,
// installs code-server (scripts/install-code-server.sh) when it is missing. Ends with one line
// "N passed, N failed, N skipped"; exits 1 when something failed.
//
// Options: --skip-electron, --skip-e2e, --build (npm run package first, even when a .vsix exists).
// Environment: E2E_TIMEOUT_S (default 600) bounds the e2e run; E2E_VSIX uses a given .vsix.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const args = new Set(process.argv.slice(2));
const ARTIFACTS = path.join(root, 'test-artifacts', 'e2e');
const DIST_VSIX = path.join(root, 'dist', 'elixir-scope.vsix');
const totals = { passed: 0, failed: 0, skipped: 0 };
const notes = [];
const t0 = Date.now();
const secs = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

function say(text) {
  console.log(`\n━━ ${text}`);
}

function finish() {
  console.log('\n━━ summary (extension tests in VS Code)');
  for (const n of notes) console.log(`- ${n}`);
  console.log(`(${secs(t0)} in all)`);
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(totals.failed > 0 ? 1 : 0);
}

function fail(what) {
  totals.failed += 1;
  notes.push(`FAILED: ${what}`);
}

/** Newest modification time under the given files/folders (non-recursive into node_modules). */
function newest(paths) {
  let t = 0;
  const visit = (p) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else if (!p.endsWith('.map') && !p.endsWith('.vsix')) t = Math.max(t, st.mtimeMs);
  };
  paths.forEach(visit);
  return t;
}

// ── prerequisites
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error(`Node.js >= 20 is required (this is ${process.version}).`);
  fail('prerequisites');
  finish();
}
require('./ensure-deps')(root);

// ── the .vsix under test
let vsix = process.env.E2E_VSIX;
if (!vsix) {
  if (args.has('--build') || !fs.existsSync(DIST_VSIX)) {
    say(`building the extension package: npm run package → ${path.relative(root, DIST_VSIX)}`);
    const t = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'package'], { stdio: 'inherit' });
    if (r.status !== 0) {
      fail('npm run package');
      finish();
    }
    notes.push(`built ${path.relative(root, DIST_VSIX)} (${secs(t)})`);
    vsix = DIST_VSIX;
  } else {
    const contents = ['package.json', 'dist', 'erlang/ebin', 'syntaxes', 'language-configuration.json'].map((p) => path.join(root, p));
    if (newest(contents) > fs.statSync(DIST_VSIX).mtimeMs) {
      // dist/ was rebuilt after the last `npm run package`: package what is there now (no rebuild).
      vsix = path.join(ARTIFACTS, 'elixir-scope.vsix');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      say(`dist/ is newer than ${path.relative(root, DIST_VSIX)}: packaging the current dist/ into ${path.relative(root, vsix)}`);
      const r = spawnSync('npx', ['vsce', 'package', '--no-dependencies', '-o', vsix], { stdio: 'inherit' });
      if (r.status !== 0) {
        fail('vsce package');
        finish();
      }
      notes.push(`tested ${path.relative(root, vsix)}, packaged from the current dist/ (${path.relative(root, DIST_VSIX)} was older)`);
    } else {
      vsix = DIST_VSIX;
      notes.push(`tested ${path.relative(root, DIST_VSIX)}`);
    }
  }
}

let current; // the child running now, ended with its process group on Ctrl+C
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) {
      try {
        process.kill(-current.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    endLeftoverCodeServers(t0);
    process.exit(130);
  });
}

/** Runs a command, echoing its output, and returns its output and exit status (null when killed). */
function runCapture(cmd, cmdArgs, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let out = '';
    const onData = (stream) => (d) => {
      out += d.toString();
      stream.write(d);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          console.error(`\n${cmd} ${cmdArgs.join(' ')}: still running after ${opts.timeoutMs / 1000} s, stopping it.`);
          try {
            process.kill(-child.pid, 'SIGTERM'); // its own process group (detached above)
          } catch {
            /* already gone */
          }
        }, opts.timeoutMs)
      : undefined;
    child.on('close', (status) => {
      current = undefined;
      if (timer) clearTimeout(timer);
      resolve({ status, out, timedOut });
    });
  });
}

const mochaCounts = (out) => ({
  passed: Number(/(\d+) passing/.exec(out)?.[1] ?? 0),
  failed: Number(/(\d+) failing/.exec(out)?.[1] ?? 0),
  skipped: Number(/(\d+) pending/.exec(out)?.[1] ?? 0),
});
const summaryCounts = (out) => {
  const all = [...out.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)];
  const m = all[all.length - 1];
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) } : undefined;
};

/** PIDs of a process and its descendants, from /proc. */
function processTree(pid) {
  const children = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) walk(c);
    out.push(p);
  };
  walk(pid);
  return out;
}

/** After a killed e2e run: ends the code-server trees this run started (their pid files are newer than the run). */
function endLeftoverCodeServers(since) {
  for (const d of fs.readdirSync(os.tmpdir())) {
    if (!d.startsWith('elixir-scope-e2e-')) continue;
    const pidFile = path.join(os.tmpdir(), d, 'code-server.pid');
    if (!fs.existsSync(pidFile) || fs.statSync(pidFile).mtimeMs < since) continue;
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    if (!pid || !fs.existsSync(`/proc/${pid}`)) continue;
    const tree = processTree(pid);
    console.error(`ending the code-server started by this run (pid ${pid}, ${tree.length} processes)`);
    for (const p of tree) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

(async () => {
  // ── 1. the @vscode/test-electron suite
  if (!args.has('--skip-electron')) {
    say('@vscode/test-electron suite: npx tsx test/electron/runTests.ts');
    const t = Date.now();
    const r = await runCapture('npx', ['tsx', 'test/electron/runTests.ts'], { timeoutMs: 15 * 60_000 });
    const c = summaryCounts(r.out);
    if (!c) fail(`@vscode/test-electron suite (exit ${r.status}, no summary line)`);
    else {
      totals.passed += c.passed;
      totals.failed += c.failed;
      totals.skipped += c.skipped;
      const skip = /^SKIPPED: (.*)$/m.exec(r.out)?.[1];
      notes.push(`@vscode/test-electron: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${skip ? ` — ${skip}` : ''} (${secs(t)})`);
      if (r.status !== 0 && c.failed === 0) fail(`@vscode/test-electron suite (exit ${r.status})`);
    }
  }

  // ── 2. the offline end-to-end test in code-server
  if (!args.has('--skip-e2e')) {
    say('code-server: scripts/install-code-server.sh (cached after the first run)');
    let t = Date.now();
    const inst = await runCapture('bash', ['scripts/install-code-server.sh'], { timeoutMs: 30 * 60_000, env: { CI: process.env.CI ?? 'true' } });
    if (inst.status !== 0) {
      fail(`installing code-server (exit ${inst.status}); see the output above`);
      finish();
    }
    notes.push(`code-server ready (${secs(t)})`);

    say('end-to-end: code-server + Chromium + Playwright (npx mocha --config test/e2e/mocharc.json)');
    t = Date.now();
    const timeoutS = Number(process.env.E2E_TIMEOUT_S ?? 600);
    const r = await runCapture('npx', ['mocha', '--config', 'test/e2e/mocharc.json'], { timeoutMs: timeoutS * 1000, env: { E2E_VSIX: vsix } });
    if (r.timedOut) endLeftoverCodeServers(t);
    const c = mochaCounts(r.out);
    totals.passed += c.passed;
    totals.failed += c.failed;
    totals.skipped += c.skipped;
    if (r.timedOut) fail(`end-to-end test stopped after ${timeoutS} s`);
    else if (r.status !== 0 && c.failed === 0) fail(`end-to-end test (exit ${r.status})`);
    const shots = fs.existsSync(ARTIFACTS) ? fs.readdirSync(ARTIFACTS).filter((f) => f.endsWith('.png')).length : 0;
    notes.push(`end-to-end: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (${secs(t)}); ${shots} screenshots in ${path.relative(root, ARTIFACTS)}/`);
  }
  finish();
})();
