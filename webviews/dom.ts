// Tiny DOM construction helpers for the webviews: elements with classes, attributes and text, never
// innerHTML (terms are user data) and never style attributes (strict CSP: geometry goes through CSSOM).

export type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  attrs?: Attrs,
  ...children: Array<Node | string | undefined>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  setAttrs(e, attrs);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Array<Node | string | undefined>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

function setAttrs(e: Element, attrs?: Attrs): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
}

/** A button that runs `onClick`; buttons (not divs) so keyboard and screen readers work for free. */
export function button(label: string, cls: string, onClick: (ev: MouseEvent) => void, title?: string): HTMLButtonElement {
  const b = el('button', cls, { type: 'button', title });
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled checkbox; returns the label (to insert) and the input (to read). */
export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, cls = 'check'): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = el('input', undefined, { type: 'checkbox' });
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  return { label: el('label', cls, undefined, input, ` ${label}`), input };
}
