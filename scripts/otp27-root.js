// Where scripts/install-otp27.sh puts the Erlang/OTP 27 root (keep the two in step), and whether it
// can be used here. Shared by the OTP 27 test runner, the integration tests and the agent bench.
const fs = require('fs');
const os = require('os');
const path = require('path');

const cache = process.env.ELIXIR_SCOPE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'elixir-scope');
const root = process.env.ELIXIR_SCOPE_OTP27_ROOT ?? path.join(cache, 'trixie-otp27');

/** Why the root cannot be used here, or undefined when it can. */
function unavailable() {
  if (!fs.existsSync(path.join(root, 'usr', 'bin', 'erl'))) return `no OTP 27 root at ${root} (install it with: sudo bash scripts/install-otp27.sh)`;
  if (process.getuid?.() !== 0) return 'entering the OTP 27 root (chroot) needs root';
  return undefined;
}

module.exports = { root, unavailable };
