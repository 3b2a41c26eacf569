/**
 * The workspace served over HTTP on a free port, and headless Chromium (/usr/bin/chromium) to
 * look at it: what every page test in a browser starts with.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { buildHarness, type Harness } from './harness.js';

export interface BrowserHarness {
  h: Harness;
  /** http://127.0.0.1:<port>, where the workspace answers. */
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startBrowserHarness(): Promise<BrowserHarness> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const h = await buildHarness({ publicBaseUrl: origin });
  server.on('request', h.app);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  return {
    h, origin, browser,
    async close() {
      await browser.close();
      server.close();
    },
  };
}
