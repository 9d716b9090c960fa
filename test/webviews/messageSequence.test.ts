// Message sequence webview in Chromium on the bank demo recording: call/reply pairing, kinds, process
// and pattern filters, zoom, cursor highlight, click → moveCursor, Mermaid and SVG export, and 100,000
// messages staying windowed.
import * as assert from 'assert';
import type { ExportMessage } from '../../adapter/protocol/webviewData';
import { ACCOUNT_A, bankRecording, DEMO, LEDGER } from './fixtures/bankRecording';
import { openView, useBrowser, ViewPage } from './support/harness';
import { ARTIFACTS, shot } from './support/browser';
import { writeFileSync } from 'fs';
import * as path from 'path';

const rec = bankRecording();
const firstCall = rec.messages.find((m) => m.kind === 'call')!;
const indexOf = (seq: number) => rec.messages.findIndex((m) => m.seq === seq);

async function showOnly(v: ViewPage, pids: string[]): Promise<void> {
  await v.page.click('.procs > summary');
  await v.page.click('button.proc-none');
  for (const pid of pids) await v.page.check(`label.proc[data-pid="${pid}"] input`);
  await v.page.click('.procs > summary');
}

const shownPids = (v: ViewPage) => v.page.$$eval('.lane-label', (ls) => ls.map((l) => (l as HTMLElement).dataset.pid));

