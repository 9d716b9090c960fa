// Test helper: tokenizes Elixir source with the project's grammar through vscode-textmate and
// Oniguruma, the same engine VS Code uses, so the grammar's regexes are checked as VS Code reads them.
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const root = path.resolve(__dirname, '..', '..', '..');
export const GRAMMAR_PATH = path.join(root, 'syntaxes', 'elixir.tmLanguage.json');

export interface Token {
  text: string;
  scopes: string[];
}

let grammarPromise: Promise<textmate.IGrammar> | undefined;

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH),
  });
  const raw = JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8')) as { scopeName: string };
  const grammar = await registry.loadGrammar(raw.scopeName);
  if (!grammar) throw new Error('grammar did not load');
  return grammar;
}

/** Tokens of each line of `source` (empty-text tokens dropped). */
export async function tokenize(source: string): Promise<Token[][]> {
  grammarPromise ??= loadGrammar();
  const grammar = await grammarPromise;
  let state = textmate.INITIAL;
  return source.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens
      .map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.slice(1) }))
      .filter((t) => t.text.length > 0);
  });
}

/** The innermost scope of the first token whose text is `text` (trimmed), searching all lines. */
export function scopeOf(lines: Token[][], text: string, nth = 0): string | undefined {
  const hits = lines.flat().filter((t) => t.text.trim() === text);
  const hit = hits[nth];
  return hit ? hit.scopes[hit.scopes.length - 1] : undefined;
}
