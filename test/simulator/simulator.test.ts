/**
 * The local chat simulator in a real browser (Debian's chromium, driven by playwright-core)
 * on a phone-sized screen (360x740): a newcomer registers and files a full risk report that
 * lands in MongoDB; at every step the question and all its buttons are in view, nothing
 * overflows sideways, and the input bar is on screen. A reload brings the conversation back,
 * the language picker follows BAHASA, a session the server does not know is replaced, and a
 * rate limit is said in Indonesian. A screenshot of each step goes to test-artifacts/simulator/.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { MemberModel, SimulatorSessionModel, SubmissionModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { mediaBucket } from '../../src/media/store.js';
import { projectRoot } from '../../src/paths.js';
import { startService, type RunningService } from '../../src/service.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { appendEntries } from '../../src/channels/web/sessions.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// In CI the browser must be there (.ci/run installs it); on a laptop without it, skip with a reason.
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (apt-get install chromium)`);

const WIDTH = 360;
const HEIGHT = 740;
const ARTIFACTS = join(projectRoot, 'test-artifacts', 'simulator');
const idWords = JSON.parse(readFileSync(join(projectRoot, 'locales/id/simulator.json'), 'utf8')) as { errors: Record<string, string>; newSession: string };

interface Box { top: number; bottom: number; left: number; right: number }
interface Layout {
  pageWidth: number;
  logOverflowX: number;
  header: Box;
  note: Box;
  log: Box;
  composer: Box;
  input: Box;
  send: Box;
  last: Box | null;
  buttons: (Box & { clipped: boolean; text: string })[];
}

/** Runs in the page (a string: the tests are type-checked without the DOM library). */
const MEASURE = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
  const log = document.getElementById('log');
  const bots = document.querySelectorAll('[data-testid="bot-message"]');
  const last = bots[bots.length - 1] || null;
  return {
    pageWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    logOverflowX: log.scrollWidth - log.clientWidth,
    header: box(document.querySelector('header')),
    note: box(document.getElementById('note')),
    log: box(log),
    composer: box(document.getElementById('composer')),
    input: box(document.getElementById('text')),
    send: box(document.querySelector('[data-testid="send"]')),
    last: last ? box(last) : null,
    buttons: last ? [...last.querySelectorAll('.choices button, .choices label')].map((b) => ({
      ...box(b), clipped: b.scrollWidth > b.clientWidth + 1, text: b.textContent || '',
    })) : [],
  };
})()`;

describe.skipIf(!haveBrowser)('web chat simulator in Chromium at 360x740', () => {
  let service: RunningService;
  let browser: Browser;
  let page: Page;
  let shot = 0;
  const problems: string[] = [];

  beforeAll(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    service = await startService(loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: '0', SIMULATOR: 'on' }), createLogger({ level: 'silent' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
    // A CSP that blocks the page's own script or style shows up here.
    // (The 401 of an unknown session and the 429 of a rate limit are tested on purpose.)
    page.on('console', (m) => { if (m.type() === 'error' && !/status of (401|429)/.test(m.text())) problems.push(m.text()); });
    page.on('pageerror', (err) => problems.push(err.message));
    await open();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  async function open(reload = false) {
    if (reload) await page.reload();
    else await page.goto(`http://127.0.0.1:${service.port}/`);
    await page.waitForSelector('body[data-ready="true"]');
  }

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

  async function layout(): Promise<Layout> {
    return page.evaluate<Layout>(MEASURE);
  }

  const inViewport = (b: Box) => b.top >= 0 && b.left >= 0 && b.bottom <= HEIGHT + 0.5 && b.right <= WIDTH + 0.5;

  /** Takes the step's screenshot, then checks what a person on a 360x740 phone sees. */
  async function step(name: string): Promise<Layout> {
    await page.screenshot({ path: join(ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });
    const l = await layout();
    expect(l.pageWidth, `${name}: page wider than the screen`).toBeLessThanOrEqual(WIDTH);
    expect(l.logOverflowX, `${name}: chat overflows sideways`).toBeLessThanOrEqual(0);
    expect(l.note.bottom - l.header.top, `${name}: header and notice taller than 15%`).toBeLessThanOrEqual(HEIGHT * 0.15);
    expect(inViewport(l.input) && inViewport(l.send), `${name}: input or send button off screen`).toBe(true);
    // Only the chat scrolls: the page itself never does, so the header stays in place.
    expect(l.header.top, `${name}: the page scrolled`).toBe(0);
    if (l.last) {
      const fits = l.last.bottom - l.last.top <= l.log.bottom - l.log.top;
      // The whole question when it fits in the chat, and always all its buttons, above the input bar.
      if (fits) expect(l.last.top >= l.log.top - 0.5 && l.last.bottom <= l.log.bottom + 0.5, `${name}: question not fully in view`).toBe(true);
      for (const b of l.buttons) {
        expect(b.top >= l.log.top - 0.5 && b.bottom <= l.composer.top + 0.5, `${name}: button "${b.text}" not in view`).toBe(true);
        expect(inViewport(b) && !b.clipped && b.left >= l.last.left && b.right <= l.last.right + 0.5, `${name}: button "${b.text}" cut off`).toBe(true);
      }
    }
    return l;
  }

  it('on load the input, the send button and the header fit the screen', async () => {
    const l = await step('load');
    expect(l.last).toBeNull();
    expect(await page.getByTestId('send').textContent()).toBe('Kirim');
  });

  it('registers and files a complete risk report, every question in view; a reload brings the conversation back', async () => {
    await type('mulai');
    await waitForBot(/Apakah Anda setuju/);
    await step('consent');
    await tap('Ya');
    await waitForBot(/di bawah 17/);
    await step('age');
    await tap('Tidak');
    await waitForBot(/Siapa nama/);
    await step('name');
    await type('Ibu Rahma');
    await waitForBot(/kecamatan mana/);
    await step('kecamatan');
    await tap('Teluk Waru');
    await waitForBot(/Apa nama desa Anda/);
    await step('village');
    await tap('Waru');
    await waitForBot(/ikut sebagai apa/);
    await step('role');
    await tap('Warga desa');
    await waitForBot(/Sudah benar/);
    await step('registration-summary');
    await tap('Kirim');
    await waitForBot(/Mau melakukan apa/);
    await step('menu');

    // Old buttons are disabled once answered.
    expect(await page.getByRole('button', { name: 'Teluk Waru' }).isDisabled()).toBe(true);

    await tap('2. Laporan risiko');
    await waitForBot(/Apa yang terjadi/);
    await step('risk-type');
    await tap('Gelombang tinggi atau abrasi');
    await waitForBot(/Kapan/);
    await step('risk-date');
    await type('17-09-2024');
    await waitForBot(/Di mana/);
    await step('risk-place');
    await type('Pantai Dusun Kilwaru');
    await waitForBot(/lokasi/i);
    await step('risk-location');
    await expect.poll(() => lastBot().getByTestId('send-location').textContent()).toBe('📍 Kirim lokasi');
    // The hint names that button, not a 📎 the simulator doesn't have.
    expect(await lastBot().textContent()).toContain('Tekan tombol 📍 Kirim lokasi.');
    expect(await lastBot().textContent()).not.toContain('📎');

    // A reload shows the conversation so far and the current question, its buttons working.
    await open(true);
    const log = (await page.getByTestId('log').textContent()) ?? '';
    for (const said of ['Apakah Anda setuju', 'Ibu Rahma', 'Teluk Waru', '17-09-2024', 'Pantai Dusun Kilwaru']) expect(log).toContain(said);
    await waitForBot(/lokasi/i);
    await step('risk-location-after-reload');
    expect(await page.getByRole('button', { name: 'Waru', exact: true }).isDisabled()).toBe(true);
    expect(await lastBot().getByTestId('send-location').isEnabled()).toBe(true);

    await lastBot().getByTestId('send-location').click();
    await waitForBot(/Seberapa parah/);
    await step('risk-severity');
    await tap('Berat / parah (rumah, kebun atau perahu rusak berat, ada yang mengungsi)');
    await waitForBot(/berapa keluarga/i);
    await step('risk-households');
    await type('35');
    await waitForBot(/Usaha apa/);
    await step('risk-livelihoods');
    await tap('Ikan (nelayan)');
    await waitForBot(/Sudah dipilih/);
    await step('risk-livelihoods-selected');
    await tap('Selesai');
    await waitForBot(/bantuan/i);
    await step('risk-help');
    await type('Perahu dan jaring');
    await waitForBot(/foto/i);
    await step('risk-photo');
    // The photo button uploads the chosen file; the answer names it.
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 90, b: 140 } } }).jpeg().toBuffer();
    await lastBot().getByTestId('send-photo').locator('input[type=file]').setInputFiles({ name: 'talud.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await waitForBot(/Sudah benar/);
    await step('risk-summary');
    await tap('Kirim');
    await waitForBot(/Mau melakukan apa/);
    await step('risk-sent');
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
      photo: { fileId: expect.stringMatching(/^web-photo-/), mediaId: expect.stringMatching(/^[0-9a-f]{24}$/) },
    });
    // Kept in GridFS as a Telegram photo is: the workspace shows it from there.
    const { mediaId } = (report!.answers as { photo: { mediaId: string } }).photo;
    const [file] = await mediaBucket().find({ _id: new Types.ObjectId(mediaId) }).toArray();
    expect(file).toMatchObject({ length: jpeg.length, metadata: { channel: 'web', contentType: 'image/jpeg' } });
  }, 120_000);

  it('every question of the village profile fits the screen with its buttons', async () => {
    await tap('1. Profil desa');
    // Answer whatever comes: finish or send when offered, stop adding items, else the first choice, else a number.
    for (let i = 1; i <= 40; i++) {
      const text = (await lastBot().textContent()) ?? '';
      if (/Mau melakukan apa/.test(text) && i > 1) break;
      await step(`profile-${String(i).padStart(2, '0')}`);
      const enabled = lastBot().locator('.choices button:not(:disabled)');
      const labels = await enabled.allTextContents();
      const selected = await lastBot().locator('.choices button.selected').count();
      const pick = labels.find((l) => l === 'Kirim') ?? (selected ? labels.find((l) => l === 'Selesai') : undefined)
        ?? labels.find((l) => l === 'Tidak') ?? labels.find((l) => !/^(Lewati|Kembali|Batal|Ubah)/.test(l));
      const before = await page.getByTestId('bot-message').count();
      if (pick) await tap(pick);
      else await type('10');
      await expect.poll(() => page.getByTestId('bot-message').count(), { timeout: 10_000 }).toBeGreaterThan(before);
      expect(i, 'the village profile did not end').toBeLessThan(40);
    }
    await waitForBot(/Mau melakukan apa/);
    expect(await page.getByTestId('log').textContent()).toMatch(/Terima kasih/);
  }, 90_000);

  it('the language picker follows BAHASA, and picking a language does what BAHASA does', async () => {
    const words = async () => ({
      picker: await page.getByTestId('language').inputValue(),
      send: await page.getByTestId('send').textContent(),
      placeholder: await page.getByTestId('text').getAttribute('placeholder'),
      lang: await page.locator('html').getAttribute('lang'),
    });
    await type('bahasa');
    await expect.poll(async () => (await page.getByTestId('log').textContent()) ?? '').toContain('Language changed to English');
    await waitForBot(/What would you like/);
    await expect.poll(words).toEqual({ picker: 'en', send: 'Send', placeholder: 'Type a message...', lang: 'en' });
    await step('bahasa-typed-english');

    await page.getByTestId('language').selectOption('id');
    await expect.poll(async () => (await page.getByTestId('log').textContent()) ?? '').toContain('Bahasa diganti ke Bahasa Indonesia');
    await waitForBot(/Mau melakukan apa/);
    expect(await words()).toEqual({ picker: 'id', send: 'Kirim', placeholder: 'Ketik pesan...', lang: 'id' });
    expect((await MemberModel.findOne({ channel: 'web', name: 'Ibu Rahma' }).lean())?.language).toBe('id');
    await step('picker-indonesian');

    await page.getByTestId('language').selectOption('en');
    await waitForBot(/What would you like/);
    await open(true);
    expect(await words()).toEqual({ picker: 'en', send: 'Send', placeholder: 'Type a message...', lang: 'en' });
    await step('picker-english-after-reload');
    await page.getByTestId('language').selectOption('id');
    await waitForBot(/Mau melakukan apa/);
  }, 60_000);

  it('a rate limit is said in Indonesian and the question stays answerable', async () => {
    await page.route('**/simulator/api/send', (route) =>
      route.fulfill({ status: 429, contentType: 'application/json', body: JSON.stringify({ error: 'rate_limited', message: idWords.errors.rate_limited }) }));
    await tap('2. Laporan risiko');
    await expect.poll(() => page.getByTestId('warning').last().textContent()).toContain('Terlalu banyak pesan');
    await step('rate-limited');
    await page.unroute('**/simulator/api/send');
    await tap('2. Laporan risiko');
    await waitForBot(/Apa yang terjadi/);
  });

  it('a message sent again (its answer lost on the way) gets the same answer, once in the transcript', async () => {
    const api = (path: string, body?: unknown) => fetch(`http://127.0.0.1:${service.port}/simulator/api/${path}`, body
      ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}).then(async (r) => ({ status: r.status, body: await r.json() as Record<string, unknown> }));
    const { body: { sessionId } } = await api('session', {});
    const message = { sessionId, messageId: 'again-0000000001', content: { kind: 'text', text: 'mulai' } };
    const first = await api('send', message);
    const again = await api('send', message);
    expect(first.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.replies).toEqual(first.body.replies);
    expect(JSON.stringify(first.body.replies)).toContain('Apakah Anda setuju');
    const transcript = await api(`transcript?sessionId=${String(sessionId)}`);
    expect((transcript.body.entries as { from: string }[]).filter((e) => e.from === 'person')).toHaveLength(1);
    expect(transcript.body.language).toBe('id');
  });

  it('a session the server did not issue is replaced by a new one', async () => {
    await page.evaluate("localStorage.setItem('suaradesa.session', 'AAAAAAAAAAAAAAAAAAAAAA')");
    await open(true);
    expect(await page.getByTestId('warning').textContent()).toContain(idWords.newSession);
    const issued = await page.evaluate<string | null>("localStorage.getItem('suaradesa.session')");
    expect(issued).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(issued).not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
    await type('mulai');
    await waitForBot(/Apakah Anda setuju/);
    await step('new-session');

    // The server forgets the session in the middle of a conversation: the page asks for a new one and sends again.
    await SimulatorSessionModel.deleteOne({ _id: issued });
    await type('halo');
    // The last question already reads "Apakah Anda setuju": wait for the new session itself first.
    const session = () => page.evaluate<string | null>("localStorage.getItem('suaradesa.session')");
    await expect.poll(session).not.toBe(issued);
    await waitForBot(/Apakah Anda setuju/);
    expect(await page.getByTestId('warning').textContent()).toContain(idWords.newSession);
    const renewed = await session();
    expect(renewed).not.toBe(issued);
    expect(await SimulatorSessionModel.countDocuments({ _id: renewed })).toBe(1);
    await step('session-renewed-while-sending');
  });

  it('a web address in a message (the sign-in link of MASUK) is a link', async () => {
    const sessionId = await page.evaluate<string | null>("localStorage.getItem('suaradesa.session')");
    const link = 'http://127.0.0.1:3000/masuk/abc_DEF-123';
    await appendEntries({ _id: sessionId! }, [{ from: 'bot', message: { text: `Buka ruang kerja (15 menit):\n${link}` }, at: new Date() }]);
    await open(true);
    const anchor = lastBot().locator('a');
    expect(await anchor.getAttribute('href')).toBe(link);
    expect(await anchor.textContent()).toBe(link);
    expect(await lastBot().textContent()).toContain('Buka ruang kerja (15 menit):');
    // No markup from a message is ever parsed: a tag stays text.
    await appendEntries({ _id: sessionId! }, [{ from: 'bot', message: { text: '<b>tebal</b> https://contoh.id/a?b=1' }, at: new Date() }]);
    await open(true);
    expect(await lastBot().locator('b').count()).toBe(0);
    expect(await lastBot().locator('a').getAttribute('href')).toBe('https://contoh.id/a?b=1');
  });

  it('"Orang baru" starts an empty conversation; the menu fits the screen', async () => {
    await page.getByTestId('more').click();
    await step('more-menu');
    await page.getByTestId('reset').click();
    await expect.poll(() => page.getByTestId('bot-message').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
