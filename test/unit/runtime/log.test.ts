// The adapter log's redaction (configurations, registered secrets) and its choice of a private folder.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createLogger, privateLogFolder, redactConfig, REDACTED } from '../../../adapter/runtime/log';

describe('adapter log', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-log-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps a configuration\'s keys but not its env values nor secret-named strings, at any depth', () => {
    const args = {
      projectDir: '/p',
      env: { DATABASE_URL: 'postgres://u:pw@h/db', MIX_ENV: 'test' },
      cookie: 'c00kie',
      nested: [{ apiKey: 'k', Password: 'p', count: 3, token: 42 }],
    };
    assert.deepStrictEqual(redactConfig(args), {
      projectDir: '/p',
      env: { DATABASE_URL: REDACTED, MIX_ENV: REDACTED },
      cookie: REDACTED,
      nested: [{ apiKey: REDACTED, Password: REDACTED, count: 3, token: 42 }],
    });
    assert.strictEqual(args.cookie, 'c00kie', 'the configuration itself is left as it was');
  });

  it('masks a registered secret in every later line, but not values too short to tell apart', () => {
    const file = path.join(tmp, 'sub', 'a.log');
    const log = createLogger(file);
    log.redact('s3cr3t-cookie');
    log.redact('ab');
    log.log('info', 'attach helper: cookie s3cr3t-cookie refused, ab');
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /cookie <redacted> refused, ab$/m);
    assert.strictEqual((fs.statSync(file).mode & 0o777).toString(8), '600');
    assert.strictEqual((fs.statSync(path.dirname(file)).mode & 0o777).toString(8), '700');
  });

  it('never writes through a symbolic link planted under the log file\'s name', () => {
    const victim = path.join(tmp, 'victim');
    fs.writeFileSync(victim, 'untouched');
    const file = path.join(tmp, 'planted.log');
    fs.symlinkSync(victim, file);
    createLogger(file).log('info', 'a line');
    assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'untouched');
  });

  it('refuses a folder that is a symbolic link and picks the per-user one', function () {
    if (process.getuid === undefined) this.skip();
    const base = path.join(tmp, 'elixir-scope');
    fs.mkdirSync(path.join(tmp, 'elsewhere'));
    fs.symlinkSync(path.join(tmp, 'elsewhere'), base);
    const { dir, notice } = privateLogFolder(base);
    assert.strictEqual(dir, `${base}-${process.getuid()}`);
    assert.match(notice ?? '', /is not a folder/);
  });
});
