/**
 * Issue 18.8: the plan import takes what Indonesian spreadsheets hold (dates 30/08/2026,
 * 15-10-2026 and date cells; "50%", 50 and a 0.5 cell formatted as percent; a status by its
 * label in any case), and its errors are in the person's language. Real files, built here.
 */
import ExcelJS from 'exceljs';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemberModel, VillagePlanModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, buildHarness, makeMember, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let fac: Session;
let facEn: Session;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADER = ['jenis', 'judul', 'penanggung_jawab', 'target', 'status', 'persen'];

beforeAll(async () => {
  h = await buildHarness();
  fac = await signIn(h, (await makeMember('fasilitator', VILLAGE_A)).id);
  const en = await makeMember('fasilitator', VILLAGE_A);
  await MemberModel.updateOne({ _id: en.id }, { $set: { language: 'en' } });
  facEn = await signIn(h, en.id);
});

const post = (s: Session, year: number, type: string, body: string | Buffer) =>
  request(h.app).post(`/api/plans/${VILLAGE_A}/${year}/import`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).set('content-type', type).send(body);

const activities = async (year: number) => {
  const plan = await VillagePlanModel.findOne({ villageCode: VILLAGE_A, year }).lean();
  return Object.fromEntries((plan?.activities ?? []).map((a) => [a.title, { target: a.targetDate?.toISOString().slice(0, 10) ?? null, status: a.status, percent: a.percentDone }]));
};

describe('plan import from Indonesian spreadsheets', () => {
  it('CSV: day-first dates, "50%" and 50, statuses by their labels in any case', async () => {
    const csv = [HEADER.join(';'),
      'Kegiatan;Jemur kopra;Kelompok tani;30/08/2026;Sedang berjalan;50%',
      'KEGIATAN;Tangki air;Pokja air;15-10-2026;SELESAI;100',
      'kegiatan;Simpan pinjam;;2026-11-01;belum mulai;0',
      'kegiatan;Talud;;;terhambat;25 %'].join('\n');
    await post(fac, 2026, 'text/csv', csv).expect(200);
    expect(await activities(2026)).toEqual({
      'Jemur kopra': { target: '2026-08-30', status: 'berjalan', percent: 50 },
      'Tangki air': { target: '2026-10-15', status: 'selesai', percent: 100 },
      'Simpan pinjam': { target: '2026-11-01', status: 'belum', percent: 0 },
      Talud: { target: null, status: 'terhambat', percent: 25 },
    });
  });

  it('XLSX: date cells, a 0.5 cell formatted as percent, text dates and labels', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Rencana');
    ws.addRow(HEADER);
    const r1 = ws.addRow(['kegiatan', 'Jemur kopra', 'Kelompok tani', new Date(Date.UTC(2026, 7, 30)), 'sedang berjalan', 0.5]);
    r1.getCell(4).numFmt = 'dd/mm/yyyy';
    r1.getCell(6).numFmt = '0%';
    ws.addRow(['kegiatan', 'Tangki air', '', '15-10-2026', 'Selesai', 50]);
    ws.addRow(['tujuan', 'Air bersih', '', '', '', '']);
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    await post(fac, 2027, XLSX, file).expect(200);
    expect(await activities(2027)).toEqual({
      'Jemur kopra': { target: '2026-08-30', status: 'berjalan', percent: 50 },
      'Tangki air': { target: '2026-10-15', status: 'selesai', percent: 50 },
    });
  });

  it('errors name the row and column in the person\'s language, never "Invalid input"; nothing changes', async () => {
    const csv = [HEADER.join(','), 'kegiatan,Baik,,31/02/2026,entah,banyak', 'macam,X,,,,', ',,,,,5'].join('\n');
    const id = await post(fac, 2028, 'text/csv', csv).expect(400);
    const errors = id.body.details.errors as { row: number; column: string; message: string }[];
    expect(errors.map((e) => `${e.row}:${e.column}`)).toEqual(['2:target', '2:status', '2:persen', '3:jenis', '4:jenis', '4:judul']);
    expect(errors.find((e) => e.column === 'target')!.message).toBe('"31/02/2026" bukan tanggal. Tulis misalnya 30/08/2026.');
    expect(errors.find((e) => e.column === 'status')!.message).toContain('Sedang berjalan');
    expect(id.body.message).toBe('6 kesalahan di berkas; tidak ada yang diubah.');
    const en = await post(facEn, 2028, 'text/csv', csv).expect(400);
    expect((en.body.details.errors as { message: string }[])[0]!.message).toBe('"31/02/2026" is not a date. Write for example 30/08/2026.');
    for (const e of [...errors, ...(en.body.details.errors as { message: string }[])]) expect(e.message).not.toMatch(/invalid/i);
    expect(await VillagePlanModel.countDocuments({ villageCode: VILLAGE_A, year: 2028 })).toBe(0);
  });
});
