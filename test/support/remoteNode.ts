// Starts the example project as a distributed node (as a user would with `iex --sname x -S mix`) and
// inspects it from the outside over distribution, for attach tests.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as os from 'os';

export class RemoteNode {
  readonly name = `esc_t_${crypto.randomBytes(3).toString('hex')}`;
  readonly cookie = crypto.randomBytes(8).toString('hex');
  readonly node = `${this.name}@${os.hostname().split('.')[0]}`;
  private child: ChildProcess | undefined;
  output = '';

  /** Starts `elixir --sname NAME --cookie C -S mix run --no-halt` in `projectDir` (mix and elixir found on env's PATH) and waits until it answers. */
  async start(projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    execFileSync('mix', ['compile'], { cwd: projectDir, stdio: 'ignore', env });
    this.child = spawn('elixir', ['--sname', this.name, '--cookie', this.cookie, '-S', 'mix', 'run', '--no-halt'], {
      cwd: projectDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    for (let i = 0; i < 100; i++) {
      if (this.eval("is_pid(rpc:call(Node, erlang, whereis, ['Elixir.Bank.Ledger']))") === 'true') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`node ${this.node} did not start:\n${this.output}`);
  }

  /** Evaluates an Erlang expression in a hidden node connected to the target (bound as `Node`); returns ~p text. */
  eval(expr: string): string {
    // Not connected yet (the node is still starting): say so and exit 1, no crash dump.
    const code = `Node = '${this.node}', case net_kernel:connect_node(Node) of true -> R = begin ${expr} end, io:format("~p", [R]), halt(); _ -> io:format(standard_error, "~s is not reachable~n", [Node]), halt(1) end.`;
    try {
      return execFileSync('erl', ['-hidden', '-noshell', '-sname', `esc_chk_${crypto.randomBytes(3).toString('hex')}`, '-setcookie', this.cookie, '-eval', code], {
        encoding: 'utf8',
        env: { ...process.env, ERL_AFLAGS: '' },
        timeout: 30_000,
      }).trim();
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  }

  stop(): void {
    if (this.child?.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
