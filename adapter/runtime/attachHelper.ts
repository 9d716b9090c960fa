// Drives esc_attach in a short-lived hidden BEAM: loads the agent into a running node over Erlang
// distribution, and on detach removes it again. The target node is never restarted.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { Errors, ScopeFailure } from '../errors';
import { attachHelperName } from './helperName';

export interface AttachResult {
  otpRelease: string;
  ownApps: string[];
}

const ATTACH_TIMEOUT_MS = 30_000;
const DETACH_TIMEOUT_MS = 15_000;
const HELPER_EXIT_MS = 2_000;

export class AttachHelper {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  private waiters: Array<(line: string | undefined) => void> = [];
  private closed = false;

  /** Starts the helper node, which loads and starts the agent on `node`; resolves once it runs. */
  async attach(node: string, cookie: string | undefined, ebin: string, port: number, token: string, stderr: (s: string) => void): Promise<AttachResult> {
    if (!/^[^@\s]+@[^@\s]+$/.test(node)) throw new ScopeFailure(Errors.invalidLaunchConfig, { details: `"node" must look like app@host, got "${node}"` });
    const host = node.split('@')[1];
    const nameFlag = host.includes('.') ? '-name' : '-sname';
    const self = `${await attachHelperName()}${host.includes('.') ? `@${host}` : ''}`;
    if (cookie !== undefined && /[\r\n\0]/.test(cookie)) throw new ScopeFailure(Errors.invalidLaunchConfig, { details: '"cookie" must be a single line' });
    // Never `-setcookie`: a command line is readable by every local user (ps). The token goes by
    // the environment, which only this user can read.
    const cookieHome = cookie ? privateCookieHome(cookie) : undefined;
    const forgetCookie = () => cookieHome && fs.rmSync(cookieHome, { recursive: true, force: true });
    const args = ['-hidden', '-noshell', nameFlag, self, '-pa', ebin, '-s', 'esc_attach', 'main'];
    const child = spawn('erl', args, {
      env: { ...process.env, ...(cookieHome ? { HOME: cookieHome, XDG_CONFIG_HOME: cookieHome } : {}), ESC_TARGET: node, ESC_PORT: String(port), ESC_TOKEN: token, ERL_AFLAGS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.on('error', () => this.push(undefined));
    child.on('close', () => {
      forgetCookie();
      this.closed = true;
      this.push(undefined);
    });
    child.stderr!.on('data', (d: Buffer) => stderr(d.toString()));
    child.stdin!.on('error', () => undefined); // the helper may be gone already; 'close' reports it
    readline.createInterface({ input: child.stdout! }).on('line', (l) => this.push(l));

    const line = await this.nextLine(ATTACH_TIMEOUT_MS);
    forgetCookie(); // read at boot: the helper answers only once it is connected
    if (line?.startsWith('ok ')) {
      const [, otp, apps = ''] = line.split(' ');
      return { otpRelease: otp, ownApps: apps.split(',').filter(Boolean) };
    }
    this.child.kill('SIGKILL');
    this.child = undefined; // nothing to detach from
    const m = /^error (\d+) (.*)$/.exec(line ?? '');
    if (m && Number(m[1]) === Errors.wrongCookie.code) throw new ScopeFailure(Errors.wrongCookie, { details: m[2] });
    if (m && Number(m[1]) === Errors.nodeUnreachable.code) throw new ScopeFailure(Errors.nodeUnreachable, { details: m[2] });
    throw new ScopeFailure(Errors.attachFailed, { details: m ? m[2] : `the attach helper ended without an answer${line ? `: ${line}` : ''}` });
  }

  /** Stops the agent on the target and unloads its modules; bounded in time. */
  async detach(): Promise<void> {
    const child = this.child;
    if (!child || this.closed) return;
    child.stdin!.write('stop\n');
    const line = await this.nextLine(DETACH_TIMEOUT_MS);
    if (line !== 'detached') child.kill('SIGKILL');
    // Until the helper is gone its node name is taken, and a new attach would pick another one.
    else await this.nextLine(HELPER_EXIT_MS);
  }

  private push(line: string | undefined): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else if (line !== undefined) this.lines.push(line);
  }

  private nextLine(timeoutMs: number): Promise<string | undefined> {
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  }
}

/**
 * A fresh folder only this user can enter (0700) holding `.erlang.cookie` (0400). As the helper's
 * HOME it gives erl its cookie at boot, the way ~/.erlang.cookie does, without any command line.
 */
function privateCookieHome(cookie: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elixir-scope-cookie-'));
  fs.writeFileSync(path.join(dir, '.erlang.cookie'), cookie, { mode: 0o400, flag: 'wx' });
  return dir;
}
