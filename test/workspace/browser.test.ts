/**
 * Headless Chromium at a phone's 360x740 and a laptop's 1280x800: sign in with a link from
 * chat, open a village summary with its charts and map, review a report (with its photo
 * from GridFS) and change its status; the reporter is told. Every page stays under 300 KB
 * transferred and asks nothing of another host. Screenshots go to test-artifacts/.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import mongoose, { Types } from 'mongoose';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelpRequestModel, SubmissionModel, VillagePlanModel } from '../../src/db/models.js';
import { mediaIdFor, storeMedia } from '../../src/media/store.js';
import { projectRoot } from '../../src/paths.js';
import { useTestDatabase } from '../helpers/db.js';
import { oggOpus } from '../helpers/ogg.js';
import { VILLAGE_A, makeMember, type Harness } from './harness.js';
import { startBrowserHarness, type BrowserHarness } from './browser-harness.js';

useTestDatabase();

const ARTIFACTS = join(projectRoot, 'test-artifacts');
const LIMIT = 300 * 1024;

let web: BrowserHarness;
let h: Harness;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  web = await startBrowserHarness();
  ({ h, origin, browser } = web);
}, 60_000);

afterAll(async () => {
  await web?.close();
});

/** Bytes transferred (headers + encoded bodies) and any request to another host, per navigation. */
function meter(page: Page) {
  const state = { bytes: 0, foreign: [] as string[], pending: [] as Promise<void>[] };
  page.on('requestfinished', (req) => {
    if (!req.url().startsWith(origin) && !req.url().startsWith('data:')) state.foreign.push(req.url());
    state.pending.push(req.sizes().then((s) => { state.bytes += s.responseBodySize + s.responseHeadersSize + s.requestHeadersSize; }));
  });
  page.on('requestfailed', (req) => { if (!req.url().startsWith(origin)) state.foreign.push(req.url()); });
  return {
    async measure(label: string, go: () => Promise<unknown>): Promise<number> {
      state.bytes = 0;
      state.pending = [];
      await go();
      await page.waitForLoadState('load');
      await Promise.all(state.pending);
      expect(state.foreign, `${label}: requests to other hosts`).toEqual([]);
      expect(state.bytes, `${label}: transferred bytes`).toBeLessThan(LIMIT);
      return state.bytes;
    },
  };
}

async function setUp(tag: string) {
  const fac = await makeMember('fasilitator', VILLAGE_A, `Fasilitator ${tag}`);
  const reporter = await makeMember('warga', VILLAGE_A, `Pelapor ${tag}`);
  // A photo in GridFS, as the chat side stores it: 2000x1500, served resized.
  const bucket = new mongoose.mongo.GridFSBucket(mongoose.connection.db!, { bucketName: 'media' });
  const jpeg = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: { r: 40, g: 110, b: 160 } } }).jpeg().toBuffer();
  const mediaId = new Types.ObjectId();
  const upload = bucket.openUploadStreamWithId(mediaId, 'photo.jpg');
  upload.end(jpeg);
  await once(upload, 'finish');
  const report = await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: reporter.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: h.clock.now,
    answers: {
      type: 'gelombang', date: h.clock.now.toISOString().slice(0, 10), place: 'Pantai Solang', severity: 'berat', households: 14,
      location: { latitude: -3.274, longitude: 130.512 }, help: 'Karung pasir untuk talud', photo: { fileId: 'tg-file', caption: 'Talud rusak', mediaId: String(mediaId) },
    },
  });
  for (const [i, type] of ['banjir', 'harga_turun', 'harga_turun'].entries()) {
    await SubmissionModel.create({
      runId: new Types.ObjectId(), memberId: reporter.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram',
      submittedAt: new Date(h.clock.now.getTime() - (i + 1) * 35 * 86_400_000), answers: { type, location: { latitude: -3.27 - i * 0.01, longitude: 130.5 + i * 0.01 } },
    });
  }
  await VillagePlanModel.updateOne({ villageCode: VILLAGE_A, year: h.clock.now.getUTCFullYear() }, {
    $setOnInsert: { goals: [{ title: 'Pendapatan nelayan naik' }], challenges: [], activities: [{ title: 'Talud pantai', owner: 'Pemerintah negeri', status: 'berjalan', percentDone: 30 }, { title: 'Kelompok simpan pinjam', status: 'selesai', percentDone: 100 }] },
  }, { upsert: true });
  return { fac, reporter, reportId: String(report._id) };
}

