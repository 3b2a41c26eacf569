/**
 * Issue 18.3: every date a person sees or exports is in the configured TIMEZONE (WIT by
 * default). A report made at 06:13 WIT on 8 December is 21:13 UTC on the 7th: the village
 * page, both exports and the export's file name all say the 8th.
 */
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, binary, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

const AT = new Date('2026-12-07T21:13:00Z'); // 06:13 WIT, 8 Dec
let h: Harness;
let fac: Session;

beforeAll(async () => {
  h = await buildHarness();
  h.clock.now = AT;
  const f = await makeMember('fasilitator', VILLAGE_A);
  const reporter = await makeMember('warga', VILLAGE_A, 'Ibu Ani');
  await makeReport(reporter.id, VILLAGE_A, { help: 'Perahu rusak di pantai' }, AT);
  fac = await signIn(h, f.id);
});

describe('time in TIMEZONE (WIT)', () => {
  it('the village page dates the report 8 Des', async () => {
    const res = await request(h.app).get(`/app/desa/${VILLAGE_A}`).set('cookie', fac.cookie).expect(200);
    const item = /<li><a href="\/app\/laporan\/[^"]+">([^<]+)<\/a>: Perahu rusak/.exec(res.text);
    expect(item?.[1]).toBe('8 Des 2026');
  });

  it('CSV: local time with its zone, a file named by the local date, and a local day filter', async () => {
    const res = await request(h.app).get('/api/exports/csv?flow=laporan-risiko&from=2026-12-08&to=2026-12-08').set('cookie', fac.cookie).expect(200);
    expect(res.headers['content-disposition']).toContain('laporan-risiko_2026-12-08.csv');
    const rows = parse(res.text.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
    expect(rows.length).toBe(2);
    expect(rows[1]).toContain('2026-12-08 06:13 WIT');
    expect(res.text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);
    const before = await request(h.app).get('/api/exports/csv?flow=laporan-risiko&to=2026-12-07').set('cookie', fac.cookie).expect(200);
    expect(parse(before.text.replace(/^\uFEFF/, '')).length).toBe(1);
  });

  it('XLSX: the time is a real date cell holding the WIT wall clock', async () => {
    const res = await request(h.app).get('/api/exports/xlsx?flow=laporan-risiko').set('cookie', fac.cookie).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-disposition']).toContain('laporan-risiko_2026-12-08.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const cells = (sheet.getRow(2).values as unknown[]).filter((v) => v instanceof Date) as Date[];
    expect(cells.map((d) => d.toISOString())).toEqual(['2026-12-08T06:13:00.000Z']);
    const col = (sheet.getRow(2).values as unknown[]).findIndex((v) => v instanceof Date);
    expect(sheet.getRow(2).getCell(col).numFmt).toMatch(/dd.*hh:mm/);
  });
});
