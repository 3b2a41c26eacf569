import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, FacilitatorAssignmentModel, SubmissionModel, VillagePlanModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let fac: { id: string; name: string };
let admin: { id: string };
let resident: { id: string; platformUserId: string };
let facS: Session;
let adminS: Session;
let reportA: string;
let reportB: string;


{
  beforeAll(async () => {
    h = await buildHarness();
    fac = await makeMember('fasilitator', VILLAGE_A, 'Ibu Fasilitator');
    admin = await makeMember('admin', null, 'Koordinator');
    resident = await makeMember('warga', VILLAGE_A, 'Pak Warga');
    const residentB = await makeMember('warga', VILLAGE_B, 'Warga B');
    facS = await signIn(h, fac.id);
    adminS = await signIn(h, admin.id);
    reportA = await makeReport(resident.id, VILLAGE_A, { help: 'Terpal dan beras', location: { latitude: -3.95, longitude: 131.1 } });
    reportB = await makeReport(residentB.id, VILLAGE_B);
  });
}

const get = (s: Session, path: string) => request(h.app).get(path).set('cookie', s.cookie);
const send = (s: Session, method: 'post' | 'put' | 'patch' | 'delete', path: string, body?: unknown) =>
  request(h.app)[method](path).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send(body as object);

describe('access rules', () => {
  it('a facilitator sees only their villages; another village is 404', async () => {
    const list = await get(facS, '/api/villages').expect(200);
    expect(list.body.items.map((v: { code: string }) => v.code)).toEqual([VILLAGE_A]);
    await get(facS, `/api/villages/${VILLAGE_B}`).expect(404);
    await get(facS, `/api/villages/${VILLAGE_B}/summary`).expect(404);
    await get(facS, `/api/reports/${reportB}`).expect(404);
    await send(facS, 'patch', `/api/reports/${reportB}/review`, { status: 'diverifikasi' }).expect(404);
    await get(facS, `/api/plans/${VILLAGE_B}/2026`).expect(404);
    await send(facS, 'put', `/api/plans/${VILLAGE_B}/2026`, { goals: [], challenges: [], activities: [] }).expect(404);
    const reports = await get(facS, '/api/reports').expect(200);
    expect(reports.body.items.map((r: { id: string }) => r.id)).toEqual([reportA]);
    await get(facS, `/api/reports?village=${VILLAGE_B}`).expect(200).then((r) => expect(r.body.items).toEqual([]));
  });

  it('an admin sees all villages', async () => {
    const list = await get(adminS, '/api/villages').expect(200);
    expect(list.body.items.length).toBe(40);
    await get(adminS, `/api/reports/${reportB}`).expect(200);
  });

  it('an admin assigns a facilitator more villages', async () => {
    await send(facS, 'put', `/api/facilitators/${fac.id}/villages`, { villageCodes: [VILLAGE_B] }).expect(403);
    await send(adminS, 'put', `/api/facilitators/${fac.id}/villages`, { villageCodes: [VILLAGE_B] }).expect(200);
    await get(facS, `/api/villages/${VILLAGE_B}`).expect(200);
    await send(adminS, 'put', `/api/facilitators/${fac.id}/villages`, { villageCodes: ['81.05.99.9999'] }).expect(400);
    await FacilitatorAssignmentModel.deleteMany({});
    await get(facS, `/api/villages/${VILLAGE_B}`).expect(404);
  });

  it('residents and Pokja get no session at all', async () => {
    const pokja = await makeMember('pokja', VILLAGE_A);
    expect(await h.ws.createLoginLink(pokja.id)).toBeNull();
    expect(await h.ws.createLoginLink(resident.id)).toBeNull();
  });
});

