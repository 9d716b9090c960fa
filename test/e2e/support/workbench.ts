// Playwright helpers over the VS Code workbench served by code-server: Debian's Chromium, the
// command palette, quick open, the editor gutter, the Run and Debug view, hovers and webviews.
// Everything is found through the DOM (roles, aria labels, VS Code's stable class names), never pixels.
import * as fs from 'fs';
import * as path from 'path';
import { Browser, chromium, Frame, Locator, Page } from 'playwright-core';
import { repoRoot } from './codeServer';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'e2e');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
  });
}

/** Saves a screenshot (and, with `html`, the page's DOM) under test-artifacts/e2e; returns the png path. */
export async function shot(page: Page, name: string, opts: { html?: boolean } = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file }).catch((err: Error) => console.log(`      (screenshot ${name} failed: ${err.message})`));
  if (opts.html) {
    const html = await page.content().catch(() => '');
    fs.writeFileSync(path.join(ARTIFACTS, `${name}.html`), html);
  }
  return path.relative(repoRoot, file);
}

export async function waitForWorkbench(page: Page, timeoutMs = 90_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  // The explorer shows the workspace once the remote extension host is connected.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}

/** Runs a command by its palette title ("ElixirScope: Open State History"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // F1 first; if the key went to a place that keeps it (a toolbar button, a webview), the other ways in.
  const openers: (() => Promise<void>)[] = [
    () => page.keyboard.press('F1'),
    () => page.keyboard.press('Control+Shift+P'),
    async () => {
      await page.locator('.command-center .search-label, .command-center-center').first().click();
      await input.waitFor({ state: 'visible', timeout: 3000 });
      await input.fill('>');
    },
  ];
  // The palette closes when something else takes the focus (an editor revealed by a late debug
  // event): then open it again.
  let lastError: unknown;
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      await page.keyboard.press('Escape');
      await openers[attempt % openers.length]().catch(() => undefined);
      await input.waitFor({ state: 'visible', timeout: 3000 });
      await input.fill(`>${title}`, { timeout: 3000 });
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ timeout: 5000 });
      await row.click({ timeout: 3000 });
      return;
    } catch (err) {
      lastError = err;
      await page.waitForTimeout(300);
    }
  }
  throw new Error(`could not run "${title}" from the command palette: ${(lastError as Error).message.split('\n')[0]}`);
}

/** Opens a workspace file through quick open (Ctrl+P) and waits for its editor. */
export async function openFile(page: Page, relPath: string): Promise<Locator> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(relPath);
  const base = path.basename(relPath);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: base }).first();
  await row.waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ timeout: 15_000 });
  return activeEditor(page);
}

/** Focuses the first editor group with the keyboard (clicking Monaco's line layer would scroll it). */
export async function focusEditor(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+1');
  await page.waitForTimeout(100);
}

export function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor').first();
}

/** Moves the cursor to a line (Ctrl+G) so that it is rendered, and returns the line's gutter row. */
export async function gotoLine(page: Page, line: number, column?: number): Promise<void> {
  await focusEditor(page);
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(column === undefined ? `:${line}` : `:${line}:${column}`);
  await page.keyboard.press('Enter');
  await lineNumber(page, line).waitFor({ timeout: 10_000 });
}

/** The line-number cell of a rendered line of the active editor. */
export function lineNumber(page: Page, line: number): Locator {
  return activeEditor(page).locator('.margin-view-overlays .line-numbers').filter({ hasText: new RegExp(`^\\s*${line}\\s*$`) }).first();
}

/** The rendered margin row (glyphs, line number) of a line, found by its top offset. */
export async function marginRowClasses(page: Page, line: number): Promise<string> {
  const lineBox = await lineNumber(page, line).boundingBox();
  if (!lineBox) return '';
  return activeEditor(page).evaluate((ed, y) => {
    const out: string[] = [];
    for (const g of Array.from(ed.querySelectorAll('.glyph-margin-widgets > div, .margin-view-overlays div'))) {
      const r = (g as HTMLElement).getBoundingClientRect();
      if (r.height > 0 && Math.abs(r.top + r.height / 2 - y) < r.height / 2) out.push((g as HTMLElement).className);
    }
    return out.join(' ');
  }, lineBox.y + lineBox.height / 2);
}

/** Clicks the glyph margin (the breakpoint gutter) of a rendered line. */
export async function clickGutter(page: Page, line: number, button: 'left' | 'right' = 'left'): Promise<void> {
  type Box = { x: number; y: number; width: number; height: number } | null;
  let lineBox = null as Box;
  let glyph = null as Box;
  // The editor may still be laying out (revealing the line, showing the glyph margin): poll briefly.
  for (let i = 0; i < 25 && !(lineBox && glyph && glyph.width > 0); i++) {
    if (i > 0) await page.waitForTimeout(200);
    lineBox = await lineNumber(page, line).boundingBox({ timeout: 1000 }).catch(() => null);
    glyph = await activeEditor(page).locator('.margin .glyph-margin').first().boundingBox({ timeout: 1000 }).catch(() => null);
  }
  if (!lineBox || !glyph || glyph.width === 0) throw new Error(`line ${line} (${JSON.stringify(lineBox)}) or the glyph margin (${JSON.stringify(glyph)}) is not rendered`);
  const x = glyph.x + Math.max(4, glyph.width / 2);
  const y = lineBox.y + lineBox.height / 2;
  await page.mouse.move(x, y);
  await page.waitForTimeout(150);
  await page.mouse.click(x, y, { button });
}

