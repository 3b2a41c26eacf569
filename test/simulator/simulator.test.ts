/**
 * The local chat simulator in a real browser (Debian's chromium, driven by playwright-core):
 * a newcomer registers and files a full risk report, and the report lands in MongoDB.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { MemberModel, SubmissionModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// In CI the browser must be there (.ci/run installs it); on a laptop without it, skip with a reason.
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!haveBrowser)('web chat simulator in Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    service = await startService(loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: '0', SIMULATOR: 'on' }), createLogger({ level: 'silent' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${service.port}/`);
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  const lastBot = () => page.getByTestId('bot-message').last();

  async function type(text: string) {
    await page.getByTestId('text').fill(text);
    await page.getByTestId('send').click();
  }

  /** Clicks an enabled button of the latest question. */
  async function tap(label: string) {
    await lastBot().getByRole('button', { name: label, exact: true }).click();
  }

  async function waitForBot(text: string | RegExp) {
    await expect.poll(async () => (await lastBot().textContent()) ?? '', { timeout: 10_000 }).toMatch(text);
  }

  it('registers and files a complete risk report that lands in the database', async () => {
    await expect.poll(() => page.title()).toContain('Suara Desa');
    await type('mulai');
    await waitForBot(/Apakah Anda setuju/);
    await tap('Ya');
    await waitForBot(/di bawah 17/);
    await tap('Tidak');
    await waitForBot(/Siapa nama/);
    await type('Ibu Rahma');
    await waitForBot(/kecamatan mana/);
    await tap('Teluk Waru');
    await waitForBot(/Apa nama desa Anda/);
    await tap('Waru');
    await waitForBot(/ikut sebagai apa/);
    await tap('Warga desa');
    await waitForBot(/Sudah benar/);
    await tap('Kirim');
    await waitForBot(/Mau melakukan apa/);

    // Old buttons are disabled once answered.
    expect(await page.getByRole('button', { name: 'Teluk Waru' }).isDisabled()).toBe(true);

    await tap('2. Laporan risiko');
    await waitForBot(/Apa yang terjadi/);
    await tap('Gelombang tinggi atau abrasi');
    await waitForBot(/Kapan/);
    await type('17-09-2024');
    await waitForBot(/Di mana/);
    await type('Pantai Dusun Kilwaru');
    await waitForBot(/lokasi/i);
    await page.getByTestId('send-location').click();
    await waitForBot(/Seberapa parah/);
    await tap('Berat / parah (rumah, kebun atau perahu rusak berat, ada yang mengungsi)');
    await waitForBot(/berapa keluarga/i);
    await type('35');
    await waitForBot(/Usaha apa/);
    await tap('Ikan (nelayan)');
    await waitForBot(/Sudah dipilih/);
    await tap('Selesai');
    await waitForBot(/bantuan/i);
    await type('Perahu dan jaring');
    await waitForBot(/foto/i);
    await type('lewati');
    await waitForBot(/Sudah benar/);
    await tap('Kirim');
    await waitForBot(/Mau melakukan apa/);
    expect(await page.getByTestId('log').textContent()).toContain('laporan Anda sudah tersimpan');

    const member = await MemberModel.findOne({ channel: 'web', name: 'Ibu Rahma' }).lean();
    expect(member?.villageCode).toBe('81.05.15.2001');
    const report = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'laporan-risiko' }).lean();
    expect(report?.channel).toBe('web');
    expect(report?.answers).toMatchObject({
      type: 'gelombang',
      date: '2024-09-17',
      place: 'Pantai Dusun Kilwaru',
      location: { latitude: -3.5167, longitude: 130.6667 },
      severity: 'berat',
      households: 35,
      livelihoods: ['perikanan'],
      help: 'Perahu dan jaring',
    });
  }, 90_000);

  it('answers bad requests with a 400 and a reason', async () => {
    const res = await fetch(`http://127.0.0.1:${service.port}/simulator/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: 'x', content: { kind: 'text', text: '' } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain('sessionId');
    expect(body.message).toContain('messageId');
    const broken = await fetch(`http://127.0.0.1:${service.port}/simulator/api/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sessionId":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toBe('bad_json');
  });
});
