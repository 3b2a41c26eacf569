/**
 * Help requests ("Minta dihubungi") and registrations with a village not in the list, in the
 * API and the pages: who sees what, status changes with notes and audit, an admin setting a
 * person's village (the person is told).
 */
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, HelpRequestModel, MemberModel, SubmissionModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let facS: Session;
let adminS: Session;
let resident: { id: string };
let reportA: string;
const HELP_A = 'help:telegram:1001';
const HELP_B = 'help:telegram:1002';
const HELP_NONE = 'help:whatsapp:wamid.HBgLNjI4MTIzNDU2Nzg5FQIAEhg=';

const get = (s: Session, path: string) => request(h.app).get(path).set('cookie', s.cookie);
const send = (s: Session, method: 'post' | 'put' | 'patch', path: string, body?: unknown) =>
  request(h.app)[method](path).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send(body as object);

beforeAll(async () => {
  h = await buildHarness();
  const fac = await makeMember('fasilitator', VILLAGE_A, 'Ibu Fasilitator');
  const admin = await makeMember('admin', null, 'Koordinator');
  resident = await makeMember('warga', VILLAGE_A, 'Pak Warga');
  const residentB = await makeMember('warga', VILLAGE_B, 'Warga B');
  facS = await signIn(h, fac.id);
  adminS = await signIn(h, admin.id);
  const at = new Date('2026-11-20T01:00:00Z');
  // As the chat side stores them (src/conversation/commands.ts requestHelp).
  await HelpRequestModel.create([
    { _id: HELP_A, memberId: resident.id, villageCode: VILLAGE_A, channel: 'telegram', context: 'laporan-risiko/place', status: 'baru', requestedAt: at },
    { _id: HELP_B, memberId: residentB.id, villageCode: VILLAGE_B, channel: 'telegram', context: null, status: 'baru', requestedAt: new Date(at.getTime() + 60_000) },
    { _id: HELP_NONE, memberId: null, villageCode: null, channel: 'whatsapp', context: 'daftar/village', status: 'baru', requestedAt: new Date(at.getTime() + 120_000) },
  ]);
  reportA = await makeReport(resident.id, VILLAGE_A, { help: 'Terpal dan beras' });
  await makeReport(resident.id, VILLAGE_A);
});

