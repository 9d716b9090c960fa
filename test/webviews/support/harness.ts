// Shared setup of the browser tests: one server and one Chromium per test file, a fresh page per test,
// page errors and CSP violations collected so every test can assert there were none.
import * as assert from 'assert';
import type { Browser, Page } from 'playwright-core';
import type { HostToView, ViewToHost } from '../../../adapter/protocol/webviewData';
import { CHROMIUM, launch, shot } from './browser';
import { startServer, TestServer } from './server';

export interface Harness {
  server: TestServer;
  browser: Browser;
}

/** Registers before/after hooks; skips the suite (visibly, as pending) when Chromium is missing. */
export function useBrowser(suite: Mocha.Suite): () => Harness {
  let h: Harness | undefined;
  suite.beforeAll(async function () {
    const browser = await launch();
    if (!browser) {
      console.warn(`  Chromium not found at ${CHROMIUM}: run scripts/install-browser.sh — webview browser tests skipped.`);
      this.skip();
    }
    h = { server: await startServer(), browser: browser! };
  });
  suite.afterAll(async () => {
    await h?.browser.close();
    await h?.server.close();
  });
  return () => h!;
}

export interface ViewPage {
  page: Page;
  errors: string[];
  posted(): Promise<ViewToHost[]>;
  send(m: HostToView): Promise<void>;
  /** Asserts no script error and no CSP violation happened, then saves a screenshot when named. */
  finish(screenshot?: string): Promise<void>;
}

export async function openView(h: Harness, view: 'stateHistory' | 'messageSequence', query: Record<string, string | number>, ready: string): Promise<ViewPage> {
  const page = await h.browser.newPage({ viewport: { width: 1280, height: 760 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.server.url(view, query));
  await page.waitForSelector(ready);
  return {
    page,
    errors,
    posted: () => page.evaluate(() => window.fakeHost.posted),
    send: (m) => page.evaluate((msg) => window.fakeHost.send(msg), m),
    finish: async (name) => {
      const violations = await page.evaluate(() => window.fakeHost.violations);
      if (name) await page.screenshot({ path: shot(name) });
      await page.close();
      assert.deepStrictEqual(errors, [], 'page errors');
      assert.deepStrictEqual(violations, [], 'CSP violations');
    },
  };
}
