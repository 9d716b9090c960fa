// Gap markers in Chromium: where the recording lost events, the state history marks the boundary between
// the two versions around the gap and the message sequence draws a dashed line across the lifelines
// between the two messages, each saying how many events are missing and why.
import * as assert from 'assert';
import { openView, useBrowser } from './support/harness';

describe('webview: gap markers (Chromium)', function () {
  const h = useBrowser(this);

  it('state history: a marker between the versions around a gap, with the count and the reason', async () => {
    const v = await openView(h(), 'stateHistory', { gaps: 1, theme: 'dark' }, '.vrow');
    assert.deepStrictEqual(await v.page.$$eval('.vrow.gap-before', (rows) => rows.map((r) => (r as HTMLElement).dataset.index)), ['2']);
    const badge = await v.page.$('.vrow[data-index="2"] .vbadge.gap');
    assert.ok(badge, 'a gap badge on the version after the gap');
    assert.strictEqual(await badge.textContent(), '⋯ 1,204 not recorded');
    assert.match((await badge.getAttribute('title')) ?? '', /1,204 events of this process not recorded \(the agent was overloaded\)/);
    // Drawn as a visible boundary, not only text: a dashed top border on that row.
    const border = await v.page.$eval('.vrow[data-index="2"]', (r) => getComputedStyle(r).borderTopStyle);
    assert.strictEqual(border, 'dashed');
    assert.strictEqual(await v.page.$('.vrow[data-index="1"] .vbadge.gap'), null);
    await v.finish('state-history-gap-dark');
  });

  it('message sequence: a dashed marker across the lifelines between the messages around a gap', async () => {
    const v = await openView(h(), 'messageSequence', { gaps: 1, theme: 'light' }, 'g.msg');
    await v.page.waitForSelector('.gap-marker');
    const markers = await v.page.$$eval('.gap-marker', (gs) => gs.map((g) => ({ index: (g as SVGElement).dataset.index, count: (g as SVGElement).dataset.count, label: g.querySelector('.gap-label')?.textContent, title: g.querySelector('title')?.textContent })));
    assert.strictEqual(markers.length, 1);
    assert.deepStrictEqual([markers[0].index, markers[0].count, markers[0].label], ['3', '512', '⋯ 512 events not recorded']);
    assert.match(markers[0].title ?? '', /512 events not recorded \(Bank\.Ledger <0\.142\.0>: 512; the agent could not encode fast enough\)/);
    // On the boundary between message 2 and message 3, spanning the diagram.
    const lineY = await v.page.$eval('.gap-marker .gap-line', (l) => Number(l.getAttribute('y1')));
    const rowY = await v.page.$eval('rect.rowbg[data-index="3"]', (r) => Number(r.getAttribute('y')));
    assert.ok(Math.abs(lineY - rowY) <= 2, `line at y ${lineY}, row 3 starts at y ${rowY}`);
    assert.strictEqual(await v.page.$eval('.gap-marker .gap-line', (l) => getComputedStyle(l).strokeDasharray !== 'none'), true);
    await v.finish('message-sequence-gap-light');
  });
});
