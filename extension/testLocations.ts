// Finds ExUnit `test "…"` and `describe "…"` lines in a test file, for the "Debug test" code lens.
// Text only, no vscode import, so it is unit-tested directly.
import * as path from 'path';

export interface TestLocation {
  /** 1-based, as `mix test file:line` takes it. */
  line: number;
  kind: 'test' | 'describe';
  name: string;
}

const TEST_LINE = /^\s*(test|describe)\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*(?:,|do\b)/;

export function findTestLocations(text: string): TestLocation[] {
  const found: TestLocation[] = [];
  let inHeredoc = false;
  text.split(/\r?\n/).forEach((lineText, i) => {
    // Code examples in docs (heredocs) are not tests.
    const quotes = lineText.match(/"""|'''/g)?.length ?? 0;
    if (inHeredoc) {
      if (quotes % 2 === 1) inHeredoc = false;
      return;
    }
    const m = TEST_LINE.exec(lineText);
    if (m) found.push({ line: i + 1, kind: m[1] as TestLocation['kind'], name: m[2] ?? m[3] ?? '' });
    if (quotes % 2 === 1) inHeredoc = true;
  });
  return found;
}

/** `mix test` takes test paths relative to the project, with forward slashes on every OS. */
export function testLocation(projectDir: string, file: string, line: number, sep: string = path.sep): string {
  const rel = sep === '\\' ? path.win32.relative(projectDir, file) : path.posix.relative(projectDir, file);
  return `${rel.split(sep).join('/')}:${line}`;
}

