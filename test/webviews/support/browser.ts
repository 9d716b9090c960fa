// Launches Debian's Chromium through playwright-core (no downloaded browser), or explains why it cannot.
import { existsSync, mkdirSync } from 'fs';
import * as path from 'path';
import { Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../../../test-artifacts/webviews');

/** Undefined when Chromium is not installed (run scripts/install-browser.sh). */
export async function launch(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

export const shot = (name: string) => path.join(ARTIFACTS, `${name}.png`);