describe('help requests in the API', () => {
  it('lists the real help requests of the facilitator\'s villages: who, village, when, where they were, status', async () => {
    const res = await get(facS, '/api/help-requests').expect(200);
    expect(res.body.total).toBe(1);
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    expect(res.body.items[0]).toMatchObject({
      id: HELP_A, member: { id: resident.id, name: 'Pak Warga', role: 'warga' }, villageCode: VILLAGE_A, villageName: 'Solang', channel: 'telegram',
      requestedAt: '2026-11-20T01:00:00.000Z', status: 'baru', notes: [],
      context: { raw: 'laporan-risiko/place', flowId: 'laporan-risiko', questionId: 'place', flow: t('title'), question: t('place.label') },
    });
  });

  it('an admin sees all, also a request from someone without a village', async () => {
    const res = await get(adminS, '/api/help-requests').expect(200);
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([HELP_NONE, HELP_B, HELP_A]);
    expect(res.body.items[0]).toMatchObject({ member: null, villageCode: null, context: { flowId: 'daftar', questionId: 'village' } });
    const b = res.body.items.find((i: { id: string }) => i.id === HELP_B);
    expect(b.context).toBeNull();
  });

  it('filters by status; refuses unknown values and operators', async () => {
    await get(facS, '/api/help-requests?status=selesai').expect(200).then((r) => expect(r.body.items).toEqual([]));
    const bad = await get(facS, '/api/help-requests?status=entah').expect(400);
    expect(bad.body.issues[0].path).toBe('status');
    await get(facS, '/api/help-requests?status[$ne]=baru').expect(400);
    await get(facS, `/api/help-requests?village=${VILLAGE_B}`).expect(200).then((r) => expect(r.body.items).toEqual([]));
  });

  it('a status change with a note is recorded on the request and in the audit log', async () => {
    const res = await send(facS, 'patch', `/api/help-requests/${HELP_A}`, { status: 'dihubungi', note: 'Sudah ditelepon, datang besok' }).expect(200);
    expect(res.body).toMatchObject({ id: HELP_A, status: 'dihubungi', note: 'Sudah ditelepon, datang besok', notes: [{ status: 'dihubungi', byName: 'Ibu Fasilitator', text: 'Sudah ditelepon, datang besok' }] });
    expect(res.body.handledAt).not.toBeNull();
    const audit = await AuditLogModel.findOne({ action: 'help.status', targetId: HELP_A }).lean();
    expect(audit).toMatchObject({ actorName: 'Ibu Fasilitator', via: 'api', villageCode: VILLAGE_A, details: { from: 'baru', to: 'dihubungi', note: 'Sudah ditelepon, datang besok' } });
    const done = await send(facS, 'patch', `/api/help-requests/${HELP_A}`, { status: 'selesai' }).expect(200);
    expect(done.body.notes.map((n: { status: string }) => n.status)).toEqual(['dihubungi', 'selesai']);
    expect(done.body.note).toBe('Sudah ditelepon, datang besok');
    expect((await HelpRequestModel.findById(HELP_A).lean())!.status).toBe('selesai');
  });

  it('validation: unknown status, extra fields, a malformed id are 400', async () => {
    await send(facS, 'patch', `/api/help-requests/${HELP_A}`, { status: 'ditolak' }).expect(400);
    await send(facS, 'patch', `/api/help-requests/${HELP_A}`, { status: 'baru', extra: 1 }).expect(400);
    await send(facS, 'patch', `/api/help-requests/${HELP_A}`, { status: { $gt: '' } }).expect(400);
    await send(facS, 'patch', '/api/help-requests/not-a-help-id', { status: 'baru' }).expect(400);
  });

  it('another village\'s request is 404, and so is one that does not exist', async () => {
    await send(facS, 'patch', `/api/help-requests/${HELP_B}`, { status: 'dihubungi' }).expect(404);
    await send(facS, 'patch', `/api/help-requests/${encodeURIComponent(HELP_NONE)}`, { status: 'dihubungi' }).expect(404);
    await send(facS, 'patch', '/api/help-requests/help:telegram:999999', { status: 'dihubungi' }).expect(404);
    expect((await HelpRequestModel.findById(HELP_B).lean())!.status).toBe('baru');
    await send(adminS, 'patch', `/api/help-requests/${encodeURIComponent(HELP_NONE)}`, { status: 'dihubungi' }).expect(200);
  });

  it('without a session: 401', async () => {
    await request(h.app).get('/api/help-requests').expect(401);
    await request(h.app).patch(`/api/help-requests/${HELP_A}`).send({ status: 'baru' }).expect(401);
    await request(h.app).get('/api/help-requests/from-reports').expect(401);
  });

  it('risk reports\' "help needed" answers are listed separately', async () => {
    const res = await get(facS, '/api/help-requests/from-reports').expect(200);
    expect(res.body.items.map((r: { id: string }) => r.id)).toEqual([reportA]);
    await get(facS, `/api/help-requests/from-reports?village=${VILLAGE_B}`).expect(200).then((r) => expect(r.body.items).toEqual([]));
  });
});

