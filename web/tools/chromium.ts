// Debian's Chromium, headless, driven with playwright-core (no browser download): a fresh profile per launch, and
// the flags that keep it off the network. CAIRN_CHROMIUM overrides the executable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface Chromium {
  page: Page;
  version: string;
  close(): Promise<void>;
}

export async function launchChromium(log?: (line: string) => void): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'cairn-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  if (log) {
    page.on('console', (message) => log(`[chromium ${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => log(`[chromium page error] ${error.message}`));
  }
  return {
    page,
    version: context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '')),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
