// Structural diff of two captured terms (TermView trees) into one DiffNode tree the views render.
// jsondiffpatch does the matching (keys of maps/structs, LCS over list elements); this module maps its
// delta back onto the TermView trees so every node keeps its Elixir rendering.
import { create, Delta } from 'jsondiffpatch';
import type { TermView } from '../adapter/protocol/webviewData';

export type DiffStatus = 'same' | 'added' | 'removed' | 'changed';

export interface DiffNode {
  /** Rendered key within the parent (`balance`, `[0]`, `{1}`); '' for the root. */
  key: string;
  /** Keys from the root joined with '.', e.g. `entries.[0]`: a stable id across versions (collapse state, tests). */
  path: string;
  /** `changed` = this node or something below it differs. */
  status: DiffStatus;
  /** Before (absent when added). */
  left?: TermView;
  /** After (absent when removed). */
  right?: TermView;
  /** Present when both sides are containers of the same shape (or one side only exists and is a container). */
  children?: DiffNode[];
}

/** Marker keys in the plain form: cannot collide with rendered keys, which never start with a control char. */
const SHAPE = '\u0000shape';
const OMITTED = '\u0000omitted';

/** Kind plus struct module: a map and a struct, or two different structs, never diff key by key. */
export function shapeOf(t: TermView): string {
  if (t.kind !== 'struct') return t.kind;
  const m = /^%([^{]*)\{/.exec(t.text);
  return `struct ${m ? m[1] : ''}`;
}

const isContainer = (t: TermView | undefined): t is TermView & { children: NonNullable<TermView['children']> } => !!t && Array.isArray(t.children);
/** Lists are diffed as sequences (insertions shift nothing); maps, structs, tuples, keyword lists by key. */
const isSequence = (t: TermView) => t.kind === 'list';

/**
 * The plain JSON form jsondiffpatch compares: scalars become `kind␁text`, lists arrays, keyed containers
 * objects with a shape marker. `hashes` remembers each container's identity (shape + text) so list
 * elements are matched by content.
 */
function toPlain(t: TermView, hashes: WeakMap<object, string>): unknown {
  if (!isContainer(t)) return `${t.kind}\u0001${t.text}`;
  let out: unknown[] | Record<string, unknown>;
  if (isSequence(t)) {
    const arr = t.children.map((c) => toPlain(c.value, hashes));
    if (t.omitted) arr.push(`${OMITTED}${t.omitted}`);
    out = arr;
  } else {
    const obj: Record<string, unknown> = { [SHAPE]: shapeOf(t) };
    for (const c of t.children) obj[c.key] = toPlain(c.value, hashes);
    if (t.omitted) obj[OMITTED] = t.omitted;
    out = obj;
  }
  hashes.set(out, `${shapeOf(t)}\u0001${t.text}`);
  return out;
}

function plainDelta(left: TermView, right: TermView): Delta {
  const hashes = new WeakMap<object, string>();
  const differ = create({
    objectHash: (item: object) => hashes.get(item),
    // Moves would make alignment of before/after rows ambiguous; a moved element reads as removed + added.
    arrays: { detectMove: false },
  });
  return differ.diff(toPlain(left, hashes), toPlain(right, hashes));
}

/** Diff of two versions of a term. `left` undefined: everything is new (first version). */
export function diffTerms(left: TermView | undefined, right: TermView): DiffNode {
  if (!left) return whole('', '', right, 'added');
  return build('', '', left, right, plainDelta(left, right));
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** A subtree that exists on one side only, or is identical on both. */
function whole(key: string, path: string, t: TermView, status: 'same' | 'added' | 'removed', other?: TermView): DiffNode {
  const node: DiffNode = { key, path, status };
  if (status !== 'added') node.left = status === 'same' ? (other ?? t) : t;
  if (status !== 'removed') node.right = t;
  if (isContainer(t)) {
    const otherKids = status === 'same' && other && isContainer(other) ? other.children : undefined;
    node.children = t.children.map((c, i) => whole(c.key, join(path, c.key), c.value, status, otherKids?.[i]?.value));
  }
  return node;
}

function isArrayDelta(d: Delta): d is Delta & { _t: 'a' } {
  return typeof d === 'object' && d !== null && !Array.isArray(d) && (d as { _t?: string })._t === 'a';
}

function build(key: string, path: string, left: TermView, right: TermView, delta: Delta): DiffNode {
  if (delta === undefined) return whole(key, path, right, 'same', left);
  const shapeChanged = typeof delta === 'object' && !Array.isArray(delta) && SHAPE in delta;
  if (Array.isArray(delta) || shapeChanged || !isContainer(left) || !isContainer(right)) {
    // Replaced outright (scalar change, or a container turned into something else): no key-level detail.
    return { key, path, status: 'changed', left, right };
  }
  const children = isArrayDelta(delta) ? listChildren(path, left, right, delta as unknown as Record<string, Delta>) : keyedChildren(path, left, right, delta as Record<string, Delta>);
  const changed = children.some((c) => c.status !== 'same') || (left.omitted ?? 0) !== (right.omitted ?? 0);
  return { key, path, status: changed ? 'changed' : 'same', left, right, children };
}

function child(path: string, key: string, l: TermView | undefined, r: TermView | undefined, d: Delta): DiffNode {
  const p = join(path, key);
  if (!l) return whole(key, p, r!, 'added');
  if (!r) return whole(key, p, l, 'removed');
  return build(key, p, l, r, d);
}

/** Keys of maps/structs/tuples: right's order, with removed keys kept where they stood on the left. */
function keyedChildren(path: string, left: TermView, right: TermView, delta: Record<string, Delta>): DiffNode[] {
  const leftKids = left.children!;
  const rightKids = right.children!;
  const leftByKey = new Map(leftKids.map((c) => [c.key, c.value]));
  const rightKeys = new Set(rightKids.map((c) => c.key));
  const out: DiffNode[] = [];
  let li = 0;
  for (const rc of rightKids) {
    while (li < leftKids.length && !rightKeys.has(leftKids[li].key)) {
      out.push(child(path, leftKids[li].key, leftKids[li].value, undefined, undefined));
      li++;
    }
    if (li < leftKids.length && leftKids[li].key === rc.key) li++;
    out.push(child(path, rc.key, leftByKey.get(rc.key), rc.value, delta[rc.key]));
  }
  for (; li < leftKids.length; li++) {
    if (!rightKeys.has(leftKids[li].key)) out.push(child(path, leftKids[li].key, leftKids[li].value, undefined, undefined));
  }
  return out;
}

/**
 * List elements: walk both lists along jsondiffpatch's alignment (removed = `_i` keys on the left, added
 * = `j` keys on the right). Within one gap, removed and added elements are paired up as "changed" so
 * `[1, 2, 3] → [1, 5, 3]` reads as element [1] changed, and nested structs in lists diff key by key.
 */
function listChildren(path: string, left: TermView, right: TermView, delta: Record<string, Delta>): DiffNode[] {
  const l = left.children!;
  const r = right.children!;
  const removed = new Set<number>();
  const added = new Set<number>();
  for (const [k, d] of Object.entries(delta)) {
    if (k === '_t') continue;
    if (k.startsWith('_')) removed.add(Number(k.slice(1)));
    else if (Array.isArray(d) && d.length === 1) added.add(Number(k));
  }
  const out: DiffNode[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length || j < r.length) {
    const gapL: number[] = [];
    const gapR: number[] = [];
    while (i < l.length && removed.has(i)) gapL.push(i++);
    while (j < r.length && added.has(j)) gapR.push(j++);
    const pairs = Math.min(gapL.length, gapR.length);
    for (let p = 0; p < Math.max(gapL.length, gapR.length); p++) {
      if (p < pairs) {
        const a = l[gapL[p]].value;
        const b = r[gapR[p]].value;
        out.push(build(r[gapR[p]].key, join(path, r[gapR[p]].key), a, b, plainDelta(a, b)));
      } else if (p < gapL.length) out.push(child(path, l[gapL[p]].key, l[gapL[p]].value, undefined, undefined));
      else out.push(child(path, r[gapR[p]].key, undefined, r[gapR[p]].value, undefined));
    }
    if (gapL.length === 0 && gapR.length === 0) {
      if (i < l.length && j < r.length) {
        out.push(child(path, r[j].key, l[i].value, r[j].value, delta[String(j)]));
        i++;
        j++;
      } else if (i < l.length) out.push(child(path, l[i].key, l[i++].value, undefined, undefined));
      else if (j < r.length) out.push(child(path, r[j].key, undefined, r[j++].value, undefined));
    }
  }
  return out;
}

/** Paths of the changed/added/removed nodes right below the root (what a reader sees first). */
export function changedTopKeys(root: DiffNode): string[] {
  return (root.children ?? []).filter((c) => c.status !== 'same').map((c) => c.key);
}