describe('injection attempts', () => {
  it('query operators in the query string are 400', async () => {
    for (const path of ['/api/reports?status[$ne]=baru', '/api/reports?$where=1', `/api/villages?kecamatan[$gt]=`, '/api/members?role[$regex]=.*']) {
      const res = await get(facS, path);
      expect(res.status, path).toBe(400);
    }
  });

  it('query operators in a body are 400 and change nothing', async () => {
    const res = await send(facS, 'patch', `/api/reports/${reportA}/review`, { status: { $gt: '' } }).expect(400);
    expect(res.body.error).toBe('operator_refused');
    await send(facS, 'patch', `/api/reports/${reportA}/review`, { status: 'selesai', $set: { memberId: 'x' } }).expect(400);
    await send(facS, 'put', `/api/plans/${VILLAGE_A}/2026`, { goals: [{ title: { $ne: null } }], challenges: [], activities: [] }).expect(400);
    const doc = await SubmissionModel.findById(reportA).lean();
    expect(doc!.review?.status).toBe('baru');
  });

  it('values of the wrong type or shape are 400 with the field named', async () => {
    const res = await get(facS, '/api/reports?status=unknown').expect(400);
    expect(res.body.issues[0].path).toBe('status');
    await get(facS, '/api/reports/not-an-id').expect(400);
    await get(facS, '/api/villages/81.05').expect(400);
    await get(facS, '/api/reports?limit=1000').expect(400);
    await get(facS, '/api/reports?unknownField=1').expect(400);
    await send(facS, 'patch', `/api/reports/${reportA}/review`, { status: 'selesai', extra: 1 }).expect(400);
    await request(h.app).patch(`/api/reports/${reportA}/review`).set('cookie', facS.cookie).set('x-csrf-token', facS.csrf)
      .set('content-type', 'application/json').send('{"status":').expect(400);
  });
});

describe('reports and review', () => {
  it('lists reports with labels in the chosen language', async () => {
    const id = await get(facS, `/api/reports/${reportA}`).expect(200);
    const type = id.body.labelled.answers.find((a: { id: string }) => a.id === 'type');
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    expect(type).toMatchObject({ label: t('type.label'), value: t('type.choices.banjir') });
    const en = await get(facS, `/api/reports/${reportA}?lang=en`).expect(200);
    expect(en.body.labelled.answers.find((a: { id: string }) => a.id === 'type').value).not.toBe(type.value);
    expect(id.body.location).toEqual({ latitude: -3.95, longitude: 131.1 });
    expect(JSON.stringify(id.body)).not.toContain(resident.platformUserId);
  });

  it('changing the status records a note, the audit log, and tells the reporter', async () => {
    h.notices.length = 0;
    const res = await send(facS, 'patch', `/api/reports/${reportA}/review`, { status: 'diverifikasi', note: 'Sudah dicek di lapangan' }).expect(200);
    expect(res.body.review.status).toBe('diverifikasi');
    expect(res.body.review.notes[0]).toMatchObject({ text: 'Sudah dicek di lapangan', status: 'diverifikasi', byName: 'Ibu Fasilitator' });
    expect(h.notices).toEqual([{ memberId: resident.id, message: { key: 'workspace:notice.report_status.diverifikasi', params: expect.objectContaining({ note: 'Sudah dicek di lapangan' }) } }]);
    const audit = await AuditLogModel.findOne({ action: 'report.review', targetId: reportA }).lean();
    expect(audit).toMatchObject({ actorName: 'Ibu Fasilitator', via: 'api', villageCode: VILLAGE_A, details: { from: 'baru', to: 'diverifikasi' } });
    const filtered = await get(facS, '/api/reports?status=diverifikasi').expect(200);
    expect(filtered.body.total).toBe(1);
    const log = await get(facS, '/api/audit').expect(200);
    expect(log.body.items.some((e: { action: string }) => e.action === 'report.review')).toBe(true);
  });

  it('risk reports that say what help is needed are listed apart from help requests', async () => {
    const res = await get(facS, '/api/help-requests/from-reports').expect(200);
    expect(res.body.items.map((r: { id: string }) => r.id)).toEqual([reportA]);
    // Help requests are the "Minta dihubungi" requests from chat (test/workspace/people.test.ts), not reports.
    const requests = await get(facS, '/api/help-requests').expect(200);
    expect(requests.body.items).toEqual([]);
  });

  it('the chat side lists new reports and sets a status', async () => {
    const fresh = await makeReport(resident.id, VILLAGE_A, { type: 'gelombang' });
    const list = await h.ws.listNewReports(fac.id);
    expect(list!.items.map((i) => i.id)).toContain(fresh);
    expect(list!.items.find((i) => i.id === fresh)!.text).toContain(h.i18n.getFixedT('id', 'laporan-risiko')('type.choices.gelombang'));
    expect(await h.ws.listNewReports(resident.id)).toBeNull();
    h.notices.length = 0;
    expect(await h.ws.setReportStatus({ memberId: fac.id, reportId: fresh, status: 'ditindaklanjuti' })).toEqual({ ok: true, status: 'ditindaklanjuti' });
    expect(h.notices.map((n) => n.memberId)).toEqual([resident.id]);
    expect(await h.ws.setReportStatus({ memberId: fac.id, reportId: reportB, status: 'selesai' })).toEqual({ ok: false, reason: 'not_found' });
    expect(await h.ws.setReportStatus({ memberId: resident.id, reportId: fresh, status: 'selesai' })).toEqual({ ok: false, reason: 'no_access' });
    const text = await h.ws.villageSummaryText(VILLAGE_A, 'id');
    expect(text).toContain('Ringkasan');
  });
});

