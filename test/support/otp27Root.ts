// A debugged node on Erlang/OTP 27 + Elixir 1.18: the Debian trixie root made by
// scripts/install-otp27.sh, entered through a `mix` wrapper that the launch's PATH selects — as a user
// picks another Elixir with PATH (asdf, kiex). The host sees the work folder through a symlink at the
// same path the chroot sees it at, so file names in debug info, breakpoints and ebin folders agree.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as shared from '../../scripts/otp27-root';
import type { TracedDebugClient } from './dapSession';

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
  const st = shared.stage('esc27', [['examples/bank', 'bank'], ['erlang/src', 'agent-src']]);
  const inside = st.inside; // the path inside the root …
  fs.symlinkSync(st.real, inside); // … is the same path here too.
  fs.mkdirSync(path.join(st.real, 'agent'));
  const built = shared.run(`cd ${inside} && erlc -Werror +debug_info -I agent-src -o agent agent-src/*.erl`);
  if (built.status !== 0) throw new Error(`compiling the agent with OTP 27 failed:\n${built.stdout}${built.stderr}`);
  const bin = path.join(st.real, 'bin');
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
      st.dispose();
    },
  };
}

/**
 * The OTP 27 + Elixir 1.18 runtime for a suite that runs on both runtimes: `setup` makes the workspace
 * (the suite is skipped off CI when the root is missing, and fails in CI, which installs it),
 * `teardown` removes it.
 */
export function otp27Runtime(): { setup: (ctx: Mocha.Context) => { projectDir: string; env: Record<string, string>; agentEbin: string }; teardown: () => void } {
  let ws: Otp27Workspace | undefined;
  return {
    setup: (ctx) => {
      const why = otp27Unavailable();
      if (why && process.env.CI !== 'true') ctx.skip();
      assert.strictEqual(why, undefined, why);
      ws = otp27Workspace();
      return { projectDir: ws.projectDir, env: { PATH: ws.path }, agentEbin: ws.agentEbin };
    },
    teardown: () => ws?.dispose(),
  };
}
