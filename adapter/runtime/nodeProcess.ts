// The launched node: `mix <task> <args>` in its own process group, so that stopping the session ends
// every OS process it started (mix → erl → beam.smp, erl_child_setup, ports).
import { ChildProcess, spawn } from 'child_process';
import { EventEmitter } from 'events';
import { Errors, ScopeFailure } from '../errors';
import type { OutputSink } from './mixProject';

export interface NodeProcessEvents {
  exit: [number | null, NodeJS.Signals | null];
}

const KILL_GRACE_MS = 2_000;

export class NodeProcess extends EventEmitter<NodeProcessEvents> {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  exitCode: number | null | undefined = undefined;

  start(task: string, taskArgs: string[], cwd: string, env: NodeJS.ProcessEnv, out: OutputSink): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('mix', [task, ...taskArgs], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      child.stdout!.on('data', (d: Buffer) => out(d.toString(), 'stdout'));
      child.stderr!.on('data', (d: Buffer) => out(d.toString(), 'stderr'));
      this.exited = new Promise((done) =>
        child.on('close', (code, signal) => {
          this.exitCode = code;
          this.emit('exit', code, signal);
          done();
        }),
      );
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new ScopeFailure(Errors.elixirNotFound, { details: 'mix: command not found' }) : err),
      );
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  /** Writes to the program's standard input. */
  write(text: string): void {
    this.child?.stdin?.write(text);
  }

  /** Ends the whole process group: SIGTERM, then SIGKILL after a grace period. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || this.exitCode !== undefined) return;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    signalGroup('SIGKILL'); // stragglers in the group (e.g. a port program that ignored SIGTERM)
  }
}