describe.each([
  { name: 'phone', width: 360, height: 740 },
  { name: 'laptop', width: 1280, height: 800 },
])('workspace in Chromium on a $name ($width x $height)', ({ name, width, height }) => {
  it('signs in from a chat link, shows the summary with charts and map, reviews a report', async () => {
    const { fac, reporter, reportId } = await setUp(name);
    const link = await h.ws.createLoginLink(fac.id);
    const context = await browser.newContext({ viewport: { width, height }, locale: 'id-ID' });
    const page = await context.newPage();
    const m = meter(page);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    const shot = (step: string) => page.screenshot({ path: join(ARTIFACTS, `${name}-${step}.png`), fullPage: true });

    await m.measure('sign-in page', () => page.goto(link!.url));
    await shot('1-masuk');
    await m.measure('villages', () => page.getByRole('button', { name: 'Masuk' }).click());
    expect(new URL(page.url()).pathname).toBe('/app');
    await expect.poll(() => page.getByRole('link', { name: 'Solang' }).count()).toBe(1);

    const summaryBytes = await m.measure('summary', () => page.getByRole('link', { name: 'Solang' }).click());
    await page.locator('#map[data-points]').waitFor();
    expect(Number(await page.locator('#map').getAttribute('data-points'))).toBeGreaterThanOrEqual(4);
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#map .leaflet-interactive').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#map').getAttribute('data-mode')).toBe('grid');
    expect(await page.locator('.map-label').first().textContent()).toBe('Solang');
    // Nothing wider than the screen.
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(width);
    await shot('2-ringkasan');

    await m.measure('report', () => page.goto(`${origin}/app/laporan/${reportId}`));
    const photo = page.locator('img.photo');
    await expect.poll(() => photo.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(800);
    await page.getByLabel('Ditindaklanjuti').check();
    await page.getByLabel('Catatan (dikirim ke pelapor)').fill('Karung pasir diantar besok.');
    h.notices.length = 0;
    await m.measure('review saved', () => page.getByRole('button', { name: 'Simpan dan beri tahu pelapor' }).click());
    expect(page.url()).toContain(`/app/laporan/${reportId}?saved=told`);
    await page.getByRole('status').filter({ hasText: 'Tinjauan tersimpan: Ditindaklanjuti. Pelapor sudah diberi tahu lewat chat.' }).waitFor();
    await page.getByText('Karung pasir diantar besok.').waitFor();
    await shot('3-laporan');
    expect(h.notices).toEqual([{ memberId: reporter.id, message: { key: 'workspace:notice.report_status.ditindaklanjuti', params: expect.objectContaining({ note: 'Karung pasir diantar besok.' }) } }]);
    expect((await SubmissionModel.findById(reportId).lean())!.review?.status).toBe('ditindaklanjuti');

    await m.measure('english', () => page.getByRole('link', { name: 'English' }).click());
    await page.getByRole('heading', { name: 'Risk report' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
    expect(summaryBytes).toBeGreaterThan(10_000);
  }, 60_000);
});

describe('answering for someone who can\'t type, in Chromium on a phone (360 x 740)', () => {
  it('a facilitator fills a risk report for Ibu Maria one question at a time; it shows in the review list marked for her', async () => {
    const width = 360;
    const fac = await makeMember('fasilitator', VILLAGE_A, 'Fasilitator isi');
    const link = await h.ws.createLoginLink(fac.id);
    const context = await browser.newContext({ viewport: { width, height: 740 }, locale: 'id-ID' });
    const page = await context.newPage();
    const m = meter(page);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    let n = 0;
    const shot = async (step: string) => {
      await page.screenshot({ path: join(ARTIFACTS, `phone-isi-${String(++n).padStart(2, '0')}-${step}.png`), fullPage: true });
      // Nothing wider than the phone.
      expect(await page.locator('html').evaluate((el) => el.scrollWidth), step).toBeLessThanOrEqual(width);
    };
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    const next = () => m.measure('step', () => page.getByRole('button', { name: 'Lanjut' }).click());
    const skip = () => m.measure('skip', () => page.getByRole('button', { name: 'Lewati' }).click());

    await page.goto(link!.url);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.waitForURL(`${origin}/app`);
    await m.measure('start form', () => page.getByRole('link', { name: 'Isi untuk warga' }).click());
    await shot('mulai');
    await page.getByLabel('Nama warga').fill('Ibu Maria');
    await page.getByLabel('Laporan risiko').check();
    await page.getByText('UU 27/2022').waitFor();
    // The consent box is required: the browser does not send the form without it.
    await page.getByRole('button', { name: 'Mulai' }).click();
    expect(await page.getByLabel('Warga sudah setuju secara lisan').evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
    await page.getByLabel('Warga sudah setuju secara lisan').check();
    await m.measure('first question', () => page.getByRole('button', { name: 'Mulai' }).click());
    await page.getByText('Diisi untuk Ibu Maria').waitFor();
    await shot('jenis');

    await page.getByLabel(t('type.choices.banjir')).check();
    await next();
    await page.getByText(t('date.prompt')).waitFor();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jayapura' }).format(h.clock.now);
    await page.locator('input[type=date]').fill(today);
    await shot('tanggal');
    await next();
    await page.getByLabel(t('place.prompt')).fill('Dusun Kota');
    await next();
    // A reload (a phone that slept) continues at the same question.
    await page.getByText(t('location.prompt')).waitFor();
    await page.reload();
    await page.getByText(t('location.prompt')).waitFor();
    await shot('lokasi');
    await skip();
    await page.getByLabel(t('severity.choices.berat')).check();
    // Back and forth: Kembali returns to the location, Lewati again.
    await m.measure('back', () => page.getByRole('button', { name: 'Kembali' }).click());
    await page.getByText(t('location.prompt')).waitFor();
    await skip();
    await page.getByLabel(t('severity.choices.berat')).check();
    await next();
    await page.locator('input[type=number]').fill('12');
    await next();
    await page.getByLabel(t('livelihoods.choices.pala')).check();
    await page.getByLabel(t('livelihoods.choices.perikanan')).check();
    await shot('usaha');
    await next();
    await page.getByLabel(t('help.prompt')).fill('Terpal dan beras');
    await next();
    await page.getByText(t('photo.prompt')).waitFor();
    await skip();
    const send = page.getByRole('button', { name: 'Kirim' });
    await send.waitFor();
    await shot('ringkasan');
    const box = await send.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(width);
    await m.measure('sent', () => send.click());
    await page.getByText('Terkirim untuk Ibu Maria').waitFor();
    await shot('terkirim');

    await m.measure('review list', () => page.getByRole('link', { name: 'Laporan', exact: true }).click());
    const marked = page.getByText('diisi untuk Ibu Maria');
    await marked.waitFor();
    expect(await marked.count()).toBe(1);
    await shot('daftar-laporan');
    const doc = await SubmissionModel.findOne({ 'proxy.forName': 'Ibu Maria' }).lean();
    expect(doc).toMatchObject({
      memberId: null, channel: 'workspace', villageCode: VILLAGE_A, proxy: { consentAloud: true },
      answers: { type: 'banjir', date: today, place: 'Dusun Kota', location: null, severity: 'berat', households: 12, livelihoods: ['perikanan', 'pala'], help: 'Terpal dan beras' },
    });
    await m.measure('report', () => marked.locator('xpath=ancestor::tr').getByRole('link').click());
    await page.getByText('Diisi oleh fasilitator/Pokja untuk Ibu Maria').waitFor();
    await shot('laporan');

    // Help requests on the same phone: who asked, where they were, and the status form.
    const asker = await makeMember('warga', VILLAGE_A, 'Ibu Sara');
    await HelpRequestModel.create({ _id: `help:telegram:${asker.id}`, memberId: asker.id, villageCode: VILLAGE_A, channel: 'telegram', context: 'laporan-risiko/date', requestedAt: h.clock.now });
    await m.measure('help requests', () => page.getByRole('link', { name: 'Bantuan' }).click());
    const request = page.locator('section.help', { hasText: 'Ibu Sara' });
    await request.getByText(t('date.label')).waitFor();
    await request.getByLabel('Sudah dihubungi').check();
    await request.getByLabel('Catatan').fill('Ditelepon, datang besok');
    await m.measure('help saved', () => request.getByRole('button', { name: 'Simpan' }).click());
    await page.locator('section.help', { hasText: 'Ditelepon, datang besok' }).waitFor();
    await shot('bantuan');
    expect((await HelpRequestModel.findById(`help:telegram:${asker.id}`).lean())!.status).toBe('dihubungi');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

describe('a voice note in Chromium on a phone (360 x 740)', () => {
  it('the facilitator plays the voice note (the browser asks for ranges: 206) and types what was said', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A, 'Fasilitator suara');
    const reporter = await makeMember('warga', VILLAGE_A, 'Pelapor suara');
    const fileId = 'AwACAgUAAxkBAAIB-browser-note';
    await storeMedia({ channel: 'telegram', fileId, fetch: async () => ({ data: oggOpus(23), contentType: 'audio/ogg' }) }, 1024 * 1024);
    const help = { kind: 'voice', fileId, mediaId: mediaIdFor('telegram', fileId), seconds: 23, mimeType: 'audio/ogg' };
    const report = await SubmissionModel.create({
      runId: new Types.ObjectId(), memberId: reporter.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: h.clock.now,
      answers: { type: 'rob', date: h.clock.now.toISOString().slice(0, 10), place: 'Pantai Solang', severity: 'sedang', help },
    });
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'id-ID' });
    const page = await context.newPage();
    const statuses: number[] = [];
    page.on('response', (r) => { if (r.url().endsWith(`/suara/help`)) statuses.push(r.status()); });
    await page.goto((await h.ws.createLoginLink(fac.id))!.url);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.goto(`${origin}/app/laporan/${String(report._id)}`);

    const player = page.getByLabel('Putar pesan suara: Bantuan perlu');
    await player.evaluate((a) => (a as unknown as { play(): Promise<void> }).play().catch(() => undefined));
    // The container says 23 seconds: Chromium read it through the stream.
    await expect.poll(() => player.evaluate((a) => Math.round((a as unknown as { duration: number }).duration))).toBe(23);
    expect(statuses).toContain(206);

    await page.getByLabel('Yang dikatakan (ketik isi pesan suara)').fill('Karung pasir dan beras');
    await page.getByRole('button', { name: 'Simpan teks' }).click();
    await page.getByText('[pesan suara 0:23] Karung pasir dan beras').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'phone-4-pesan-suara.png'), fullPage: true });
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(360);
    expect((await SubmissionModel.findById(report._id).lean())!.answers.help).toMatchObject({ transcript: 'Karung pasir dan beras', transcribedBy: 'Fasilitator suara' });
    await context.close();
  }, 60_000);
});
