// Keeps the numbered error catalog (adapter/errors.ts) honest: codes unique and below the agent's 2000+
// notices, every entry used by the adapter or the extension, and no code written as a bare number elsewhere.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { errorNotice, Errors, noticeLine } from '../../adapter/errors';

const root = path.resolve(__dirname, '..', '..');
const CATALOG = path.join('adapter', 'errors.ts');

/** The TypeScript sources of the adapter and the extension (generated code aside), relative to the root. */
function sources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== path.join('adapter', 'gen')) walk(rel);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && rel !== CATALOG) {
        out.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
      }
    }
  };
  walk('adapter');
  walk('extension');
  return out;
}

/** Code without its comments (lines kept in place), so a code cited in a comment is not taken for a use. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Places where a number stands for an error code: a DAP error response id, a code field or fallback, a notice prefix. */
const LITERAL_CODE = [
  /sendErrorResponse\([^;]*?\bid:\s*\d+/,
  /sendErrorResponse\(\s*\w+\s*,\s*\d+/,
  /\b(code|id)\s*[:=]\s*[^;,)]*?(?<![*/]\s*)\b[1-9]\d{3}\b/,
  /\[ElixirScope\]?\s*\d{3,}/,
];

describe('error catalog (adapter/errors.ts)', () => {
  const entries = Object.entries(Errors);
  const files = sources();

  it('gives every error its own code, below the 2000+ range of the agent\'s notices', () => {
    const byCode = new Map<number, string[]>();
    for (const [name, err] of entries) byCode.set(err.code, [...(byCode.get(err.code) ?? []), name]);
    const shared = [...byCode].filter(([, names]) => names.length > 1).map(([code, names]) => `${code}: ${names.join(', ')}`);
    assert.deepStrictEqual(shared, [], 'codes used by more than one error');
    const outside = entries.filter(([, err]) => !(err.code >= 1000 && err.code < 2000)).map(([name, err]) => `${name} ${err.code}`);
    assert.deepStrictEqual(outside, []);
  });

  it('has no entry that nothing in adapter/ or extension/ uses', () => {
    const code = [...files.values()].map(withoutComments).join('\n');
    const unused = entries.map(([name]) => name).filter((name) => !new RegExp(`\\bErrors\\.${name}\\b`).test(code));
    assert.deepStrictEqual(unused, [], 'use these errors or remove them from the catalog');
  });

  it('is the only place error codes are written as numbers', () => {
    const literals: string[] = [];
    for (const [file, text] of files) {
      withoutComments(text).split('\n').forEach((line, i) => {
        if (LITERAL_CODE.some((re) => re.test(line))) literals.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepStrictEqual(literals, [], 'take the code from Errors (adapter/errors.ts)');
  });

  it('writes every notice one way: "[ElixirScope <code>] text", or "[ElixirScope] text" unnumbered', () => {
    const builtElsewhere = [...files].filter(([, text]) => /\[ElixirScope[ \]]/.test(withoutComments(text))).map(([file]) => file);
    assert.deepStrictEqual(builtElsewhere, [], 'notice lines are made by noticeLine/errorNotice (adapter/errors.ts)');
    assert.strictEqual(errorNotice(Errors.historyDropped), `[ElixirScope 1300] ${Errors.historyDropped.format}\n`);
    assert.strictEqual(noticeLine('agent connected'), '[ElixirScope] agent connected\n');
    assert.strictEqual(noticeLine('Events were dropped', 2003), '[ElixirScope 2003] Events were dropped\n');
  });
});
