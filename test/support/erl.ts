// Helpers to run a real BEAM for tests: the agent's ebin plus erlang/test-ebin on the code path, and
// the line-protocol test peer erlang/test/esc_codec_peer.erl (see its header for the requests).
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EBIN = path.join(ROOT, 'erlang', 'ebin');
export const TEST_EBIN = path.join(ROOT, 'erlang', 'test-ebin');

/**
 * Makes sure the agent's ebin exists (else runs scripts/build-erlang.js) and that the test peer's
 * .beam is not older than its source (else compiles just the peer). The agent itself is rebuilt
 * by the build step that precedes the test run, not here.
 */
export function ensureErlangBuilt(): void {
  if (!fs.existsSync(path.join(EBIN, 'esc_term.beam'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-erlang.js')], { stdio: 'inherit' });
  }
  const src = path.join(ROOT, 'erlang', 'test', 'esc_codec_peer.erl');
  const beam = path.join(TEST_EBIN, 'esc_codec_peer.beam');
  if (!fs.existsSync(beam) || fs.statSync(beam).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(TEST_EBIN, { recursive: true });
    execFileSync('erlc', ['+debug_info', '-I', path.join(ROOT, 'erlang', 'src'), '-o', TEST_EBIN, src], { stdio: 'inherit' });
  }
}

export const b64 = (data: Uint8Array | string): string =>
  (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data)).toString('base64');
export const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');
export const unb64Text = (s: string): string => unb64(s).toString('utf8');

/**
 * One `erl` running esc_codec_peer. Requests are answered in order, one line each (`gen` several).
 * `stderr` collects what the node printed there (agent warnings), for assertions and failure reports.
 */
export class ErlPeer {
  stderr = '';
  /** Lines the node printed on stdout that are not answers (e.g. logger reports). */
  otherOutput = '';
  private buf = '';
  private readonly lines: string[] = [];
  private readonly waiters: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  private exited: Error | undefined;

  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => this.onData(chunk));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
    proc.on('exit', (code, signal) => {
      this.exited = new Error(`the Erlang peer exited (code ${code}, signal ${signal}); stderr:\n${this.stderr}`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }

  static start(extraArgs: string[] = []): ErlPeer {
    ensureErlangBuilt();
    const proc = spawn('erl', ['-noshell', '-pa', EBIN, '-pa', TEST_EBIN, ...extraArgs, '-s', 'esc_codec_peer', 'main'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ERL_AFLAGS: '', ERL_ZFLAGS: '' },
    });
    return new ErlPeer(proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const raw = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!raw.startsWith('@@ ')) {
        this.otherOutput += raw + '\n';
        continue;
      }
      const line = raw.slice(3);
      const w = this.waiters.shift();
      if (w) w.resolve(line);
      else this.lines.push(line);
    }
  }

  /** Everything the node printed besides answers: stderr and stray stdout. */
  get log(): string {
    return this.stderr + this.otherOutput;
  }

  /** Next answer line. */
  nextLine(timeoutMs = 60_000): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`the Erlang peer did not answer within ${timeoutMs} ms; stderr:\n${this.stderr}`));
      }, timeoutMs);
      const waiter = {
        resolve: (l: string) => { clearTimeout(timer); resolve(l); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends one request line (without the newline). */
  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }

  async request(line: string, timeoutMs?: number): Promise<string> {
    this.send(line);
    const answer = await this.nextLine(timeoutMs);
    if (answer.startsWith('fatal ')) throw new Error(`peer failed on "${line.slice(0, 80)}": ${unb64Text(answer.slice(6))}`);
    return answer;
  }

  /** Evaluates Erlang source on the node; resolves with the printed result, rejects with the error. */
  async eval(source: string, timeoutMs?: number): Promise<string> {
    const answer = await this.request(`eval ${b64(source)}`, timeoutMs);
    const [tag, payload = ''] = answer.split(' ');
    if (tag === 'ok') return unb64Text(payload);
    throw new Error(`evaluating ${source} failed: ${unb64Text(payload)}`);
  }

  /** Stops the node and waits for the OS process to be gone. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    try {
      this.send('halt');
    } catch {
      /* stdin closed */
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
