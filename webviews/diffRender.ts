// Renders a DiffNode tree as rows: changed containers open, unchanged ones folded to one line, runs of
// unchanged entries foldable, and either one column (old → new) or two aligned columns (before | after).
import type { TermView } from '../adapter/protocol/webviewData';
import { el } from './dom';
import { shorten } from './format';
import { DiffNode } from './termDiff';

export interface DiffRenderOptions {
  /** Two aligned columns (before | after) instead of one. */
  split: boolean;
  /** Fold runs of unchanged entries into one "N unchanged" row. */
  hideUnchanged: boolean;
  /** Paths whose default open/closed state the user flipped (and `path#run@i` for unfolded runs). */
  toggled: ReadonlySet<string>;
  onToggle: (id: string) => void;
}

const MAX_TEXT = 400;

/** Opening bracket of a container as Elixir writes it. */
function opener(t: TermView): string {
  switch (t.kind) {
    case 'struct': {
      const m = /^%[^{]*\{/.exec(t.text);
      return m ? m[0] : '%{';
    }
    case 'map': return '%{';
    case 'tuple': return '{';
    default: return '[';
  }
}

const closer = (t: TermView) => (t.kind === 'tuple' || t.kind === 'map' || t.kind === 'struct' ? '}' : ']');
const MARK: Record<string, string> = { same: ' ', added: '+', removed: '−', changed: '~' };

export function renderDiff(root: DiffNode, opts: DiffRenderOptions): HTMLElement {
  const box = el('div', `diff ${opts.split ? 'split' : 'unified'}`, { role: 'tree', 'aria-label': 'State diff' });
  if (opts.split) box.append(el('div', 'drow dhead', undefined, el('span', 'dmark'), el('span', 'dcell left', undefined, 'before'), el('span', 'dcell right', undefined, 'after')));
  const rows: HTMLElement[] = [];
  emit(root, 0, opts, rows, true);
  box.append(...rows);
  return box;
}

function isOpen(n: DiffNode, opts: DiffRenderOptions, isRoot: boolean): boolean {
  if (!n.children) return false;
  if (isRoot) return true;
  const byDefault = n.status === 'changed';
  return opts.toggled.has(n.path) ? !byDefault : byDefault;
}

function emit(n: DiffNode, depth: number, opts: DiffRenderOptions, rows: HTMLElement[], isRoot = false): void {
  const term = n.right ?? n.left!;
  if (!isOpen(n, opts, isRoot)) {
    rows.push(row(n, depth, opts, 'line'));
    return;
  }
  rows.push(row(n, depth, opts, 'open'));
  const kids = n.children!;
  for (let i = 0; i < kids.length; ) {
    let j = i;
    while (opts.hideUnchanged && j < kids.length && kids[j].status === 'same') j++;
    const runId = `${n.path}#run@${i}`;
    if (j - i >= 2 && !opts.toggled.has(runId)) {
      rows.push(foldRow(j - i, depth + 1, runId, opts));
      i = j;
      continue;
    }
    const end = Math.max(j, i + 1);
    for (; i < end && i < kids.length; i++) emit(kids[i], depth + 1, opts, rows);
  }
  const omitted = Math.max(n.left?.omitted ?? 0, n.right?.omitted ?? 0);
  if (omitted) rows.push(el('div', 'drow omitted', { role: 'treeitem', 'aria-level': depth + 2 }, el('span', 'dmark'), indent(el('span', 'dtext', undefined, `… ${omitted} more (not captured)`), depth + 1)));
  const close = el('div', `drow close s-${n.status === 'changed' ? 'same' : n.status}`, { 'aria-hidden': 'true' }, el('span', 'dmark'));
  const closing = (side: string, present = true) => indent(present ? el('span', `dcell ${side}`, undefined, el('span', 'dtoggle spacer'), closer(term)) : el('span', `dcell ${side} blank`), depth);
  if (opts.split) close.append(closing('left', !!n.left), closing('right', !!n.right));
  else close.append(closing('both'));
  rows.push(close);
}

function indent<T extends HTMLElement>(e: T, depth: number): T {
  // A custom property set through CSSOM: allowed by a strict CSP, unlike a style="" attribute.
  e.style.setProperty('--depth', String(depth));
  e.classList.add('indented');
  return e;
}

function foldRow(count: number, depth: number, runId: string, opts: DiffRenderOptions): HTMLElement {
  const b = el('button', 'dfold', { type: 'button', 'data-run': runId }, `⋯ ${count} unchanged`);
  b.addEventListener('click', () => opts.onToggle(runId));
  return el('div', 'drow fold', { role: 'treeitem' }, el('span', 'dmark'), indent(el('span', 'dtext'), depth), b);
}

/** One row: `line` = the whole term on one line, `open` = key and opening bracket of an expanded container. */
function row(n: DiffNode, depth: number, opts: DiffRenderOptions, shape: 'line' | 'open'): HTMLElement {
  const r = el('div', `drow s-${n.status}`, {
    role: 'treeitem',
    'aria-level': depth + 1,
    'aria-expanded': n.children ? String(shape === 'open') : undefined,
    'data-path': n.path,
    'data-status': n.status,
    'data-depth': depth,
  });
  r.append(el('span', 'dmark', { 'aria-label': n.status }, MARK[n.status]));
  const cell = (side: 'left' | 'right' | 'both', t: TermView | undefined, other?: TermView) => {
    const c = indent(el('span', `dcell ${side}${t ? '' : ' blank'}`), depth);
    if (n.children) c.append(toggle(n, shape === 'open', opts));
    else c.append(el('span', 'dtoggle spacer'));
    if (n.key) c.append(el('span', 'dkey', undefined, n.key), el('span', 'dpunct', undefined, ': '));
    if (!t) return c;
    if (shape === 'open') c.append(el('span', 'dval', undefined, opener(t)));
    else if (other && n.status === 'changed') {
      c.append(el('span', 'dval old', { title: other.text }, shorten(other.text, MAX_TEXT)), el('span', 'darrow', undefined, ' → '), el('span', 'dval new', { title: t.text }, shorten(t.text, MAX_TEXT)));
    } else c.append(el('span', 'dval', { title: t.text.length > MAX_TEXT ? t.text : undefined }, shorten(t.text, MAX_TEXT)));
    return c;
  };
  if (opts.split) r.append(cell('left', n.left), cell('right', n.right));
  else r.append(cell('both', n.right ?? n.left, n.status === 'changed' && !n.children ? n.left : undefined));
  return r;
}

function toggle(n: DiffNode, open: boolean, opts: DiffRenderOptions): HTMLElement {
  const b = el('button', 'dtoggle', { type: 'button', 'aria-label': open ? `Collapse ${n.key || 'term'}` : `Expand ${n.key || 'term'}` }, open ? '▾' : '▸');
  b.addEventListener('click', () => opts.onToggle(n.path));
  return b;
}
