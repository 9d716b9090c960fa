// A debugged node on Erlang/OTP 27 + Elixir 1.18: the Debian trixie root made by
// scripts/install-otp27.sh, entered through a `mix` wrapper that the launch's PATH selects — as a user
// picks another Elixir with PATH (asdf, kiex). The host sees the work folder through a symlink at the
// same path the chroot sees it at, so file names in debug info, breakpoints and ebin folders agree.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot, type TracedDebugClient } from './dapSession';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('../../scripts/otp27-root') as { root: string; unavailable(): string | undefined };

export const otp27Root = shared.root;

/** Why the OTP 27 root cannot be used here, or undefined when it can. */
export const otp27Unavailable = shared.unavailable;

/** Starts the client's adapter with ELIXIR_SCOPE_AGENT_EBIN = ebin (read once, when the adapter starts); undefined: its own build. */
export async function startWithAgent(client: TracedDebugClient, ebin: string | undefined): Promise<void> {
  if (ebin === undefined) return client.start();
  const saved = process.env.ELIXIR_SCOPE_AGENT_EBIN;
  try {
    process.env.ELIXIR_SCOPE_AGENT_EBIN = ebin;
    await client.start();
  } finally {
    if (saved === undefined) delete process.env.ELIXIR_SCOPE_AGENT_EBIN;
    else process.env.ELIXIR_SCOPE_AGENT_EBIN = saved;
  }
}

export interface Otp27Workspace {
  /** The example project, at a path valid both here and inside the root. */
  projectDir: string;
  /** The agent compiled by OTP 27's erlc (for ELIXIR_SCOPE_AGENT_EBIN). */
  agentEbin: string;
  /** PATH for the launch's `env` (or a remote node's): its `mix` and `elixir` run inside the root. */
  path: string;
  dispose(): void;
}

/** Copies the bank example and the agent into the root and makes the wrapper; dispose() removes it all. */
export function otp27Workspace(): Otp27Workspace {
  const name = `esc27-${process.pid}-${Date.now()}`;
  const inside = `/tmp/${name}`; // the path inside the root …
  const real = path.join(otp27Root, 'tmp', name); // … is this folder here …
  fs.mkdirSync(real, { recursive: true });
  fs.symlinkSync(real, inside); // … and the same path here too.
  const skip = new Set(['_build', 'deps']);
  fs.cpSync(path.join(repoRoot, 'examples', 'bank'), path.join(real, 'bank'), { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
  fs.cpSync(path.join(repoRoot, 'erlang', 'src'), path.join(real, 'agent-src'), { recursive: true });
  fs.mkdirSync(path.join(real, 'agent'));
  const srcs = fs.readdirSync(path.join(real, 'agent-src')).filter((f) => f.endsWith('.erl')).map((f) => `${inside}/agent-src/${f}`);
  execFileSync('chroot', [otp27Root, 'erlc', '-Werror', '+debug_info', '-I', `${inside}/agent-src`, '-o', `${inside}/agent`, ...srcs], { stdio: 'inherit' });
  const bin = path.join(real, 'bin');
  fs.mkdirSync(bin);
  // mix and elixir run inside the root, in the same folder: the kernel reports the caller's folder by
  // its real path (under the root here), which is the path inside the root once the prefix is cut.
  for (const tool of ['mix', 'elixir']) {
    fs.writeFileSync(
      path.join(bin, tool),
      `#!/bin/sh\nhere=$(pwd -P)\nexec chroot '${otp27Root}' /bin/sh -c 'cd "$1" && shift && PATH=/usr/bin:/bin exec /usr/bin/${tool} "$@"' ${tool} "\${here#'${otp27Root}'}" "$@"\n`,
      { mode: 0o755 },
    );
  }
  return {
    projectDir: `${inside}/bank`,
    agentEbin: `${inside}/agent`,
    path: `${inside}/bin:${process.env.PATH ?? ''}`,
    dispose() {
      fs.rmSync(inside, { force: true });
      fs.rmSync(real, { recursive: true, force: true });
    },
  };
}
