import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, SubmissionModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, binary, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let facS: Session;
let adminS: Session;
let reporter: { id: string; name: string };

beforeAll(async () => {
  h = await buildHarness();
  const fac = await makeMember('fasilitator', VILLAGE_A);
  const admin = await makeMember('admin', null);
  reporter = await makeMember('warga', VILLAGE_A, 'Ibu Siti');
  const other = await makeMember('warga', VILLAGE_B, 'Pak Ode');
  facS = await signIn(h, fac.id);
  adminS = await signIn(h, admin.id);
  await makeReport(reporter.id, VILLAGE_A, { livelihoods: ['cengkeh', 'pala'], location: { latitude: -3.9, longitude: 131.2, name: 'Tanjung' } }, new Date('2026-03-05T03:00:00Z'));
  await makeReport(reporter.id, VILLAGE_A, { type: 'gelombang' }, new Date('2026-06-05T03:00:00Z'));
  await makeReport(other.id, VILLAGE_B, {}, new Date('2026-03-06T03:00:00Z'));
  await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: reporter.id, villageCode: VILLAGE_A, flowId: 'profil-desa', flowVersion: 1, channel: 'telegram', submittedAt: new Date('2026-04-01T00:00:00Z'),
    answers: { households: 120, school: 'sd', sources: [{ source: 'perikanan', season: 'musim_teduh', share: 'banyak' }, { source: 'cengkeh', season: 'musim_panen', share: 'setengah' }] },
  });
});

describe('CSV export', () => {
  it('one column per question with labels, pseudonymised reporters, only the facilitator\'s villages', async () => {
    const res = await request(h.app).get('/api/exports/csv?flow=laporan-risiko').set('cookie', facS.cookie).expect(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="laporan-risiko_\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(2);
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    const [type, livelihoods, location] = ['type.label', 'livelihoods.label', 'location.label'].map((k) => t(k));
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['Pelapor', 'Desa', type, livelihoods, location, `${location} (lat)`, `${location} (lon)`]));
    expect(rows[0]).toMatchObject({
      [type!]: t('type.choices.banjir'), [livelihoods!]: `${t('livelihoods.choices.cengkeh')}; ${t('livelihoods.choices.pala')}`,
      [location!]: 'Tanjung', [`${location} (lat)`]: '-3.9',
    });
    expect(rows[0]!.Pelapor).toMatch(/^W-[0-9a-f]{10}$/);
    expect(rows[0]!.Pelapor).toBe(rows[1]!.Pelapor);
    expect(res.text).not.toContain('Ibu Siti');
    expect(res.text).not.toContain('Pak Ode');
  });

  it('filters by dates and village; English labels', async () => {
    const res = await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&village=${VILLAGE_A}&from=2026-06-01&to=2026-06-30&lang=en`).set('cookie', facS.cookie).expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(1);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['Reporter', 'Village']));
    await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&village=${VILLAGE_B}`).set('cookie', facS.cookie).expect(404);
    await request(h.app).get('/api/exports/csv?flow=laporan-risiko&from=2026-07-01&to=2026-06-01').set('cookie', facS.cookie).expect(400);
    await request(h.app).get('/api/exports/csv?flow=daftar').set('cookie', facS.cookie).expect(404);
    await request(h.app).get('/api/exports/pdf?flow=laporan-risiko').set('cookie', facS.cookie).expect(400);
  });

  it('repeat groups become extra rows', async () => {
    const res = await request(h.app).get('/api/exports/csv?flow=profil-desa').set('cookie', facS.cookie).expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.Baris)).toEqual(['', 'sources#1', 'sources#2']);
    const sourceCol = Object.keys(rows[0]!).find((k) => k.endsWith(': ' + h.i18n.getFixedT('id', 'profil-desa')('sources.source.label')))
      ?? Object.keys(rows[0]!).filter((k) => k.includes(': '))[0]!;
    expect(rows[1]![sourceCol]).not.toBe('');
    expect(rows[1]!['ID kiriman']).toBe(rows[0]!['ID kiriman']);
  });

  it('names only for admins, and recorded in the audit log', async () => {
    await request(h.app).get('/api/exports/csv?flow=laporan-risiko&names=1').set('cookie', facS.cookie).expect(403);
    const res = await request(h.app).get('/api/exports/csv?flow=laporan-risiko&names=1').set('cookie', adminS.cookie).expect(200);
    expect(res.text).toContain('Ibu Siti');
    expect(res.text).toContain('Pak Ode');
    expect(await AuditLogModel.countDocuments({ action: 'export.names' })).toBe(1);
  });
});

