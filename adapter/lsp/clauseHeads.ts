// The clause heads of an Elixir document: every def/defp/defmacro clause's line, parameter patterns
// (./clausePatterns) and `when` guard (./clauseGuards), grouped by name/arity. Heredoc examples define nothing.
import { type Guard, parseGuard } from './clauseGuards';
import { type Pattern, parsePattern } from './clausePatterns';
import { commentStart } from './hoverTargets';

export interface ClauseHead {
  /** 0-based line of `def`. */
  line: number;
  /** Parameter patterns (undefined where one could not be read). */
  params: (Pattern | undefined)[];
  /** The `when` guard, when it could be read. */
  guard?: Guard;
}

export interface SourceFunction {
  name: string;
  arity: number;
  /** 0-based line of its first clause. */
  line: number;
  clauses: ClauseHead[];
}

const DEF = /^\s*(def|defp|defmacro|defmacrop)\s+([a-z_][A-Za-z0-9_]*[?!]?)\s*(\(|,|\s+do\b|$)/;
/** A line that opens a heredoc (`@doc """`, `x = '''`): the quotes end it, nothing after them. */
const HEREDOC_OPEN = /(?:^|[\s(=~a-zA-Z])("""|''')\s*$/;

/**
 * Every function clause head of a document, grouped by name/arity in order of appearance (a default
 * argument makes a clause count for every arity it defines).
 */
export function functionsOf(lines: readonly string[]): SourceFunction[] {
  const out = new Map<string, SourceFunction>();
  let heredoc = '';
  for (let i = 0; i < lines.length; i++) {
    // Code inside @doc/@moduledoc heredocs (examples) defines nothing.
    if (heredoc) {
      if (lines[i].trim().startsWith(heredoc)) heredoc = '';
      continue;
    }
    const open = HEREDOC_OPEN.exec(lines[i].slice(0, commentStart(lines[i])));
    if (open) {
      heredoc = open[1];
      continue;
    }
    const m = DEF.exec(lines[i]);
    if (!m) continue;
    const name = m[2];
    let params: string[] = [];
    let guard: Guard | undefined;
    if (m[3] === '(') {
      const r = collectParens(lines, i, lines[i].indexOf('(', m[0].length - 1));
      params = splitTopLevel(r.inner);
      // A bodiless head (`def handle_info(msg, state)` ahead of the clauses, for docs) is no clause.
      const tail = r.rest.slice(0, commentStart(r.rest)).trim();
      if (tail === '' && !/^\s*(when\b|do\b)/.test(lines[r.endLine + 1] ?? '')) continue;
      let rest = r.rest;
      for (let l = r.endLine + 1; l < lines.length && l <= r.endLine + 3 && !/\bdo\b/.test(rest); l++) rest += ' ' + lines[l];
      const w = /^\s*when\s+([\s\S]*?)(?:,\s*do:|\s+do\b|$)/.exec(rest.slice(0, commentStart(rest)));
      if (w) guard = parseGuard(w[1]);
    }
    const required = params.filter((p) => !/\\\\/.test(p)).length;
    const parsed = params.map((p) => parsePattern(p.replace(/\\\\[\s\S]*$/, '')));
    for (let arity = required; arity <= params.length; arity++) {
      const key = `${name}/${arity}`;
      let f = out.get(key);
      if (!f) out.set(key, (f = { name, arity, line: i, clauses: [] }));
      f.clauses.push({ line: i, params: parsed, guard });
    }
  }
  return [...out.values()];
}

/** Text between the parenthesis at (line, col) and its match, possibly spanning lines; and the rest of the line after it. */
function collectParens(lines: readonly string[], line: number, col: number): { inner: string; endLine: number; rest: string } {
  let depth = 0;
  let out = '';
  let inStr = false;
  for (let l = line; l < lines.length && l < line + 30; l++) {
    const text = lines[l];
    for (let c = l === line ? col : 0; c < text.length; c++) {
      const ch = text[c];
      if (inStr) {
        if (ch === '\\') {
          out += ch + (text[c + 1] ?? '');
          c++;
          continue;
        }
        if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '#') break;
      else if (ch === '(') {
        depth++;
        if (depth === 1) continue;
      } else if (ch === ')') {
        depth--;
        if (depth === 0) return { inner: out, endLine: l, rest: text.slice(c + 1) };
      }
      out += ch;
    }
    out += ' ';
  }
  return { inner: out, endLine: line, rest: '' };
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inStr = false;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      if (ch === '\\') {
        cur += ch + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inStr = false;
    } else if (ch === '"') inStr = true;
    else if ('([{'.includes(ch) || (ch === '<' && text[i + 1] === '<')) depth++;
    else if (')]}'.includes(ch) || (ch === '>' && text[i + 1] === '>' && depth > 0 && text[i - 1] !== '=')) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur.trim());
  return parts;
}
