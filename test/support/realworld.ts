// Real libraries nobody on this project wrote (gen_stage, nimble_pool), run the way a user would: their
// own test suites, plain, under the adapter, and interpreted by OTP's :int. Shared by the realworld
// integration suite and `npm run bench realworld`. The corpus is found beside the repository (or at
// $ELIXIR_SCOPE_REALWORLD); callers skip, saying so, when it is absent.
import { spawn } from 'child_process';
import { DebugProtocol } from '@vscode/debugprotocol';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, TracedDebugClient } from './dapSession';

export const REALWORLD_PROJECTS = ['gen_stage', 'nimble_pool'] as const;
export type RealworldProject = (typeof REALWORLD_PROJECTS)[number];

/** Where the corpus is looked for (it may be absent: see realworldRoot). */
export const realworldDir = process.env.ELIXIR_SCOPE_REALWORLD ?? path.resolve(repoRoot, '..', 'shared', 'realworld');

/** The corpus folder, or undefined (with the reason) when it is not there. */
export function realworldRoot(): { dir?: string; why?: string } {
  if (!fs.existsSync(realworldDir)) return { why: `the real-world corpus is not at ${realworldDir} (set ELIXIR_SCOPE_REALWORLD)` };
  return { dir: realworldDir };
}

/**
 * A fresh copy of one corpus project in a temp dir (the corpus is never written to), compiled for the
 * test environment so that timings compare test runs, not compilations.
 */
export async function copyProject(name: RealworldProject): Promise<string> {
  const { dir, why } = realworldRoot();
  if (!dir) throw new Error(why);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), `esc-rw-${name}-`));
  fs.cpSync(path.join(dir, name), dest, { recursive: true, filter: (src) => !/[/\\](_build|deps|\.elixir_ls)$/.test(src) });
  for (const f of walk(dest)) fs.chmodSync(f, fs.statSync(f).isDirectory() ? 0o755 : 0o644);
  const r = await run('mix', ['compile'], dest, { MIX_ENV: 'test' });
  if (r.code !== 0) throw new Error(`mix compile failed in ${dest}:\n${r.out}`);
  return dest;
}

function walk(dir: string): string[] {
  const out: string[] = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

export interface SuiteRun {
  wallMs: number;
  /** ExUnit's own "Finished in X seconds". */
  exunitMs: number;
  tests: number;
  failures: number;
  output: string;
}

/** "Finished in 4.7 seconds (…)" and "212 tests, 0 failures" from ExUnit's output. */
export function parseExUnit(out: string): Pick<SuiteRun, 'exunitMs' | 'tests' | 'failures'> {
  const fin = /Finished in ([\d.]+) seconds/.exec(out);
  const counts = /(\d+) (?:tests?|doctests?, \d+ tests?|properties, \d+ tests?), (\d+) failures?/.exec(out);
  return { exunitMs: fin ? Number(fin[1]) * 1000 : NaN, tests: counts ? Number(counts[1]) : NaN, failures: counts ? Number(counts[2]) : NaN };
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out, ms: Date.now() - t0 }));
  });
}

/** Plain `mix test` (no debugger), seeded so runs compare. */
export async function plainSuite(dir: string, args: string[] = []): Promise<SuiteRun> {
  const r = await run('mix', ['test', ...args], dir, { MIX_ENV: 'test' });
  return { wallMs: r.ms, output: r.out, ...parseExUnit(r.out) };
}

/**
 * `mix test` with every module of the project interpreted by OTP's :int, as the ElixirLS debugger does
 * when it debugs (needs OTP's debugger application: Debian's erlang-debugger). A test helper that
 * interprets the modules is prepended to the copy's test/test_helper.exs.
 */
export async function intSuite(dir: string, app: string, args: string[] = []): Promise<SuiteRun | { unavailable: string }> {
  const probe = await run('erl', ['-noshell', '-eval', 'io:format("~p", [code:which(int)]), halt().'], dir);
  if (probe.out.includes('non_existing')) return { unavailable: "OTP's debugger application is not installed (Debian: apt-get install erlang-debugger)" };
  const helper = path.join(dir, 'test', 'test_helper.exs');
  const original = fs.readFileSync(helper, 'utf8');
  const interpret = `{:ok, _} = Application.ensure_all_started(:debugger)\n:int.start()\n` +
    `{:ok, mods} = :application.get_key(:${app}, :modules)\nfor m <- mods, do: {:module, _} = :int.ni(m)\n`;
  fs.writeFileSync(helper, interpret + original);
  try {
    const r = await run('mix', ['test', ...args], dir, { MIX_ENV: 'test' });
    return { wallMs: r.ms, output: r.out, ...parseExUnit(r.out) };
  } finally {
    fs.writeFileSync(helper, original);
  }
}

export interface RecordedRun extends SuiteRun {
  /** The last `elixirScope.stats` body (the final figures once the program ended). */
  stats: { eventsKept: number; dropped: number; sampled: number; mode: string; ended?: boolean };
  /** `elixirScope.ready`, when it came. */
  ready?: Record<string, unknown>;
  /** Launch → the `ready` event, ms. */
  readyMs: number;
  dc: TracedDebugClient;
}

/**
 * The project's test suite under the adapter with default settings (`task: "test"`), from launch to the
 * program's end; the session stays open (the caller ends it with `dc`).
 */
export async function recordedSuite(dir: string, launch: Record<string, unknown> = {}, configure?: (dc: TracedDebugClient) => Promise<void>, timeoutMs = 240_000): Promise<RecordedRun> {
  const dc = new TracedDebugClient();
  await dc.start();
  let stats: RecordedRun['stats'] | undefined;
  let ready: Record<string, unknown> | undefined;
  const t0 = Date.now();
  let readyMs = NaN;
  dc.on('elixirScope.stats', (e: DebugProtocol.Event) => (stats = e.body as RecordedRun['stats']));
  dc.on('elixirScope.ready', (e: DebugProtocol.Event) => {
    ready = e.body as Record<string, unknown>;
    readyMs = Date.now() - t0;
  });
  await Promise.all([
    (async () => {
      await dc.waitForEvent('initialized');
      if (configure) await configure(dc);
      await dc.configurationDoneRequest();
    })(),
    dc.launch({ projectDir: dir, task: 'test', ...launch } as DebugProtocol.LaunchRequestArguments),
  ]);
  const deadline = Date.now() + timeoutMs;
  while (!(stats?.ended && /Finished in/.test(dc.output) && /\d+ failures?/.test(dc.output))) {
    if (Date.now() > deadline) throw new Error(`the suite did not end within ${timeoutMs} ms; output so far:\n${dc.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallMs = Date.now() - t0;
  return { wallMs, readyMs, output: dc.output, stats: stats!, ready, dc, ...parseExUnit(dc.output) };
}

/** Share of the events the plan matched that the recording kept (dropped and sampled are the rest). */
export function keptShare(s: RecordedRun['stats']): number {
  const total = s.eventsKept + s.dropped + s.sampled;
  return total === 0 ? 0 : s.eventsKept / total;
}
