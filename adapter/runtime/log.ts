// Adapter-side log: one file per adapter process under the OS temp folder, path shown to the user.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string): void;
  readonly file: string | undefined;
}

class FileLogger implements Logger {
  private fd: number | undefined;

  constructor(readonly file: string) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.fd = fs.openSync(file, 'a');
    } catch {
      this.fd = undefined; // logging must never break a debug session
    }
  }

  log(level: LogLevel, message: string): void {
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, `${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
    } catch {
      /* disk full or closed: drop the line */
    }
  }
}

/** The default log file: $ELIXIR_SCOPE_LOG, or <tmp>/elixir-scope/adapter-<pid>.log. */
export function createLogger(file = process.env.ELIXIR_SCOPE_LOG ?? path.join(os.tmpdir(), 'elixir-scope', `adapter-${process.pid}.log`)): Logger {
  return new FileLogger(file);
}

export const nullLogger: Logger = { log: () => undefined, file: undefined };
