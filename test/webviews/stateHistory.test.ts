// State history webview in Chromium on the bank demo recording: diff marks exactly the changed keys,
// picking a version moves the debugger cursor, the cursor highlights its version, compare any two,
// nested list diffs, paged and large (10,000 versions) data.
import * as assert from 'assert';
import { Page } from 'playwright-core';
import { bankRecording, versionsOf } from './fixtures/bankRecording';
import { openView, useBrowser } from './support/harness';

const rec = bankRecording();
const accountB = versionsOf(rec, 'Bank.Account {:account, :b}');

/** Top-level diff rows (depth 0 = root, 1 = its keys) as {path: status}. */
function topRows(page: Page): Promise<Record<string, string>> {
  return page.$$eval('.diff .drow[data-depth="1"]', (rows) => Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.path!, (r as HTMLElement).dataset.status!])));
}

describe('webview: state history (Chromium)', function () {
  const h = useBrowser(this);

  it('marks exactly the changed keys of a version (balance and ops, not id)', async () => {
    const v = await openView(h(), 'stateHistory', { theme: 'dark' }, '.vrow');
    await v.page.click('.vrow[data-index="1"]');
    assert.deepStrictEqual(await topRows(v.page), { balance: 'changed', id: 'same', ops: 'changed' });
    assert.strictEqual(await v.page.textContent('.dagainst'), 'Compared with v0 (previous version) — changed: balance, ops');
    // The changed leaf shows old → new.
    assert.deepStrictEqual(await v.page.$$eval('.drow[data-path="balance"] .dval', (els) => els.map((e) => e.textContent)), ['100', '95']);
    await v.finish('state-history-dark');
  });

  it('posts moveCursor with the seq of the version the user picks', async () => {
    const v = await openView(h(), 'stateHistory', { theme: 'hc' }, '.vrow');
    await v.page.click('.vrow[data-index="2"]');
    const posted = await v.posted();
    assert.deepStrictEqual(posted.at(-1), { type: 'moveCursor', seq: accountB[2].seq, pid: accountB[2].pid });
    assert.strictEqual(posted[0].type, 'ready');
    await v.finish('state-history-hc');
  });

  it('highlights and selects the version current at the Debug pane cursor, without echoing it back', async () => {
    const v = await openView(h(), 'stateHistory', {}, '.vrow');
    const before = (await v.posted()).length;
    await v.send({ type: 'cursor', seq: accountB[3].seq + 1 });
    await v.page.waitForSelector('.vrow.cursor');
    assert.strictEqual(await v.page.getAttribute('.vrow.cursor', 'data-index'), '3');
    assert.strictEqual(await v.page.getAttribute('.vrow.selected', 'data-index'), '3');
    assert.strictEqual((await v.posted()).length, before, 'no moveCursor in answer to a cursor message');
    await v.finish();
  });

  it('compares any two versions side by side (pinned base), across a restart', async () => {
    const v = await openView(h(), 'stateHistory', { theme: 'light' }, '.vrow');
    await v.page.click('.vrow[data-index="0"]', { modifiers: ['Shift'] });
    await v.page.click('.vrow[data-index="3"]');
    await v.page.check('label.check:has-text("Side by side") input');
    assert.ok(await v.page.$('.diff.split'));
    assert.match((await v.page.textContent('.dagainst'))!, /^Compared with v0 \(pinned base\) — changed: balance, ops$/);
    const balance = await v.page.$$eval('.drow[data-path="balance"] .dcell', (cells) => cells.map((c) => c.textContent));
    assert.deepStrictEqual(balance, ['balance: 100', 'balance: 70']);
    await v.page.screenshot({ path: 'test-artifacts/webviews/state-history-compare-light.png' });
    // Unpin: the restarted process's init compares with the last version of the crashed one.
    await v.page.click('button.unpin');
    await v.page.click('.vrow[data-index="4"]');
    assert.match((await v.page.textContent('.dagainst'))!, /process <0\.144\.0>.*changed: balance, ops/);
    assert.ok(await v.page.$('.vrow[data-index="4"].restart'));
    await v.finish();
  });

  it('diffs nested lists and maps: a new ledger entry is one added element', async () => {
    const v = await openView(h(), 'stateHistory', { process: 'Bank.Ledger', theme: 'dark' }, '.vrow');
    await v.page.click('.vrow[data-index="2"]');
    assert.deepStrictEqual(await topRows(v.page), { count: 'changed', entries: 'changed' });
    const entries = await v.page.$$eval('.drow[data-depth="2"]', (rows) => rows.map((r) => `${(r as HTMLElement).dataset.path}=${(r as HTMLElement).dataset.status}`));
    assert.deepStrictEqual(entries, ['entries.[0]=added', 'entries.[1]=same']);
    // Hide unchanged folds the unchanged run; the fold can be opened again.
    await v.page.click('.vrow[data-index="6"]');
    await v.page.check('label.check:has-text("Hide unchanged") input');
    assert.ok(await v.page.$('.dfold'));
    await v.finish('state-history-ledger-dark');
  });

  it('loads versions page by page when init carries only the first page', async () => {
    const v = await openView(h(), 'stateHistory', { firstPage: 2 }, '.vrow');
    await v.page.waitForFunction(() => document.body.dataset.versions === '6');
    const ranges = (await v.posted()).filter((m) => m.type === 'requestRange');
    assert.ok(ranges.length >= 1);
    assert.deepStrictEqual(ranges[0], { type: 'requestRange', stream: 'versions', requestId: 1, from: 2, to: 6 });
    await v.finish();
  });

  it('selects the cursor\'s version once its page arrives (cursor far into a paged recording)', async () => {
    const v = await openView(h(), 'stateHistory', { fixture: 'big', n: 10000, firstPage: 1000, cursor: 10 + 7500 * 14 }, '.vrow');
    await v.page.waitForSelector('.vrow.selected.cursor[data-index="7500"]');
    await v.finish();
  });

  it('stays windowed with 10,000 versions; End selects the last and moves the cursor there', async () => {
    const v = await openView(h(), 'stateHistory', { fixture: 'big', n: 10000, theme: 'dark' }, '.vrow');
    assert.ok((await v.page.$$('.vrow')).length < 80, 'only the visible window is in the DOM');
    await v.page.focus('.timeline');
    await v.page.keyboard.press('Home');
    await v.page.keyboard.press('End');
    await v.page.waitForFunction(() => window.fakeHost.posted.some((m) => m.type === 'moveCursor' && m.seq === window.fakeHost.versions[9999].seq));
    assert.strictEqual(await v.page.getAttribute('.vrow.selected', 'data-index'), '9999');
    await v.finish('state-history-10k-dark');
  });
});
