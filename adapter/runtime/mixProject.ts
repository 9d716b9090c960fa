// What the adapter needs to know about a Mix project before it runs it: that it is one, that Elixir
// is installed, which applications are the project's own (to record by default) and their modules.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Errors, ScopeFailure } from '../errors';

export type OutputSink = (text: string, stream: 'stdout' | 'stderr') => void;

/** Fails with a numbered error when `dir` is not a Mix project. */
export function checkProject(dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ScopeFailure(Errors.projectNotFound, { dir });
  if (!fs.existsSync(path.join(dir, 'mix.exs'))) throw new ScopeFailure(Errors.notAMixProject, { dir });
}

/** Runs a command to completion, streaming its output; resolves with the exit code. */
export function runCommand(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, out: OutputSink): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => out(d.toString(), 'stdout'));
    child.stderr.on('data', (d: Buffer) => out(d.toString(), 'stderr'));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new ScopeFailure(Errors.elixirNotFound, { details: `${cmd}: command not found` }));
      else reject(err);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The project as Mix sees it after compilation: where it builds and which applications are its own. */
export interface MixProjectInfo {
  /** `_build/<env>` of the project (an umbrella child builds into its umbrella's). */
  buildPath: string;
  /** The project's own applications: its app, or an umbrella's children, plus in_umbrella siblings. */
  apps: string[];
  /** Every dependency (hex, git, path, in_umbrella) → its source folder: breakpoints in its files resolve. */
  deps: Record<string, string>;
}

/** Prefix of the one stdout line the project query prints; it is kept out of the Debug Console. */
export const PROJECT_LINE = '[elixir-scope-project] ';

/**
 * Elixir run by `mix run` right after `mix compile`, in the same VM (no second boot): Mix's own view
 * of which applications are the project's. Dependencies, however declared (hex, git, path), never are;
 * an umbrella's children are, and so are the in_umbrella siblings of a child launched on its own.
 * Folders are hex-encoded so that any name survives the line format.
 */
export const PROJECT_QUERY = [
  'own = if Mix.Project.umbrella?(), do: Map.keys(Mix.Project.apps_paths() || %{}), else: [Mix.Project.config()[:app]]',
  'deps = try do Mix.Dep.cached() rescue _ -> [] end',
  'siblings = for %{app: app, opts: opts} <- deps, opts[:in_umbrella], do: app',
  'apps = for app <- Enum.uniq(own ++ siblings), is_atom(app) and app != nil, do: Atom.to_string(app)',
  'dirs = Enum.map_join(Mix.Project.deps_paths(), ",", fn {app, dir} -> "#{app}:" <> Base.encode16(dir) end)',
  `IO.puts("${PROJECT_LINE}" <> Base.encode16(Mix.Project.build_path()) <> " " <> Enum.join(apps, ",") <> " " <> dirs)`,
].join('\n');

/** Reads the project query's line; undefined for any other line. */
export function parseProjectLine(line: string): MixProjectInfo | undefined {
  if (!line.startsWith(PROJECT_LINE)) return undefined;
  const [build = '', apps = '', dirs = '', ...extra] = line.slice(PROJECT_LINE.length).trimEnd().split(' ');
  const hex = (h: string) => (/^(?:[0-9A-Fa-f]{2})+$/.test(h) ? Buffer.from(h, 'hex').toString('utf8') : undefined);
  const buildPath = hex(build);
  if (buildPath === undefined || extra.length > 0 || !/^[a-z0-9_,]*$/.test(apps)) return undefined;
  const deps: Record<string, string> = {};
  for (const pair of dirs.split(',').filter((p) => p.length > 0)) {
    const m = /^([a-z0-9_]+):(.*)$/.exec(pair);
    const dir = m ? hex(m[2]) : undefined;
    if (!m || dir === undefined) return undefined;
    deps[m[1]] = dir;
  }
  return { buildPath, apps: apps.split(',').filter((a) => a.length > 0).sort(), deps };
}

/**
 * `mix compile` in the project, then the project query in the same Mix run; compiler output goes to
 * `out` (without the query's line). Resolves with Mix's view of the project, or undefined when the
 * query printed nothing (e.g. a project alias replaces `run`).
 */
