// Adapter-side log: one file per adapter process in a folder only this user can read (0700, files
// 0600), path shown to the user. Secrets (the attach cookie, tokens, launch env values) never reach it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string): void;
  /** Masks `secret` in every later line (the cookie, a session token). */
  redact(secret: string | undefined): void;
  readonly file: string | undefined;
  /** Set when the shared log folder was refused: which one, why, and where the log went instead. */
  readonly notice: string | undefined;
}

/** What replaces a secret in the log. */
export const REDACTED = '<redacted>';
/** Shorter values are not masked inside other text: a one-letter cookie would blank the whole log. */
const MIN_MASKED_LENGTH = 4;
/** Keys whose string values are secrets wherever they appear in a logged configuration. */
const SECRET_KEY = /cookie|token|secret|passw|credential|api[-_]?key|auth/i;

class FileLogger implements Logger {
  private fd: number | undefined;
  private readonly secrets: string[] = [];

  constructor(readonly file: string | undefined, readonly notice: string | undefined) {
    this.fd = file === undefined ? undefined : openPrivate(file);
    if (notice) this.log('warn', notice);
  }

  log(level: LogLevel, message: string): void {
    if (this.fd === undefined) return;
    let text = message;
    for (const s of this.secrets) text = text.split(s).join(REDACTED);
    try {
      fs.writeSync(this.fd, `${new Date().toISOString()} ${level.toUpperCase()} ${text}\n`);
    } catch {
      /* disk full or closed: drop the line */
    }
  }

  redact(secret: string | undefined): void {
    if (secret && secret.length >= MIN_MASKED_LENGTH && !this.secrets.includes(secret)) this.secrets.push(secret);
  }
}

/** Opens (appends to) a log file only its owner can read; undefined when that cannot be ensured. */
function openPrivate(file: string): number | undefined {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // No symlink followed: a link planted under the file's name must not redirect our writes.
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | (fs.constants.O_NOFOLLOW ?? 0);
    const fd = fs.openSync(file, flags, 0o600);
    const uid = process.getuid?.();
    if (uid !== undefined && fs.fstatSync(fd).uid !== uid) {
      fs.closeSync(fd); // someone else's file: never write into it
      return undefined;
    }
    if (uid !== undefined) fs.fchmodSync(fd, 0o600); // an older log of ours may have been created 0644
    return fd;
  } catch {
    return undefined; // logging must never break a debug session
  }
}

/** Why `dir` must not hold our logs (another user's, or others may write into it), or undefined. */
function unsafeFolder(dir: string, uid: number): string | undefined {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) return `${dir} is not a folder`;
  if (st.uid !== uid) return `${dir} belongs to another user (uid ${st.uid})`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * The folder for this user's logs: `base` if it is ours, else `<base>-<uid>`, else a fresh private
 * folder. Ours but readable by others (made by an older version): narrowed to 0700.
 */
export function privateLogFolder(base: string): { dir: string | undefined; notice: string | undefined } {
  const uid = process.getuid?.();
  if (uid === undefined) return { dir: base, notice: undefined }; // Windows: the temp folder is per user
  let refused: string | undefined;
  for (const dir of [base, `${base}-${uid}`]) {
    try {
      try {
        fs.mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const why = unsafeFolder(dir, uid);
      if (why === undefined) {
        fs.chmodSync(dir, 0o700);
        return { dir, notice: refused && `log folder not used: ${refused}; logging to ${dir} instead` };
      }
      refused ??= why;
    } catch (err) {
      refused ??= `${dir}: ${(err as Error).message}`;
    }
  }
  try {
    const dir = fs.mkdtempSync(`${base}-${uid}-`); // created 0700, a name nobody could prepare
    return { dir, notice: `log folder not used: ${refused}; logging to ${dir} instead` };
  } catch (err) {
    return { dir: undefined, notice: `log folder not used: ${refused}; no log is written (${(err as Error).message})` };
  }
}

/** The default log file: $ELIXIR_SCOPE_LOG, or <tmp>/elixir-scope/adapter-<pid>.log in a folder of ours. */
export function createLogger(file = process.env.ELIXIR_SCOPE_LOG): Logger {
  if (file !== undefined) return new FileLogger(file, undefined);
  const { dir, notice } = privateLogFolder(path.join(os.tmpdir(), 'elixir-scope'));
  return new FileLogger(dir && path.join(dir, `adapter-${process.pid}.log`), notice);
}

/**
 * A launch/attach configuration as it may be logged: its keys stay, but the values of `env` and of
 * any secret-named key (cookie, token, password…) are replaced.
 */
export function redactConfig(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'env' && v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = Object.fromEntries(Object.keys(v).map((n) => [n, REDACTED]));
    else if (SECRET_KEY.test(k) && typeof v === 'string') out[k] = REDACTED;
    else out[k] = redactConfig(v, depth + 1);
  }
  return out;
}

export const nullLogger: Logger = { log: () => undefined, redact: () => undefined, file: undefined, notice: undefined };
