/**
 * Issue 18's walk through the workspace in headless Chromium, on a phone (360x740) and a
 * laptop (1280x800), as a facilitator with no help would go: sign in with the link from chat,
 * the village page (its one report on the map, with the grid and a colour legend), the
 * workshop with the answers that came from chat and the attendance recorded on the page, a
 * report reviewed with its confirmation, the audit log in plain Indonesian, people of "desa
 * lain", and both exports downloaded and read back (exceljs) with WIT times and Indonesian
 * titles. On every page: nothing scrolls sideways. Screenshots: test-artifacts/walkthrough/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { Types } from 'mongoose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberModel, SubmissionModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { projectRoot } from '../../src/paths.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_WARU, makeMember, makeReport, makeWorkshopWithRsvps, type Harness } from './harness.js';
import { startBrowserHarness, type BrowserHarness } from './browser-harness.js';

useTestDatabase();

const ARTIFACTS = join(projectRoot, 'test-artifacts', 'walkthrough');
/** 06:13 WIT on 8 December 2026. */
const REPORTED_AT = new Date('2026-12-07T21:13:00Z');

let web: BrowserHarness;
let h: Harness;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  web = await startBrowserHarness();
  ({ h, origin, browser } = web);
  // Someone of Teluk Waru who wrote a village not in the list, with a long name.
  const person = await MemberModel.create({
    channel: 'telegram', platformUserId: `tg-${new Types.ObjectId()}`, name: 'Ibu Fransina Rumalutur-Kelilauw', role: 'warga', villageCode: null,
    villageOther: 'Kilmuri Pantai Baru Dusun Wailola Atas', language: 'id', consent: { version: 'daftar v1', givenAt: new Date() }, registeredAt: new Date(),
  });
  await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: person._id, villageCode: null, flowId: 'daftar', flowVersion: 1, channel: 'telegram', submittedAt: new Date(), answers: { kecamatan: 'Teluk Waru', village: '__other__' } });
}, 60_000);

afterAll(async () => {
  await web?.close();
});

