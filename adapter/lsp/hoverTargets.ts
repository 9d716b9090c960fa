// The variable (or `.field` path) under the mouse in Elixir and Erlang source, and the variables a line
// mentions: what the recording language server hovers and annotates. Strings and comments are skipped.

export interface HoverTarget {
  /** Root variable name (`state` in `state.balance`). */
  name: string;
  /** Expression to resolve (`state.balance`, or just the name). */
  expression: string;
  /** 0-based character span of the expression on its line. */
  start: number;
  end: number;
}

const IDENT_CHAR = /[A-Za-z0-9_?!]/;
const RESERVED = new Set([
  'do', 'end', 'fn', 'when', 'and', 'or', 'not', 'in', 'case', 'cond', 'if', 'unless', 'else', 'def', 'defp', 'defmodule',
  'defmacro', 'defmacrop', 'defstruct', 'use', 'import', 'alias', 'require', 'receive', 'after', 'try', 'catch', 'rescue',
  'with', 'for', 'nil', 'true', 'false', 'raise', 'quote', 'unquote',
]);

/** The variable (possibly with a `.field` path) at `character` of `lineText`, or undefined. */
export function hoverTargetAt(lineText: string, character: number): HoverTarget | undefined {
  if (commentStart(lineText) <= character) return undefined;
  let s = character;
  let e = character;
  if (!IDENT_CHAR.test(lineText[s] ?? '') && s > 0 && IDENT_CHAR.test(lineText[s - 1])) s = e = s - 1;
  if (!IDENT_CHAR.test(lineText[s] ?? '')) return undefined;
  while (s > 0 && IDENT_CHAR.test(lineText[s - 1])) s--;
  while (e < lineText.length && IDENT_CHAR.test(lineText[e])) e++;
  const word = lineText.slice(s, e);
  if (!/^[a-z_][A-Za-z0-9_]*[?!]?$/.test(word) || RESERVED.has(word)) return undefined;
  if (lineText[s - 1] === ':' || lineText[s - 1] === '@' || lineText[s - 1] === '&') return undefined; // atom, attribute, capture
  const after = lineText.slice(e);
  if (/^\s*\(/.test(after) && lineText[s - 1] !== '.') return undefined; // a function call
  if (/^:(?!:)/.test(after)) return undefined; // keyword key
  // Extend left over a `.field` chain: `state.balance` when hovering `balance`.
  let start = s;
  while (start > 1 && lineText[start - 1] === '.' && IDENT_CHAR.test(lineText[start - 2])) {
    let p = start - 1;
    while (p > 0 && IDENT_CHAR.test(lineText[p - 1])) p--;
    start = p;
  }
  const expression = lineText.slice(start, e);
  const root = expression.split('.')[0];
  if (!/^[a-z_]/.test(root) || RESERVED.has(root)) return undefined; // Module.fun
  if (expression !== word && /^\s*\(/.test(after)) return undefined; // remote call var.fun()
  return { name: root, expression, start, end: e };
}

/** Position of a `#` comment on the line (outside strings), or the line's length. */
export function commentStart(line: string): number {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && inStr) i++;
    else if (c === '"') inStr = !inStr;
    else if (c === '?' && line[i + 1] === '#') i++;
    else if (c === '#' && !inStr) return i;
  }
  return line.length;
}

/** Variable-looking identifiers used on a line (outside strings and comments). */
export function identifiersOn(line: string): Set<string> {
  const code = line.slice(0, commentStart(line)).replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const out = new Set<string>();
  const re = /(^|[^A-Za-z0-9_:@.])([a-z_][A-Za-z0-9_]*[?!]?)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const w = m[2];
    if (RESERVED.has(w) || w === '_') continue;
    const next = code.slice(m.index + m[0].length);
    if (/^:(?!:)/.test(next)) continue;
    out.add(w);
  }
  return out;
}

// ───────────── Erlang sources (variables only) ─────────────

/** The Erlang variable at `character` (`Amount`, `_Acc`), outside strings and `%` comments. */
export function erlangHoverTargetAt(lineText: string, character: number): HoverTarget | undefined {
  const cut = erlangCommentStart(lineText);
  if (character >= cut) return undefined;
  const W = /[A-Za-z0-9_@]/;
  let s = character;
  if (!W.test(lineText[s] ?? '') && s > 0 && W.test(lineText[s - 1])) s--;
  if (!W.test(lineText[s] ?? '')) return undefined;
  let e = s;
  while (s > 0 && W.test(lineText[s - 1])) s--;
  while (e < lineText.length && W.test(lineText[e])) e++;
  const word = lineText.slice(s, e);
  if (!/^[A-Z_][A-Za-z0-9_@]*$/.test(word) || word === '_' || lineText[s - 1] === '?' || lineText[s - 1] === '#') return undefined; // macros, records
  return { name: word, expression: word, start: s, end: e };
}

export function erlangIdentifiersOn(line: string): Set<string> {
  const code = line.slice(0, erlangCommentStart(line)).replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const out = new Set<string>();
  for (const m of code.matchAll(/(^|[^A-Za-z0-9_@?#])([A-Z_][A-Za-z0-9_@]*)/g)) if (m[2] !== '_') out.add(m[2]);
  return out;
}

function erlangCommentStart(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '$') i++;
    else if (c === '%') return i;
  }
  return line.length;
}