describe('help requests in the pages', () => {
  it('shows who asked, where they were, and changes the status with the CSRF token', async () => {
    const page = await get(facS, '/app/bantuan').expect(200);
    expect(page.text).toContain('Pak Warga');
    expect(page.text).toContain(h.i18n.getFixedT('id', 'laporan-risiko')('place.label'));
    expect(page.text).not.toContain('Warga B');
    expect(page.text).toContain('Terpal dan beras');
    await request(h.app).post('/app/bantuan/status').set('cookie', facS.cookie).type('form').send({ id: HELP_A, status: 'baru' }).expect(403);
    const saved = await request(h.app).post('/app/bantuan/status').set('cookie', facS.cookie).type('form').send({ id: HELP_A, status: 'baru', note: 'Dibuka lagi', _csrf: facS.csrf }).expect(303);
    const back = await get(facS, saved.headers.location!.split('#')[0]!).expect(200);
    expect(back.text).toContain('Dibuka lagi');
    expect((await HelpRequestModel.findById(HELP_A).lean())!).toMatchObject({ status: 'baru', note: 'Dibuka lagi' });
    await request(h.app).post('/app/bantuan/status').set('cookie', facS.cookie).type('form').send({ id: HELP_B, status: 'selesai', _csrf: facS.csrf }).expect(404);
    const filtered = await get(facS, '/app/bantuan?status=selesai&lang=en').expect(200);
    expect(filtered.text).toContain('No help requests.');
  });
});