describe.each([
  { name: 'phone', width: 360, height: 740, village: VILLAGE_A, villageName: 'Solang' },
  { name: 'laptop', width: 1280, height: 800, village: VILLAGE_WARU, villageName: 'Waru' },
])('the facilitator\'s walk in Chromium on a $name ($width x $height)', ({ name, width, height, village, villageName }) => {
  it('signs in, sees RSVPs from chat, records attendance, reviews a report, reads the audit log, downloads both exports', async () => {
    const fac = await makeMember('fasilitator', village, `Fasilitator ${villageName}`);
    const reporter = await makeMember('warga', village, `Pelapor ${villageName}`);
    const reportId = await makeReport(reporter.id, village, { location: { latitude: -3.52, longitude: 130.66 } }, REPORTED_AT);
    const workshop = await makeWorkshopWithRsvps(h.clock, `Lokakarya ${villageName}`, village);
    await VillagePlanModel.create({ villageCode: village, year: 2026, goals: [], challenges: [], activities: [{ title: 'Pembangunan talud penahan ombak di pantai dusun', status: 'berjalan', percentDone: 40 }] });
    const link = await h.ws.createLoginLink(fac.id);
    const context = await browser.newContext({ viewport: { width, height }, locale: 'id-ID', acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    let n = 0;
    /** Every page visited: a screenshot, and nothing wider than the screen. */
    const look = async (step: string) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${String(++n).padStart(2, '0')}-${step}.png`), fullPage: true });
      expect(await page.evaluate('document.documentElement.scrollWidth'), `${step}: page width`).toBeLessThanOrEqual(width);
    };

    await page.goto(link!.url);
    await look('masuk');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.waitForURL(`${origin}/app`);
    await look('desa');

    // The kecamatan page: each activity named with its village, still within the screen.
    await page.getByRole('link', { name: 'Teluk Waru' }).click();
    await page.getByText(new RegExp(`^${villageName}: Pembangunan talud penahan ombak di.*… · Berjalan$`)).waitFor();
    await look('kecamatan');
    await page.goto(`${origin}/app`);

    // The village page: its one report on the map, at a zoom that shows the place, with the grid and a legend.
    await page.getByRole('link', { name: villageName, exact: true }).click();
    await page.locator('#map[data-points="1"]').waitFor();
    const zoom = Number(await page.locator('#map').getAttribute('data-zoom'));
    expect(zoom).toBeGreaterThanOrEqual(11);
    expect(zoom).toBeLessThanOrEqual(15);
    const mapBox = (await page.locator('#map').boundingBox())!;
    const point = (await page.locator('#map path.leaflet-interactive').boundingBox())!;
    expect(point.x).toBeGreaterThan(mapBox.x);
    expect(point.x + point.width).toBeLessThan(mapBox.x + mapBox.width);
    expect(await page.locator('#map path:not(.leaflet-interactive)').count()).toBeGreaterThan(4);
    expect(await page.locator('ul.legend li').allTextContents()).toEqual(['Baru', 'Diverifikasi', 'Ditindaklanjuti', 'Selesai', 'Ditolak']);
    // The new report's point has the colour the legend gives "Baru", and no two statuses share one.
    const fills = await page.locator('ul.legend circle').evaluateAll((cs) => cs.map((c) => c.getAttribute('fill')));
    expect(new Set(fills).size).toBe(5);
    expect(await page.locator('#map path.leaflet-interactive').getAttribute('fill')).toBe(fills[0]);
    await page.locator('#map').scrollIntoViewIfNeeded();
    await look('ringkasan-peta');

    // The workshop: the answers from chat, then the attendance recorded on the page.
    await page.getByRole('link', { name: 'Lokakarya & siaran' }).click();
    const card = page.locator('article.card', { hasText: workshop.title });
    const answers = card.locator('table.rsvp');
    expect(await answers.locator('thead th').allTextContents()).toEqual(['Desa', 'Hadir', 'Mungkin', 'Tidak', 'Belum jawab']);
    expect(await answers.locator('tbody tr').first().locator('th, td').allTextContents()).toEqual([villageName, '1', '1', '0', '1']);
    await look('lokakarya');
    await card.getByLabel(`Yang hadir ${villageName}`).fill('14');
    await card.getByLabel(`Perempuan ${villageName}`).fill('6');
    await card.getByRole('button', { name: 'Simpan kehadiran' }).click();
    await page.getByRole('status').filter({ hasText: 'Kehadiran tersimpan.' }).waitFor();
    expect(await page.locator('article.card', { hasText: workshop.title }).getByLabel(`Yang hadir ${villageName}`).inputValue()).toBe('14');
    expect((await WorkshopModel.findById(workshop.id).lean())!.attendance).toEqual([expect.objectContaining({ villageCode: village, total: 14, women: 6 })]);
    await look('kehadiran-tersimpan');

    // A report reviewed: the confirmation is on screen when the page comes back.
    await page.getByRole('link', { name: 'Laporan', exact: true }).click();
    await look('laporan');
    await page.goto(`${origin}/app/laporan/${reportId}`);
    await page.getByLabel('Ditindaklanjuti').check();
    await page.getByLabel('Catatan (dikirim ke pelapor)').fill('Tim datang besok pagi.');
    await page.getByRole('button', { name: 'Simpan dan beri tahu pelapor' }).click();
    const confirmation = page.getByRole('status').filter({ hasText: 'Tinjauan tersimpan: Ditindaklanjuti. Pelapor sudah diberi tahu lewat chat.' });
    await confirmation.waitFor();
    const box = (await confirmation.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(height);
    await look('tinjauan-tersimpan');

    // The audit log in plain Indonesian.
    await page.getByRole('link', { name: 'Catatan perubahan' }).click();
    const audit = await page.locator('main').innerText();
    expect(audit).toContain(`Mengubah status laporan risiko di ${villageName} dari Baru menjadi Ditindaklanjuti.`);
    expect(audit).toContain('Catatan: Tim datang besok pagi.');
    expect(audit).toContain(`Mencatat kehadiran lokakarya “${workshop.title}”: ${villageName} dari belum dicatat menjadi 14 orang (6 perempuan).`);
    expect(audit).toContain(`Fasilitator ${villageName}, lewat ruang kerja`);
    expect(audit).not.toMatch(/[{}]|\b[0-9a-f]{24}\b/);
    await look('catatan-perubahan');

    await page.getByRole('link', { name: 'Desa di luar daftar' }).click();
    await page.getByText('Kilmuri Pantai Baru Dusun Wailola Atas').waitFor();
    await look('desa-lain');

    // Both exports, read back.
    const download = async (format: 'CSV' | 'XLSX') => {
      await page.getByRole('link', { name: 'Ekspor' }).click();
      await page.getByLabel('Data').selectOption({ label: 'Laporan risiko' });
      await page.getByLabel(format).check();
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Unduh' }).click()]);
      expect(file.suggestedFilename()).toMatch(new RegExp(`^laporan-risiko_\\d{4}-\\d{2}-\\d{2}\\.${format.toLowerCase()}$`));
      const path = join(ARTIFACTS, `${name}-${file.suggestedFilename()}`);
      await file.saveAs(path);
      return readFile(path);
    };
    await page.getByRole('link', { name: 'Ekspor' }).click();
    await look('ekspor');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await download('XLSX')) as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.name).toBe('Laporan risiko');
    const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
    expect(header.slice(0, 8)).toEqual(['ID kiriman', 'Waktu kirim (WIT)', 'Kode desa', 'Desa', 'Pelapor', 'Saluran', 'Diisi untuk', 'Status tinjauan']);
    const row = sheet.getRow(2);
    // A date cell holding the WIT wall clock (Excel has no zones).
    expect((row.getCell(2).value as Date).toISOString()).toBe('2026-12-08T06:13:00.000Z');
    expect(row.getCell(2).numFmt).toBe('dd/mm/yyyy hh:mm');
    expect(row.getCell(4).value).toBe(villageName);
    expect(row.getCell(8).value).toBe('Ditindaklanjuti');
    const csv = parse((await download('CSV')).toString('utf8').replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(csv).toEqual([expect.objectContaining({ 'Waktu kirim (WIT)': '2026-12-08 06:13 WIT', Desa: villageName, 'Status tinjauan': 'Ditindaklanjuti' })]);

    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
