// Starts code-server (VS Code in the browser, installed by scripts/install-code-server.sh) for the
// end-to-end test: a free loopback port, no auth, a fresh user-data-dir and extensions-dir, the
// built .vsix installed, a copy of examples/bank (with a launch.json) as the workspace. Stopping
// it ends every process it started (the extension host, the debug adapter, the debugged BEAM).
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.100.3';
const cacheDir = process.env.ELIXIR_SCOPE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'elixir-scope');
/** The launcher written by scripts/install-code-server.sh. */
export const CODE_SERVER_BIN = process.env.CODE_SERVER_BIN ?? path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`, 'bin', 'code-server');
export const VSIX = process.env.E2E_VSIX ?? path.join(repoRoot, 'dist', 'elixir-scope.vsix');
export const EXTENSION_ID = 'elixir-scope.elixir-scope';

/**
 * The configuration the workspace's .vscode/launch.json holds (F5 runs it). E2E_DEMO_ROUNDS=N runs
 * the demo for N rounds (it then lives longer than the default 3 rounds, ~1 s); for diagnosis only.
 */
export const LAUNCH_CONFIG = {
  type: 'elixir-scope',
  request: 'launch',
  name: 'Debug demo',
  projectDir: '${workspaceFolder}',
  task: 'run',
  taskArgs: process.env.E2E_DEMO_ROUNDS ? ['demo.exs', process.env.E2E_DEMO_ROUNDS] : ['demo.exs'],
};

/** User settings that keep the workbench quiet and deterministic: no welcome page, trust prompt, updates or tips. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.minimap.enabled': false,
  'editor.stickyScroll.enabled': false,
  'editor.hover.delay': 200,
  'editor.codeLens': true,
  'files.autoSave': 'off',
  'debug.toolBarLocation': 'floating',
  'debug.openDebug': 'openOnDebugBreak',
  'debug.internalConsoleOptions': 'neverOpen',
  'window.restoreWindows': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'elixirScope.trace.dapLog': true,
};

export interface CodeServer {
  /** code-server's own process (the root of the extension host, adapter and debugged node). */
  pid: number;
  url: string;
  workspace: string;
  port: number;
  root: string;
  log: () => string;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** What is missing to run the end-to-end test, or undefined when everything is there. */
export function missingPrerequisites(chromium: string): string | undefined {
  if (!fs.existsSync(CODE_SERVER_BIN)) return `code-server is not installed at ${CODE_SERVER_BIN} (run scripts/install-code-server.sh)`;
  if (!fs.existsSync(VSIX)) return `the extension package ${VSIX} is missing (run npm run package)`;
  if (!fs.existsSync(chromium)) return `Chromium is missing at ${chromium} (run scripts/install-browser.sh)`;
  return undefined;
}

/**
 * A copy of examples/bank with .vscode/launch.json. Its _build is left out: modules record the path
 * they were compiled from, and the Debug pane must open the workspace's files, not the originals.
 */
export function prepareWorkspace(dest: string): string {
  const src = path.join(repoRoot, 'examples', 'bank');
  fs.cpSync(src, dest, {
    recursive: true,
    preserveTimestamps: true,
    filter: (p) => !/[\\/](_build|deps|\.elixir_ls|\.vscode|erl_crash\.dump)$/.test(p),
  });
  fs.mkdirSync(path.join(dest, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dest, '.vscode', 'launch.json'), `${JSON.stringify({ version: '0.2.0', configurations: [LAUNCH_CONFIG] }, null, 2)}\n`);
  return dest;
}

function codeServerArgs(root: string): string[] {
  return ['--config', path.join(root, 'config.yaml'), '--user-data-dir', path.join(root, 'user-data'), '--extensions-dir', path.join(root, 'extensions')];
}

/** Installs the .vsix into the fresh extensions-dir with code-server's own CLI and checks it is listed. */
export function installExtension(root: string, vsix = VSIX): string {
  const args = codeServerArgs(root);
  const out = execFileSync(CODE_SERVER_BIN, [...args, '--install-extension', vsix, '--force'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const list = execFileSync(CODE_SERVER_BIN, [...args, '--list-extensions', '--show-versions'], { encoding: 'utf8', timeout: 60_000 });
  if (!list.toLowerCase().includes(EXTENSION_ID)) throw new Error(`${EXTENSION_ID} is not listed after --install-extension:\n${out}\n${list}`);
  return list.trim();
}

function waitForHttp(url: string, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const dead = alive();
      if (dead) return reject(new Error(dead));
      if (Date.now() > deadline) return reject(new Error(`code-server did not answer on ${url} within ${timeoutMs} ms`));
      const req = http.get(url, (res) => {
        res.resume();
        if ((res.statusCode ?? 500) < 500) resolve();
        else setTimeout(attempt, 250);
      });
      req.on('error', () => setTimeout(attempt, 250));
      req.setTimeout(2000, () => req.destroy());
    };
    attempt();
  });
}

/** PIDs of `pid` and all its descendants (from /proc), children first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) walk(c);
    out.push(p);
  };
  walk(pid);
  return out;
}

function alivePids(pids: number[]): number[] {
  return pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
}

export async function startCodeServer(opts: { root?: string; vsix?: string } = {}): Promise<CodeServer> {
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'elixir-scope-e2e-'));
  for (const d of ['user-data/User', 'extensions']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'config.yaml'), 'auth: none\ncert: false\n');
  fs.writeFileSync(path.join(root, 'user-data', 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  const workspace = prepareWorkspace(path.join(root, 'bank'));
  installExtension(root, opts.vsix);

  const port = await freePort();
  const logChunks: string[] = [];
  const child: ChildProcess = spawn(
    CODE_SERVER_BIN,
    [
      ...codeServerArgs(root),
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      workspace,
    ],
    {
      cwd: root,
      env: { ...process.env, PASSWORD: undefined, HASHED_PASSWORD: undefined, XDG_CONFIG_HOME: path.join(root, 'xdg-config'), XDG_DATA_HOME: path.join(root, 'xdg-data') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const pid = child.pid!;
  // scripts/e2e.js ends this tree by pid if the test run is killed before its after() hook.
  fs.writeFileSync(path.join(root, 'code-server.pid'), `${pid}\n`);
  child.stdout?.on('data', (d: Buffer) => logChunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logChunks.push(d.toString()));
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `code-server exited early (code ${code}, signal ${signal}):\n${logChunks.join('').slice(-4000)}`;
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Everything below code-server: extension host, debug adapter, the mix/BEAM it launched.
    const tree = processTree(pid);
    for (const p of tree) {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 5000;
    while (alivePids(tree).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const p of alivePids(tree)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(`${url}healthz`, 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid, url: `${url}?folder=${encodeURIComponent(workspace)}`, workspace, port, root, log: () => logChunks.join(''), stop };
}
