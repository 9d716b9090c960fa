// The Erlang/OTP 27 root made by scripts/install-otp27.sh: where it is (the script asks this file),
// whether it can be used here, and how to work in it — a staging folder under its /tmp that has one
// path inside the root and another here, and scripts run inside it with a clean environment.
// Shared by the OTP 27 test runner, the integration tests and the agent bench.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..');
const cache = process.env.ELIXIR_SCOPE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'elixir-scope');
const root = process.env.ELIXIR_SCOPE_OTP27_ROOT ?? path.join(cache, 'trixie-otp27');

/** Why the root cannot be used here, or undefined when it can. */
function unavailable() {
  if (!fs.existsSync(path.join(root, 'usr', 'bin', 'erl'))) return `no OTP 27 root at ${root} (install it with: sudo bash scripts/install-otp27.sh)`;
  if (process.getuid?.() !== 0) return 'entering the OTP 27 root (chroot) needs root';
  return undefined;
}

/** Build output and dependencies are never copied: the root builds its own. */
const NOT_COPIED = new Set(['_build', 'deps', 'ebin', 'test-ebin']);

/**
 * A fresh folder /tmp/<prefix>-<pid>-<n> inside the root (`inside`; `real` is the same folder seen
 * from here) holding copies of repository paths: [[from, to?], …], `to` relative to the folder
 * (default: the same relative path). dispose() removes it.
 */
let staged = 0;
function stage(prefix, copies) {
  const name = `${prefix}-${process.pid}-${staged++}`;
  const real = path.join(root, 'tmp', name);
  fs.mkdirSync(real, { recursive: true });
  for (const [from, to = from] of copies) {
    const src = path.join(repoRoot, from);
    fs.cpSync(src, path.join(real, to), { recursive: true, filter: (p) => p === src || !NOT_COPIED.has(path.basename(p)) });
  }
  return { name, real, inside: `/tmp/${name}`, dispose: () => fs.rmSync(real, { recursive: true, force: true }) };
}

/** Runs a shell script inside the root with only HOME, LANG and PATH set; returns spawnSync's result. */
function run(script, { home = '/root', timeoutMs = 15 * 60 * 1000 } = {}) {
  return spawnSync('chroot', [root, '/usr/bin/env', '-i', `HOME=${home}`, 'LANG=C.UTF-8', 'PATH=/usr/bin:/bin', 'sh', '-c', script], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
  });
}

module.exports = { root, unavailable, stage, run };
