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

/** `mix compile` in the project; compiler output goes to `out`. */
export async function compileProject(dir: string, env: NodeJS.ProcessEnv, out: OutputSink): Promise<void> {
  const code = await runCommand('mix', ['compile'], dir, env, out);
  if (code !== 0) throw new ScopeFailure(Errors.compileFailed, { code });
}

export interface ProjectApp {
  name: string;
  modules: string[];
  ebin: string;
}

/**
 * The project's own applications after compilation: every app built into _build/<env>/lib that is not
 * a dependency checked out in deps/ (umbrella children included).
 */
export function ownApps(dir: string, mixEnv: string): ProjectApp[] {
  const lib = path.join(dir, '_build', mixEnv, 'lib');
  if (!fs.existsSync(lib)) return [];
  const deps = new Set(fs.existsSync(path.join(dir, 'deps')) ? fs.readdirSync(path.join(dir, 'deps')) : []);
  return fs
    .readdirSync(lib)
    .filter((name) => !deps.has(name))
    .map((name) => ({ name, modules: appModules(path.join(lib, name, 'ebin', `${name}.app`)), ebin: path.join(lib, name, 'ebin') }));
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
 * `Bank.*` → prefix `Elixir.Bank.`, `:lists` → module `lists`.
 */
export function tracePatterns(patterns: string[]): { modules: string[]; prefixes: string[] } {
  const modules: string[] = [];
  const prefixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim();
    const erlang = p.startsWith(':');
    const name = erlang ? p.slice(1) : p.startsWith('Elixir.') ? p : `Elixir.${p}`;
    if (name.endsWith('.*')) prefixes.push(name.slice(0, -1));
    else if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
    else modules.push(name);
  }
  return { modules, prefixes };
}