export async function compileProject(dir: string, env: NodeJS.ProcessEnv, out: OutputSink): Promise<MixProjectInfo | undefined> {
  let info: MixProjectInfo | undefined;
  const stdout = new LineFilter((line) => {
    const parsed = parseProjectLine(line);
    if (parsed) info = parsed;
    return parsed === undefined;
  });
  const args = ['do', 'compile', '+', 'run', '--no-compile', '--no-deps-check', '--no-archives-check', '--no-start', '-e', PROJECT_QUERY];
  const code = await runCommand('mix', args, dir, env, (text, stream) => {
    if (stream === 'stdout') {
      const kept = stdout.push(text);
      if (kept) out(kept, 'stdout');
    } else out(text, stream);
  });
  const rest = stdout.end();
  if (rest) out(rest, 'stdout');
  if (code !== 0) throw new ScopeFailure(Errors.compileFailed, { code });
  return info;
}

/** Passes text through whole lines at a time, dropping the lines `keep` refuses. */
export class LineFilter {
  private partial = '';
  constructor(private readonly keep: (line: string) => boolean) {}

  /** Text of the complete lines kept so far ('' when none is complete yet). */
  push(text: string): string {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((l) => this.keep(l.replace(/\r$/, ''))).map((l) => `${l}\n`).join('');
  }

  /** The last, unterminated line if kept. */
  end(): string {
    const last = this.partial;
    this.partial = '';
    return last && this.keep(last) ? last : '';
  }
}

export interface ProjectApp {
  name: string;
  modules: string[];
  ebin: string;
}

/**
 * The project's own applications with their compiled modules, read from their .app files in the
 * build folder. Only these apps' files are read: dependencies are neither listed nor scanned.
 */
export function ownApps(project: MixProjectInfo): ProjectApp[] {
  return project.apps.map((name) => {
    const ebin = path.join(project.buildPath, 'lib', name, 'ebin');
    return { name, modules: appModules(path.join(ebin, `${name}.app`)), ebin };
  });
}

/**
 * Build folders of the dependencies whose sources hold `file`, for resolving a breakpoint set there
 * before Mix has put them on the node's code path. Only those: other dependencies are not scanned.
 */
export function depEbinsFor(project: MixProjectInfo | undefined, file: string): string[] {
  if (!project) return [];
  const f = path.resolve(file);
  return Object.entries(project.deps)
    .filter(([app, dir]) => !project.apps.includes(app) && f.startsWith(path.resolve(dir) + path.sep))
    .map(([app]) => path.join(project.buildPath, 'lib', app, 'ebin'));
}

/** Reads the `{modules, [...]}` entry of an .app file. */
function appModules(appFile: string): string[] {
  if (!fs.existsSync(appFile)) return [];
  const text = fs.readFileSync(appFile, 'utf8');
  const m = /\{modules,\s*\[([^\]]*)\]\}/.exec(text);
  if (!m) return [];
  return m[1]
    .split(',')
    .map((s) => s.trim().replace(/^'(.*)'$/, '$1'))
    .filter((s) => s.length > 0);
}

/** The Mix environment a task runs in, as Mix would choose it. */
export function mixEnvFor(task: string, env: Record<string, string>): string {
  return env.MIX_ENV ?? process.env.MIX_ENV ?? (task === 'test' ? 'test' : 'dev');
}

/**
 * Turns user-facing module patterns into the agent's plan: `Bank.Account` → module `Elixir.Bank.Account`,
 * `Bank.*` → module `Elixir.Bank` and prefix `Elixir.Bank.` (Bank and every module below it),
 * `:cowboy*` → prefix `cowboy`, `:lists` → module `lists`.
 */
export function tracePatterns(patterns: string[]): { modules: string[]; prefixes: string[] } {
  const modules: string[] = [];
  const prefixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim();
    const erlang = p.startsWith(':');
    const name = erlang ? p.slice(1) : p.startsWith('Elixir.') ? p : `Elixir.${p}`;
    if (name.endsWith('.*')) {
      modules.push(name.slice(0, -2));
      prefixes.push(name.slice(0, -1));
    }
    else if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else modules.push(name);
  }
  return { modules, prefixes };
}