/** Clicks an item of the open context menu (VS Code renders it in a shadow root; locators pierce it). */
export async function clickMenuItem(page: Page, label: RegExp): Promise<void> {
  const item = page.getByRole('menuitem', { name: label }).first();
  await item.waitFor({ timeout: 10_000 });
  await item.click();
}

/**
 * Finds `word` as a whole token in a rendered DOM line and returns its screen rectangle. Built from
 * source text so that the test's TypeScript transform adds no helpers (__name) the browser lacks.
 */
const WORD_RECT_IN_LINE = new Function('el', 'w', `
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let text = '';
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push({ node: n, start: text.length }); text += n.data; }
  const m = new RegExp('(?<![A-Za-z0-9_])' + w + '(?![A-Za-z0-9_?!])').exec(text);
  if (!m) return null;
  const at = (offset) => { const hit = nodes.filter((x) => x.start <= offset).pop(); return [hit.node, offset - hit.start]; };
  const range = document.createRange();
  const [sn, so] = at(m.index);
  const [en, eo] = at(m.index + w.length - 1);
  range.setStart(sn, so);
  range.setEnd(en, eo + 1);
  const r = range.getBoundingClientRect();
  return { x: r.x, y: r.y, width: r.width, height: r.height };
`) as (el: Element, w: string) => { x: number; y: number; width: number; height: number } | null;

/**
 * Screen rectangle of the first occurrence of `word` (as a whole token) in a rendered line of the
 * active editor, once the layout has settled: code lenses and inlay hints arrive late and move lines,
 * so the rectangle is measured until two measurements 250 ms apart agree (at most ~3 s).
 */
export async function wordBox(page: Page, lineText: string, word: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const line = activeEditor(page).locator('.view-lines .view-line').filter({ hasText: lineText }).first();
  const measure = async (): Promise<{ x: number; y: number; width: number; height: number }> => {
    await line.waitFor({ timeout: 10_000 });
    const box = await line.evaluate(WORD_RECT_IN_LINE, word);
    if (!box) throw new Error(`"${word}" not found in the line containing "${lineText}"`);
    return box;
  };
  let box = await measure();
  for (let i = 0; i < 12; i++) {
    await page.waitForTimeout(250);
    const again = await measure();
    if (again.x === box.x && again.y === box.y) break;
    box = again;
  }
  return box;
}

/** Opens the Run and Debug view (Ctrl+Shift+D). */
export async function openRunAndDebug(page: Page): Promise<void> {
  await page.keyboard.press('Control+Shift+D');
  await pane(page, 'Breakpoints').waitFor({ timeout: 10_000 });
}

/** The body of a view pane of the sidebar, by its title ("Variables", "Call Stack", "Breakpoints"). */
export function pane(page: Page, title: string): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) }).first();
}

export interface TreeRow {
  level: number;
  text: string;
  name: string;
  value: string;
  expanded: boolean | undefined;
}

/** The rows of a debug tree view (Variables, Watch, Call Stack) as rendered. */
export async function treeRows(view: Locator): Promise<TreeRow[]> {
  return view.locator('.monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => {
      const el = r as HTMLElement;
      const exp = el.getAttribute('aria-expanded');
      return {
        level: Number(el.getAttribute('aria-level') ?? 0),
        text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
        name: (el.querySelector('.name, .scope')?.textContent ?? '').replace(/\s*[=:]\s*$/, '').trim(),
        value: (el.querySelector('.value')?.textContent ?? '').trim(),
        expanded: exp === null ? undefined : exp === 'true',
      };
    }),
  );
}

/**
 * The frame (at any depth: VS Code nests a webview's document in an iframe inside an iframe) that
 * contains `selector`, once a tab titled `tabTitle` is open.
 */
export async function webviewFrame(page: Page, tabTitle: RegExp, selector: string, timeoutMs = 20_000): Promise<Frame> {
  await page.locator('.tabs-container .tab', { hasText: tabTitle }).first().waitFor({ timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      if ((await f.locator(selector).count().catch(() => 0)) > 0) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview shows ${selector} within ${timeoutMs} ms (frames: ${page.frames().map((f) => `${f.name()}@${f.url().slice(0, 60)}`).join(', ')})`);
}

/** Text of the notifications currently shown (toasts and the notification center). */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message').allTextContents();
}