describe('registrations with a village not in the list', () => {
  let inTeluk: string;
  let elsewhere: string;
  beforeAll(async () => {
    // As registration leaves them: no village code, the typed name, and "__other__" in the answers.
    const make = async (name: string, kecamatan: string, typed: string) => {
      const m = await MemberModel.create({
        channel: 'telegram', platformUserId: `tg-${new Types.ObjectId()}`, name, role: 'warga', villageCode: null, villageOther: typed, language: 'id',
        consent: { version: 'daftar v1', givenAt: new Date() }, registeredAt: new Date(),
      });
      await SubmissionModel.create({
        runId: new Types.ObjectId(), memberId: m._id, villageCode: null, flowId: 'daftar', flowVersion: 1, channel: 'telegram', submittedAt: new Date(),
        answers: { consent: true, minor: false, name, kecamatan, village: '__other__', village_other: typed, role: 'warga' },
      });
      return String(m._id);
    };
    inTeluk = await make('Ibu Kilmuri', 'Teluk Waru', 'Kilmuri');
    elsewhere = await make('Pak Geser', '__other__', 'Geser, Seram Timur');
    // A report sent before the village was known.
    await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: inTeluk, villageCode: null, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: new Date(), answers: { type: 'rob' } });
  });

  it('a facilitator sees those of their kecamatan; an admin sees all', async () => {
    const fac = await get(facS, '/api/members/unmatched').expect(200);
    expect(fac.body.items).toEqual([expect.objectContaining({ id: inTeluk, name: 'Ibu Kilmuri', villageOther: 'Kilmuri', kecamatan: 'Teluk Waru' })]);
    expect(JSON.stringify(fac.body)).not.toContain('tg-');
    const all = await get(adminS, '/api/members/unmatched').expect(200);
    expect(all.body.items.map((m: { id: string }) => m.id).sort()).toEqual([inTeluk, elsewhere].sort());
    expect(all.body.items.find((m: { id: string }) => m.id === elsewhere).kecamatan).toBeNull();
    await request(h.app).get('/api/members/unmatched').expect(401);
    await get(adminS, '/api/members/unmatched?limit=0').expect(400);
  });

  it('only an admin sets the village; the person is told, it is audited, earlier reports get the village', async () => {
    await send(facS, 'put', `/api/members/${inTeluk}/village`, { villageCode: VILLAGE_A }).expect(403);
    await send(adminS, 'put', `/api/members/${inTeluk}/village`, { villageCode: '81.05.99.9999' }).expect(400);
    await send(adminS, 'put', `/api/members/${inTeluk}/village`, { villageCode: 'Solang' }).expect(400);
    await send(adminS, 'put', `/api/members/${inTeluk}/village`, { villageCode: { $ne: null } }).expect(400);
    await send(adminS, 'put', `/api/members/${'0'.repeat(24)}/village`, { villageCode: VILLAGE_A }).expect(404);
    h.notices.length = 0;
    const res = await send(adminS, 'put', `/api/members/${inTeluk}/village`, { villageCode: VILLAGE_A }).expect(200);
    expect(res.body).toMatchObject({ id: inTeluk, villageCode: VILLAGE_A, villageName: 'Solang', villageOther: 'Kilmuri' });
    expect(await MemberModel.findById(inTeluk).lean()).toMatchObject({ villageCode: VILLAGE_A, villageOther: null });
    expect(h.notices).toEqual([{ memberId: inTeluk, message: { key: 'workspace:notice.village_set', params: { village: 'Solang', kecamatan: 'Teluk Waru', typed: 'Kilmuri' } } }]);
    for (const lang of ['id', 'en']) {
      const text = h.i18n.getFixedT(lang)('workspace:notice.village_set', h.notices[0]!.message.params);
      expect(text).toContain('Solang');
      expect(text).toContain('Kilmuri');
    }
    expect(await AuditLogModel.findOne({ action: 'member.village_set', targetId: inTeluk }).lean()).toMatchObject({ actorName: 'Koordinator', villageCode: VILLAGE_A, details: { villageOther: 'Kilmuri', submissions: 1 } });
    expect(await SubmissionModel.countDocuments({ memberId: inTeluk, villageCode: VILLAGE_A, flowId: 'laporan-risiko' })).toBe(1);
    // Matched already: a second time is a conflict, and the list no longer has them.
    await send(adminS, 'put', `/api/members/${inTeluk}/village`, { villageCode: VILLAGE_B }).expect(409);
    const all = await get(adminS, '/api/members/unmatched').expect(200);
    expect(all.body.items.map((m: { id: string }) => m.id)).toEqual([elsewhere]);
  });

  it('the page lists them; an admin sets the village from it', async () => {
    const facPage = await get(facS, '/app/desa-lain').expect(200);
    expect(facPage.text).not.toContain('Geser, Seram Timur');
    expect(facPage.text).not.toContain('name="villageCode"');
    const page = await get(adminS, '/app/desa-lain').expect(200);
    expect(page.text).toContain('Geser, Seram Timur');
    expect(page.text).toContain('name="villageCode"');
    await request(h.app).post(`/app/desa-lain/${elsewhere}`).set('cookie', facS.cookie).type('form').send({ villageCode: VILLAGE_B, _csrf: facS.csrf }).expect(403);
    const done = await request(h.app).post(`/app/desa-lain/${elsewhere}`).set('cookie', adminS.cookie).type('form').send({ villageCode: VILLAGE_B, _csrf: adminS.csrf }).expect(303);
    expect((await get(adminS, done.headers.location!).expect(200)).text).not.toContain('Geser, Seram Timur');
    expect(await MemberModel.findById(elsewhere).lean()).toMatchObject({ villageCode: VILLAGE_B, villageOther: null });
  });
});

describe('help requests in the village summary', () => {
  it('counts them by status beside the reports\' "help needed" answers, in the API, the page and the chat summary', async () => {
    await HelpRequestModel.updateOne({ _id: HELP_A }, { $set: { status: 'baru' } });
    const res = await get(facS, `/api/villages/${VILLAGE_A}/summary`).expect(200);
    expect(res.body.helpRequests).toEqual({ total: 1, byStatus: { baru: 1 } });
    expect(res.body.help.map((x: { id: string }) => x.id)).toEqual([reportA]);
    const page = await get(facS, `/app/desa/${VILLAGE_A}`).expect(200);
    expect(page.text).toContain(`href="/app/bantuan?village=${VILLAGE_A}"`);
    expect(page.text).toContain('Bantuan yang dibutuhkan (dari laporan risiko)');
    expect(await h.ws.villageSummaryText(VILLAGE_A, 'id')).toContain('Minta dihubungi: 1 belum dihubungi');
    expect(await h.ws.villageSummaryText(VILLAGE_A, 'en')).toContain('Asked to be contacted: 1');
  });
});