describe('XLSX export', () => {
  it('streams a workbook with a sheet per repeat group', async () => {
    const res = await request(h.app).get('/api/exports/xlsx?flow=profil-desa&lang=en').set('cookie', facS.cookie).buffer(true).parse(binary).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([h.i18n.getFixedT('en', 'profil-desa')('title'), h.i18n.getFixedT('en', 'profil-desa')('sources.label').slice(0, 31), 'kode']);
    const main = wb.worksheets[0]!;
    expect(main.rowCount).toBe(2);
    expect(main.getRow(1).values).toEqual(expect.arrayContaining(['Submission ID', 'Reporter']));
    expect(wb.worksheets[2]!.getRow(1).values).toEqual(expect.arrayContaining(['submission_id', 'reporter', 'households']));
    expect(wb.worksheets[1]!.rowCount).toBe(3);
  });
});

describe('formula injection (issue 20)', () => {
  // The payloads of the probe, and the other starts a spreadsheet reads as a formula.
  const PAYLOADS = ['=HYPERLINK("http://evil.example","klik")', "+cmd|' /C calc'!A0", '@SUM(1+1)', '-2+3+cmd|\' /C calc\'!A0', '\t=1+1', '\r=1+1', '＝1+1'];
  const period = 'from=2025-01-01&to=2025-01-31';
  let hostileName: string;

  beforeAll(async () => {
    hostileName = '=HYPERLINK("http://evil.example","klik")';
    const hostile = await makeMember('warga', VILLAGE_B, hostileName);
    for (const [i, p] of PAYLOADS.entries()) {
      await makeReport(hostile.id, VILLAGE_B, { place: p, help: `Dusun;${p}`, households: -4, location: { latitude: -3.9, longitude: 131.2, name: p } }, new Date(`2025-01-${String(10 + i)}T03:00:00Z`));
    }
    const proxy = await makeReport(hostile.id, VILLAGE_B, { place: 'biasa' }, new Date('2025-01-20T03:00:00Z'));
    await SubmissionModel.updateOne({ _id: proxy }, { $set: { proxy: { enteredBy: hostile.id, forName: '@SUM(1+1)', consentAloud: true } } });
  });

  const neutral = (p: string) => `'${p}`;

  it('CSV: every text cell that starts like a formula gets a quote, in every column; numbers stay numbers', async () => {
    const res = await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&names=1&${period}`).set('cookie', adminS.cookie).expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(PAYLOADS.length + 1);
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    const [place, help, location, households] = ['place.label', 'help.label', 'location.label', 'households.label'].map((k) => t(k) as string);
    for (const [i, p] of PAYLOADS.entries()) {
      expect(rows[i]![place!]).toBe(neutral(p));
      expect(rows[i]![location!]).toBe(neutral(p));
      expect(rows[i]![help!]).toBe(`Dusun;${p}`);
      expect(rows[i]!.Pelapor).toBe(neutral(hostileName));
      expect(rows[i]![households!]).toBe('-4');
      expect(rows[i]![`${location} (lat)`]).toBe('-3.9');
    }
    expect(rows[PAYLOADS.length]!['Diisi untuk']).toBe("'@SUM(1+1)");
    // No cell of the file, read as a spreadsheet does, starts a formula.
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+@\t\r＝]/);
    // Numbers are written bare (a spreadsheet reads them as numbers); text is always quoted, so a
    // spreadsheet splitting on ';' keeps "Dusun;@SUM(1+1)" in one cell.
    expect(res.text).toContain(',-4,');
    expect(res.text).toContain(',-3.9,131.2,');
    expect(res.text).toContain('"Dusun;@SUM(1+1)"');
  });

  it('XLSX: the same cells are plain strings with the quote, never formulas; numbers stay numbers', async () => {
    const res = await request(h.app).get(`/api/exports/xlsx?flow=laporan-risiko&names=1&${period}`).set('cookie', adminS.cookie).buffer(true).parse(binary).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).map(String);
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    const col = (label: string) => header.indexOf(label);
    const cells: ExcelJS.Cell[] = [];
    sheet.eachRow((row) => row.eachCell((c) => { cells.push(c); }));
    expect(cells.filter((c) => c.type === ExcelJS.ValueType.Formula || c.formula)).toEqual([]);
    for (const [i, p] of PAYLOADS.entries()) {
      const row = sheet.getRow(i + 2);
      expect(row.getCell(col(t('place.label'))).type).toBe(ExcelJS.ValueType.String);
      // (XML reads a carriage return back as a line feed.)
      expect(row.getCell(col(t('place.label'))).value).toBe(neutral(p).replace(/\r/g, '\n'));
      expect(row.getCell(col('Pelapor')).value).toBe(neutral(hostileName));
      expect(row.getCell(col(t('households.label'))).value).toBe(-4);
      expect(row.getCell(col(`${t('location.label')} (lat)`)).value).toBe(-3.9);
    }
    expect(sheet.getRow(PAYLOADS.length + 2).getCell(col('Diisi untuk')).value).toBe("'@SUM(1+1)");
  });
});

describe('readable in Excel, codes kept for analysts (issue 18.5)', () => {
  const period = 'from=2026-03-01&to=2026-03-31';
  beforeAll(async () => {
    await SubmissionModel.updateOne({ villageCode: VILLAGE_A, submittedAt: new Date('2026-03-05T03:00:00Z') }, { $set: { 'review.status': 'diverifikasi' } });
  });

  it('XLSX: a sheet named by the flow, Indonesian titles and status labels, wide columns; the sheet "kode" holds ids and machine values', async () => {
    const res = await request(h.app).get(`/api/exports/xlsx?flow=laporan-risiko&${period}`).set('cookie', facS.cookie).buffer(true).parse(binary).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Laporan risiko', 'kode']);
    const [main, codes] = wb.worksheets as [ExcelJS.Worksheet, ExcelJS.Worksheet];
    const header = (main.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 8)).toEqual(['ID kiriman', 'Waktu kirim (WIT)', 'Kode desa', 'Desa', 'Pelapor', 'Saluran', 'Diisi untuk', 'Status tinjauan']);
    const row = (main.getRow(2).values as unknown[]).slice(1);
    expect(row[5]).toBe('Telegram');
    expect(row[7]).toBe('Diverifikasi');
    expect(row).toContain(t('type.choices.banjir'));
    header.forEach((title, i) => expect(main.getColumn(i + 1).width).toBeGreaterThanOrEqual(Math.min(40, Math.max(12, String(title).length))));
    const codeHeader = (codes.getRow(1).values as unknown[]).slice(1);
    expect(codeHeader.slice(0, 8)).toEqual(['submission_id', 'submitted_at', 'village_code', 'village', 'reporter', 'channel', 'entered_for', 'review_status']);
    const codeRow = Object.fromEntries(codeHeader.map((k, i) => [k, (codes.getRow(2).values as unknown[])[i + 1]]));
    expect(codeRow).toMatchObject({ submitted_at: '2026-03-05T12:00:00+09:00', channel: 'telegram', review_status: 'diverifikasi', type: 'banjir', livelihoods: 'cengkeh pala', location_lat: -3.9 });
  });

  it('CSV: titles and labels by default, ?labels=kode for ids and machine values', async () => {
    const words = await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&${period}`).set('cookie', facS.cookie).expect(200);
    const [w] = parse(words.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(w).toMatchObject({ 'Status tinjauan': 'Diverifikasi', Saluran: 'Telegram', 'Waktu kirim (WIT)': '2026-03-05 12:00 WIT' });
    const kode = await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&${period}&labels=kode`).set('cookie', facS.cookie).expect(200);
    const [k] = parse(kode.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(k).toMatchObject({ row: '', review_status: 'diverifikasi', channel: 'telegram', submitted_at: '2026-03-05T12:00:00+09:00', type: 'banjir', livelihoods: 'cengkeh pala' });
  });

  it('the data picker lists flows by their title', async () => {
    const res = await request(h.app).get('/app/ekspor').set('cookie', facS.cookie).expect(200);
    const options = [...res.text.matchAll(/<option value="([a-z-]+)">([^<]+)<\/option>/g)].filter(([, v]) => h.flows.has(v!)).map(([, , label]) => label);
    expect(options).toContain('Jadwal lokakarya');
    expect(options).toContain('Laporan risiko');
    for (const label of options) expect(h.flows.has(label!)).toBe(false);
  });
});