describe('members', () => {
  it('never shows phone numbers or platform ids; paginates', async () => {
    const res = await get(facS, '/api/members?limit=2').expect(200);
    expect(res.body.limit).toBe(2);
    expect(res.body.total).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('platformUserId');
    expect(text).not.toContain('tg-');
    expect(res.body.items.every((m: { villageCode: string }) => m.villageCode === VILLAGE_A)).toBe(true);
  });
});

describe('plans', () => {
  it('create, read, change an activity; activity ids survive a replace', async () => {
    const put = await send(facS, 'put', `/api/plans/${VILLAGE_A}/2026`, {
      goals: [{ title: 'Pendapatan nelayan naik' }], challenges: [{ title: 'Harga ikan turun' }],
      activities: [{ title: 'Pelatihan ikan asin', owner: 'Pokja perikanan', targetDate: '2026-08-30' }],
    }).expect(200);
    const act = put.body.activities[0];
    expect(act).toMatchObject({ title: 'Pelatihan ikan asin', status: 'belum', targetDate: '2026-08-30' });
    const patched = await send(facS, 'patch', `/api/plans/${VILLAGE_A}/2026/activities/${act.id}`, { status: 'berjalan', percentDone: 40 }).expect(200);
    expect(patched.body.activities[0]).toMatchObject({ id: act.id, status: 'berjalan', percentDone: 40 });
    const replaced = await send(facS, 'put', `/api/plans/${VILLAGE_A}/2026`, {
      goals: put.body.goals, challenges: [], activities: [{ id: act.id, title: 'Pelatihan ikan asin dan abon' }, { title: 'Jemur kopra' }],
    }).expect(200);
    expect(replaced.body.activities[0]).toMatchObject({ id: act.id, status: 'berjalan', percentDone: 40 });
    const list = await get(facS, '/api/plans?year=2026').expect(200);
    expect(list.body.total).toBe(1);
    await send(facS, 'patch', `/api/plans/${VILLAGE_A}/2026/activities/${'0'.repeat(24)}`, { status: 'selesai' }).expect(404);
    await send(facS, 'patch', `/api/plans/${VILLAGE_A}/2026/activities/${act.id}`, { percentDone: 140 }).expect(400);
  });

  it('imports CSV with errors per row, and nothing changes on error', async () => {
    // "constructor" is no kind of row either (every object has that key).
    const bad = 'jenis,judul,penanggung_jawab,target,status,persen\nkegiatan,Baik,,2026-01-01,belum,0\nkegiatan,,,2026-13-01,entah,300\nmacam,X,,,,\nconstructor,Y,,,,\n';
    const res = await request(h.app).post(`/api/plans/${VILLAGE_A}/2027/import`).set('cookie', facS.cookie).set('x-csrf-token', facS.csrf)
      .set('content-type', 'text/csv').send(bad).expect(400);
    const rows = res.body.details.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`);
    expect(rows).toEqual(expect.arrayContaining(['3:judul', '3:target', '3:status', '3:persen', '4:jenis', '5:jenis']));
    expect(await VillagePlanModel.countDocuments({ villageCode: VILLAGE_A, year: 2027 })).toBe(0);
    const good = 'jenis;judul;penanggung_jawab;target;status;persen\ntujuan;Air bersih;;;;\nkegiatan;Tangki air;Pokja air;2027-05-01;berjalan;20\n';
    const ok = await request(h.app).post(`/api/plans/${VILLAGE_A}/2027/import`).set('cookie', facS.cookie).set('x-csrf-token', facS.csrf)
      .set('content-type', 'text/csv').send(good).expect(200);
    expect(ok.body).toMatchObject({ imported: 2, goals: [{ title: 'Air bersih' }], activities: [{ title: 'Tangki air', owner: 'Pokja air', status: 'berjalan', percentDone: 20 }] });
    await request(h.app).post(`/api/plans/${VILLAGE_A}/2027/import`).set('cookie', facS.cookie).set('x-csrf-token', facS.csrf)
      .set('content-type', 'application/json').send({}).expect(415);
  });

  it('imports the shipped XLSX template', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(new URL('../../templates/rencana-desa.xlsx', import.meta.url));
    const ok = await request(h.app).post(`/api/plans/${VILLAGE_A}/2028/import`).set('cookie', facS.cookie).set('x-csrf-token', facS.csrf)
      .set('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file).expect(200);
    expect(ok.body.activities.length).toBe(2);
    expect(ok.body.goals.length).toBe(1);
  });
});

describe('workshops and broadcasts', () => {
  it('schedules a workshop, records attendance, schedules a broadcast', async () => {
    const w = await send(facS, 'post', '/api/workshops', { title: 'Pemutakhiran 2026', villageCodes: [VILLAGE_A], place: 'Kataloka', startsAt: '2026-09-17T09:00:00+09:00', endsAt: '2026-09-18T16:00:00+09:00' }).expect(201);
    await send(facS, 'post', '/api/workshops', { title: 'X', villageCodes: [VILLAGE_B], place: 'Y', startsAt: '2026-09-17T09:00:00+09:00', endsAt: '2026-09-18T16:00:00+09:00' }).expect(404);
    await send(facS, 'post', '/api/workshops', { title: 'X', villageCodes: [VILLAGE_A], place: 'Y', startsAt: '2026-09-18T09:00:00+09:00', endsAt: '2026-09-17T16:00:00+09:00' }).expect(400);
    const att = await send(facS, 'put', `/api/workshops/${w.body.id}/attendance`, { attendance: [{ villageCode: VILLAGE_A, total: 23, women: 11 }] }).expect(200);
    expect(att.body.attendance).toEqual([{ villageCode: VILLAGE_A, total: 23, women: 11 }]);
    const list = await get(facS, '/api/workshops').expect(200);
    expect(list.body.total).toBeGreaterThanOrEqual(1);
    const b = await send(facS, 'post', '/api/broadcasts', { text: { id: 'Lokakarya besok jam 9 di Kataloka' }, villageCodes: [VILLAGE_A], scheduledAt: '2026-09-16T08:00:00+09:00', workshopId: w.body.id }).expect(201);
    expect(b.body).toMatchObject({ status: 'scheduled', villageCodes: [VILLAGE_A], text: { id: 'Lokakarya besok jam 9 di Kataloka' } });
    await send(facS, 'post', '/api/broadcasts', { text: { id: 'x' }, villageCodes: [VILLAGE_B], scheduledAt: '2026-09-16T08:00:00+09:00' }).expect(404);
    const bl = await get(facS, '/api/broadcasts').expect(200);
    expect(bl.body.items.length).toBe(1);
  });
});

describe('villages', () => {
  it('admins mark villages assisted; facilitators may not', async () => {
    await send(facS, 'patch', `/api/villages/${VILLAGE_A}`, { assisted: true }).expect(403);
    const res = await send(adminS, 'patch', `/api/villages/${VILLAGE_A}`, { assisted: true, planUpdateDate: '2026-09-17' }).expect(200);
    expect(res.body).toMatchObject({ assisted: true, planUpdateDate: '2026-09-17' });
    const summary = await get(facS, `/api/villages/${VILLAGE_A}/summary`).expect(200);
    expect(summary.body.risks.total).toBeGreaterThanOrEqual(1);
    expect(summary.body.points.length).toBe(1);
    await get(facS, '/api/kecamatan/81.05.15/summary').expect(200);
    await get(facS, '/api/kecamatan/81.05.09/summary').expect(404);
  });
});
