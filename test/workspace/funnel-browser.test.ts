/**
 * The drop-out page in headless Chromium at a phone's 360x740, on demo data plus two runs made
 * in chat on Telegram in this test: its figures for Telegram are exactly those two runs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/db/demo-seed.js';
import { SEND_ID } from '../../src/engine/index.js';
import { projectRoot } from '../../src/paths.js';
import { ChatUser, createService, registerAsWarga, TestClock } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';
import { makeMember, type Harness } from './harness.js';
import { startBrowserHarness, type BrowserHarness } from './browser-harness.js';

useTestDatabase();

let web: BrowserHarness;
let h: Harness;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  await mkdir(join(projectRoot, 'test-artifacts'), { recursive: true });
  web = await startBrowserHarness();
  ({ h, origin, browser } = web);
}, 60_000);

afterAll(async () => {
  await web?.close();
});

describe('drop-out page in Chromium on a phone (360 x 740)', () => {
  it('shows the runs made in chat: 2 started, 1 finished, the other stopped at the date', async () => {
    await seedDemo(h.clock.now);
    const svc = await createService(new TestClock(h.clock.now));
    const [finisher, stopper] = [new ChatUser(svc, undefined, 'id', 'telegram'), new ChatUser(svc, undefined, 'id', 'telegram')];
    for (const u of [finisher, stopper]) {
      await registerAsWarga(u);
      await u.pressId('laporan-risiko');
      await u.pressId('banjir');
    }
    for (const answer of ['kemarin', 'Dusun Kampung Baru', 'lewati']) await finisher.say(answer);
    await finisher.pressId('ringan');
    for (const answer of ['lewati', 'lewati', 'Air bersih', 'lewati']) await finisher.say(answer);
    await finisher.pressId(SEND_ID);

    const admin = await makeMember('admin', null, 'Admin Funnel');
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'id-ID' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto((await h.ws.createLoginLink(admin.id))!.url);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.goto(`${origin}/app/alur`);
    await page.getByLabel('Saluran').selectOption('telegram');
    await page.getByRole('button', { name: 'Saring' }).click();
    expect(await page.locator('p.totals').textContent()).toBe('2 mulai · 1 selesai (50%) · 1 masih mengisi');
    const row = (section: string, question: string) => page.locator('section', { has: page.getByRole('heading', { name: section }) }).getByRole('row', { name: new RegExp(`^${question} \\d`) });
    expect(await row('Sampai di pertanyaan', 'Kejadian').locator('td').allTextContents()).toEqual(['2', '100%', '']);
    expect(await row('Sampai di pertanyaan', 'Tanggal').locator('td').allTextContents()).toEqual(['2', '100%', '']);
    expect(await row('Sampai di pertanyaan', 'Tempat').locator('td').allTextContents()).toEqual(['1', '50%', '']);
    expect(await row('Berhenti di (belum selesai)', 'Tanggal').locator('td').allTextContents()).toEqual(['1', '50%', '']);
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(projectRoot, 'test-artifacts', 'phone-alur.png'), fullPage: true });

    // Without the channel the demo's reports count too (each a finished run of its own).
    await page.getByLabel('Saluran').selectOption('');
    await page.getByRole('button', { name: 'Saring' }).click();
    const all = await page.locator('p.totals').textContent();
    expect(Number(/^(\d+) mulai/.exec(all ?? '')?.[1])).toBeGreaterThan(2);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
