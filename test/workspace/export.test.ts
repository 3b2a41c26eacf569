import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, SubmissionModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let facS: Session;
let adminS: Session;
let reporter: { id: string; name: string };

function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

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
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['pelapor', 'desa', type, livelihoods, location, `${location} (lat)`, `${location} (lon)`]));
    expect(rows[0]).toMatchObject({
      [type!]: t('type.choices.banjir'), [livelihoods!]: `${t('livelihoods.choices.cengkeh')}; ${t('livelihoods.choices.pala')}`,
      [location!]: 'Tanjung', [`${location} (lat)`]: '-3.9',
    });
    expect(rows[0]!.pelapor).toMatch(/^W-[0-9a-f]{10}$/);
    expect(rows[0]!.pelapor).toBe(rows[1]!.pelapor);
    expect(res.text).not.toContain('Ibu Siti');
    expect(res.text).not.toContain('Pak Ode');
  });

  it('filters by dates and village; English labels', async () => {
    const res = await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&village=${VILLAGE_A}&from=2026-06-01&to=2026-06-30&lang=en`).set('cookie', facS.cookie).expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(1);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['reporter', 'village']));
    await request(h.app).get(`/api/exports/csv?flow=laporan-risiko&village=${VILLAGE_B}`).set('cookie', facS.cookie).expect(404);
    await request(h.app).get('/api/exports/csv?flow=laporan-risiko&from=2026-07-01&to=2026-06-01').set('cookie', facS.cookie).expect(400);
    await request(h.app).get('/api/exports/csv?flow=daftar').set('cookie', facS.cookie).expect(404);
    await request(h.app).get('/api/exports/pdf?flow=laporan-risiko').set('cookie', facS.cookie).expect(400);
  });

  it('repeat groups become extra rows', async () => {
    const res = await request(h.app).get('/api/exports/csv?flow=profil-desa').set('cookie', facS.cookie).expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.baris)).toEqual(['', 'sources#1', 'sources#2']);
    const sourceCol = Object.keys(rows[0]!).find((k) => k.endsWith(': ' + h.i18n.getFixedT('id', 'profil-desa')('sources.source.label')))
      ?? Object.keys(rows[0]!).filter((k) => k.includes(': '))[0]!;
    expect(rows[1]![sourceCol]).not.toBe('');
    expect(rows[1]!.id_kiriman).toBe(rows[0]!.id_kiriman);
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
    expect(wb.worksheets.map((w) => w.name)).toEqual(['profil-desa', 'sources']);
    const main = wb.worksheets[0]!;
    expect(main.rowCount).toBe(2);
    expect(main.getRow(1).values).toEqual(expect.arrayContaining(['submission_id', 'reporter']));
    expect(wb.worksheets[1]!.rowCount).toBe(3);
  });
});