describe('webview: message sequence (Chromium)', function () {
  const h = useBrowser(this);

  it('pairs a GenServer.call with its reply (data, activation bar, hover)', async () => {
    const v = await openView(h(), 'messageSequence', { theme: 'dark' }, 'g.msg');
    const call = await v.page.$eval(`g.msg[data-seq="${firstCall.seq}"]`, (g) => ({ ...(g as SVGGElement).dataset }));
    assert.strictEqual(call.kind, 'call');
    const reply = await v.page.$eval(`g.msg[data-seq="${call.pair}"]`, (g) => ({ ...(g as SVGGElement).dataset, text: g.querySelector('.label')!.textContent }) as Record<string, string | undefined>);
    assert.deepStrictEqual([reply.kind, reply.pair, reply.from, reply.to, reply.text], ['reply', String(firstCall.seq), ACCOUNT_A.pid, DEMO.pid, '{:ok, 110}']);
    assert.ok((await v.page.$$('rect.activation')).length >= 1, 'activation bar from call to reply');
    await v.page.hover(`g.msg[data-seq="${firstCall.seq}"] .hit`);
    assert.ok(await v.page.$(`g.msg.paired[data-seq="${call.pair}"]`), 'pointing at the call lights its reply');
    await v.finish('message-sequence-dark');
  });

  it('draws casts, plain messages, spawns and exits distinctly', async () => {
    const v = await openView(h(), 'messageSequence', { theme: 'hc' }, 'g.msg');
    const heads = await v.page.$$eval('g.msg', (gs) => Object.fromEntries(gs.map((g) => [(g as SVGGElement).dataset.kind, g.querySelector('[marker-end]')?.getAttribute('marker-end') ?? (g.querySelector('.exit-x') ? 'x' : '')])));
    assert.deepStrictEqual(heads, { spawn: 'url(#es-head-spawn)', call: 'url(#es-head-call)', cast: 'url(#es-head-cast)', reply: 'url(#es-head-reply)', exit: 'url(#es-head-exit)', info: 'url(#es-head-info)' });
    assert.ok((await v.page.$$('g.msg.k-spawn circle.spawned')).length === 4, 'each spawn marks the new lifeline');
    await v.page.$eval('.seq-scroll', (s) => (s.scrollTop = s.scrollHeight));
    await v.page.waitForSelector('g.msg.k-exit');
    await v.finish('message-sequence-end-hc');
  });

  it('a process filter hides the other lifelines and their messages', async () => {
    const v = await openView(h(), 'messageSequence', {}, 'g.msg');
    assert.strictEqual((await shownPids(v)).length, 6);
    await showOnly(v, [DEMO.pid, ACCOUNT_A.pid]);
    assert.deepStrictEqual(await shownPids(v), [ACCOUNT_A.pid, DEMO.pid]);
    assert.strictEqual((await v.page.$$('line.lifeline')).length, 2);
    const ends = await v.page.$$eval('g.msg', (gs) => gs.map((g) => `${(g as SVGGElement).dataset.from} ${(g as SVGGElement).dataset.to}`));
    assert.ok(ends.length > 0 && ends.every((e) => e.split(' ').every((p) => p === ACCOUNT_A.pid || p === DEMO.pid)), ends.join(' '));
    assert.strictEqual(await v.page.textContent('.procs > summary'), 'Processes (2/6)');
    await v.finish('message-sequence-filtered-dark');
  });

  it('opened for some processes (init onlyPids), shows only their lifelines until the user adds others', async () => {
    const v = await openView(h(), 'messageSequence', { only: `${LEDGER.pid},${ACCOUNT_A.pid}` }, 'g.msg');
    assert.deepStrictEqual(await shownPids(v), [LEDGER.pid, ACCOUNT_A.pid]);
    assert.strictEqual(await v.page.textContent('.procs > summary'), 'Processes (2/6)');
    await v.page.click('.procs > summary');
    await v.page.check(`label.proc[data-pid="${DEMO.pid}"] input`);
    assert.deepStrictEqual(await shownPids(v), [LEDGER.pid, ACCOUNT_A.pid, DEMO.pid]);
    await v.finish();
  });

  it('filters by message pattern and zooms to a time range', async () => {
    const v = await openView(h(), 'messageSequence', {}, 'g.msg');
    await v.page.fill('input.pattern', '{:withdraw, _}');
    await v.page.press('input.pattern', 'Enter');
    const labels = await v.page.$$eval('g.msg .label', (ls) => ls.map((l) => l.textContent));
    assert.deepStrictEqual(labels, ['{:withdraw, 5}', '{:withdraw, 10}', '{:withdraw, 15}', '{:withdraw, 1000000}', '{:withdraw, -1}']);
    await v.page.fill('input.pattern', '');
    await v.page.press('input.pattern', 'Enter');
    await v.page.fill('input.range-from', '20');
    await v.page.fill('input.range-to', '40');
    await v.page.click('button.zoom-apply');
    const times = await v.page.$$eval('g.msg', (gs) => gs.map((g) => Number((g as SVGGElement).dataset.index)));
    const expected = rec.messages.map((m, i) => [m, i] as const).filter(([m]) => m.time >= 20e6 && m.time <= 40e6).map(([, i]) => i);
    assert.deepStrictEqual(times, expected);
    assert.match((await v.page.textContent('.status'))!, /^6 of 33 messages · zoom 20\.000 ms–40\.000 ms/);
    // Zoom to what is on screen, after scrolling: the rows shown become the range.
    await v.page.click('button.zoom-reset');
    await v.page.setViewportSize({ width: 1280, height: 400 });
    await v.page.click('button.zoom-shown');
    const shown = Number(await v.page.evaluate(() => document.body.dataset.rows));
    assert.ok(shown > 3 && shown < 33, `zoomed to ${shown} rows`);
    await v.finish();
  });

  it('a cursor message highlights its event (send or receive seq) and scrolls to it', async () => {
    const v = await openView(h(), 'messageSequence', { theme: 'light' }, 'g.msg');
    const exit = rec.messages.find((m) => m.kind === 'exit')!;
    await v.send({ type: 'cursor', seq: exit.seq });
    await v.page.waitForSelector('g.msg.cursor');
    assert.strictEqual(await v.page.getAttribute('g.msg.cursor', 'data-seq'), String(exit.seq));
    const reply = rec.messages.find((m) => m.kind === 'reply')!;
    await v.send({ type: 'cursor', seq: reply.receiveSeq! });
    await v.page.waitForSelector(`g.msg.cursor[data-seq="${reply.seq}"]`);
    await v.finish('message-sequence-cursor-light');
  });

  it('clicking an arrow moves the cursor to its send (sender side) or its receive (receiver side)', async () => {
    const v = await openView(h(), 'messageSequence', {}, 'g.msg');
    const box = (await (await v.page.$(`g.msg[data-seq="${firstCall.seq}"] .hit`))!.boundingBox())!;
    // The first call goes right to left (Bank.Demo → account a): its right end is the sender.
    await v.page.mouse.click(box.x + box.width - 10, box.y + box.height / 2);
    await v.page.mouse.click(box.x + 10, box.y + box.height / 2);
    const moves = (await v.posted()).filter((m) => m.type === 'moveCursor');
    assert.deepStrictEqual(moves, [
      { type: 'moveCursor', seq: firstCall.seq, pid: DEMO.pid },
      { type: 'moveCursor', seq: firstCall.receiveSeq, pid: ACCOUNT_A.pid },
    ]);
    // Keyboard: Down moves the active row, Enter moves the cursor there.
    await v.page.focus('.seq-scroll');
    await v.page.keyboard.press('ArrowDown');
    await v.page.keyboard.press('Enter');
    assert.deepStrictEqual((await v.posted()).at(-1), { type: 'moveCursor', seq: rec.messages[indexOf(firstCall.seq) + 1].seq, pid: rec.messages[indexOf(firstCall.seq) + 1].from });
    await v.finish();
  });

  it('exports the shown diagram as Mermaid text and as SVG', async () => {
    const v = await openView(h(), 'messageSequence', { theme: 'light' }, 'g.msg');
    await showOnly(v, [DEMO.pid, ACCOUNT_A.pid]);
    await v.page.fill('input.range-to', '1');
    await v.page.click('button.zoom-apply');
    await v.page.click('button.export-mermaid');
    const mermaid = (await v.posted()).at(-1) as ExportMessage;
    assert.deepStrictEqual({ ...mermaid, content: undefined }, { type: 'export', format: 'mermaid', suggestedName: 'sequence.mmd', content: undefined });
    assert.strictEqual(mermaid.content, [
      'sequenceDiagram',
      '    participant P1 as Bank.Account {:account, :a} #lt;0.143.0#gt;',
      '    participant P2 as Bank.Demo #lt;0.150.0#gt;',
      '    P2->>P1: {:deposit, 10}',
      '    P1-->>P2: {:ok, 110}',
      '',
    ].join('\n'));
    await v.page.click('button.export-svg');
    const svgExport = (await v.posted()).at(-1) as ExportMessage;
    assert.strictEqual(svgExport.format, 'svg');
    // Parsed in a blank page: the view's page CSP (rightly) refuses the file's own <style>.
    const blank = await h().browser.newPage();
    const parsed = await blank.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? '', msgs: doc.querySelectorAll('g.msg').length, names: Array.from(doc.querySelectorAll('.lane-name, .lane-pid')).map((t) => t.textContent) };
    }, svgExport.content);
    writeFileSync(path.join(ARTIFACTS, 'export-filtered.svg'), svgExport.content);
    writeFileSync(path.join(ARTIFACTS, 'export-filtered.mmd'), mermaid.content);
    await blank.close();
    assert.deepStrictEqual(parsed, { error: '', msgs: 2, names: ['Bank.Account {:account, :a}', '<0.143.0>', 'Bank.Demo', '<0.150.0>'] });
    await v.finish('message-sequence-filtered-light');
  });

  it('exports a standalone SVG of a bigger diagram that renders on its own', async () => {
    const v = await openView(h(), 'messageSequence', { theme: 'dark' }, 'g.msg');
    await v.page.click('button.export-svg');
    const content = ((await v.posted()).at(-1) as ExportMessage).content;
    writeFileSync(path.join(ARTIFACTS, 'export-bank.svg'), content);
    const blank = await h().browser.newPage({ viewport: { width: 1300, height: 1100 } });
    await blank.goto(`file://${path.join(ARTIFACTS, 'export-bank.svg')}`);
    assert.strictEqual(await blank.locator('g.msg').count(), 33);
    await blank.screenshot({ path: shot('export-bank-svg') });
    await blank.close();
    await v.finish();
  });

  it('follows live appends: new messages and new lifelines appear', async () => {
    const v = await openView(h(), 'messageSequence', {}, 'g.msg');
    const last = rec.messages.at(-1)!;
    await v.send({ type: 'live', live: true });
    await v.send({ type: 'append', stream: 'messages', from: rec.messages.length, items: [
      { ...last, seq: last.seq + 10, time: last.time + 1e6, kind: 'info', from: DEMO.pid, fromName: DEMO.name, to: '<0.160.0>', toName: 'Bank.Auditor <0.160.0>', message: { kind: 'atom', text: ':audit' }, pairSeq: undefined },
    ] });
    await v.page.waitForFunction(() => document.body.dataset.rows === '34');
    assert.ok((await shownPids(v)).includes('<0.160.0>'));
    assert.match((await v.page.textContent('.status'))!, /34 of 34 messages · recording/);
    await v.finish();
  });

  it('stays windowed at 100,000 messages, loaded in pages, and scrolls anywhere', async () => {
    const v = await openView(h(), 'messageSequence', { fixture: 'big', n: 100000, firstPage: 5000, theme: 'dark' }, 'g.msg');
    await v.page.waitForFunction(() => document.body.dataset.rows === '100000', undefined, { timeout: 30000 });
    assert.ok((await v.page.$$('g.msg')).length < 80, 'only the visible window is in the DOM');
    const pages = (await v.posted()).filter((m) => m.type === 'requestRange').length;
    assert.strictEqual(pages, 19, 'the other 95,000 messages came in 19 pages of 5,000');
    await v.page.$eval('.seq-scroll', (s) => (s.scrollTop = s.scrollHeight / 2));
    await v.page.waitForFunction(() => Array.from(document.querySelectorAll<SVGGElement>('g.msg')).some((g) => Number(g.dataset.index) > 49000 && Number(g.dataset.index) < 51000));
    const fp = await v.page.evaluate(() => window.fakeHost.firstPaintMs);
    console.log(`      first paint with 100,000 messages (5,000 in init): ${fp?.toFixed(0)} ms`);
    await v.finish('message-sequence-100k-dark');
  });
});
