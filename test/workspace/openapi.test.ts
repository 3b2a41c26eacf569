import { Validator } from '@seriousme/openapi-schema-validator';
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { HelpRequestModel, MemberModel, SubmissionModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { attachReport } from '../../src/db/repositories/incidents.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, buildHarness, makeMember, makeReport, signIn, type Harness } from './harness.js';

useTestDatabase();

let h: Harness;
let key: string;
let spare: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await buildHarness();
  const admin = await makeMember('admin', VILLAGE_A, 'Admin');
  const fac = await makeMember('fasilitator', VILLAGE_A, 'Fasilitator');
  const resident = await makeMember('warga', VILLAGE_A);
  const s = await signIn(h, admin.id);
  const created = await request(h.app).post('/api/api-keys').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ name: 'openapi test' }).expect(201);
  key = created.body.key;
  const other = await request(h.app).post('/api/api-keys').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ name: 'to revoke' }).expect(201);
  spare = other.body.id;
  const plan = await VillagePlanModel.create({ villageCode: VILLAGE_A, year: 2026, activities: [{ title: 'Tangki air' }] });
  const workshop = await WorkshopModel.create({ title: 'L', villageCodes: [VILLAGE_A], place: 'P', startsAt: new Date(), endsAt: new Date() });
  ids.report = await makeReport(resident.id, VILLAGE_A);
  ids.activity = String(plan.activities[0]!._id);
  ids.workshop = String(workshop._id);
  ids.facilitator = fac.id;
  ids.help = 'help:telegram:4242';
  await HelpRequestModel.create({ _id: ids.help, memberId: resident.id, villageCode: VILLAGE_A, channel: 'telegram', context: 'laporan-risiko/type', requestedAt: new Date() });
  const unmatched = await MemberModel.create({ channel: 'telegram', platformUserId: 'tg-unmatched', name: 'Ibu Kilmuri', villageOther: 'Kilmuri', consent: { version: 'daftar v1', givenAt: new Date() }, registeredAt: new Date() });
  await SubmissionModel.create({ runId: unmatched._id, memberId: unmatched._id, flowId: 'daftar', flowVersion: 1, channel: 'telegram', submittedAt: new Date(), answers: { kecamatan: 'Teluk Waru', village: '__other__', village_other: 'Kilmuri' } });
  ids.unmatched = String(unmatched._id);
  // Two incidents of the village: the second is merged into the first, then split out again.
  const second = await makeReport(resident.id, VILLAGE_A, { type: 'rob' });
  const at = new Date();
  ids.incident = String((await attachReport({ id: new Types.ObjectId(ids.report), villageCode: VILLAGE_A, hazard: 'banjir', severity: 'berat', at, simulator: false }))._id);
  ids.otherIncident = String((await attachReport({ id: new Types.ObjectId(second), villageCode: VILLAGE_A, hazard: 'rob', severity: 'berat', at, simulator: false }))._id);
  ids.secondReport = second;
});

/** A valid example for each path parameter and request body, so every documented route can be called. */
function paramFor(path: string, name: string): string {
  switch (name) {
    case 'code': return path.startsWith('/api/kecamatan') ? '81.05.15' : VILLAGE_A;
    case 'year': return '2026';
    case 'activityId': return ids.activity!;
    case 'format': return 'csv';
    case 'flowId': return 'laporan-risiko';
    case 'id':
      if (path.startsWith('/api/workshops')) return ids.workshop!;
      if (path.startsWith('/api/facilitators')) return ids.facilitator!;
      if (path.startsWith('/api/api-keys')) return spare;
      if (path.startsWith('/api/help-requests')) return ids.help!;
      if (path.startsWith('/api/members')) return ids.unmatched!;
      if (path.startsWith('/api/incidents')) return ids.incident!;
      return ids.report!;
    default: throw new Error(`no example for ${name}`);
  }
}

const bodies: Record<string, unknown> = {
  'patch /api/villages/{code}': { assisted: true },
  'put /api/facilitators/{id}/villages': { villageCodes: [VILLAGE_A] },
  // The activity keeps its id, so the PATCH of that activity still finds it.
  get 'put /api/plans/{code}/{year}'() { return { goals: [], challenges: [], activities: [{ id: ids.activity, title: 'Tangki air' }] }; },
  'patch /api/plans/{code}/{year}/activities/{activityId}': { status: 'berjalan' },
  'patch /api/reports/{id}/review': { status: 'diverifikasi' },
  'put /api/villages/{code}/kabar': { held: true },
  'patch /api/incidents/{id}/review': { status: 'diverifikasi' },
  get 'post /api/incidents/{id}/merge'() { return { incidentId: ids.otherIncident }; },
  get 'post /api/incidents/{id}/split'() { return { reportId: ids.secondReport }; },
  'post /api/workshops': { title: 'T', villageCodes: [VILLAGE_A], place: 'P', startsAt: '2026-09-17T09:00:00+09:00', endsAt: '2026-09-17T12:00:00+09:00' },
  'put /api/workshops/{id}/attendance': { attendance: [{ villageCode: VILLAGE_A, total: 5 }] },
  'post /api/broadcasts': { text: { id: 'Halo' }, villageCodes: [VILLAGE_A], scheduledAt: '2026-09-16T08:00:00+09:00' },
  'post /api/api-keys': { name: 'k' },
  'patch /api/help-requests/{id}': { status: 'dihubungi', note: 'Sudah ditelepon' },
  'put /api/members/{id}/village': { villageCode: VILLAGE_A },
  'post /api/submissions/proxy': {
    flowId: 'laporan-risiko', villageCode: VILLAGE_A, forName: 'Ibu Maria', consentAloud: true,
    answers: { type: 'banjir', date: 'kemarin', place: 'Dusun Kota', severity: 'sedang' },
  },
};
const queries: Record<string, string> = { 'get /api/exports/{format}': '?flow=laporan-risiko' };

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await request(h.app).get('/api/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('every documented route answers as documented', async () => {
    const doc = (await request(h.app).get('/api/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }>>;
    };
    const called: string[] = [];
    // Deletes last, so the key used to call is revoked only at the end.
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
      .sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
    for (const { path, method, op } of ops) {
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => paramFor(path, name)) + (queries[`${method} ${path}`] ?? '');
      let req = request(h.app)[method as 'get'](url).set('authorization', `Bearer ${key}`);
      const content = op.requestBody?.content ?? {};
      if (content['text/csv']) req = req.set('content-type', 'text/csv').send('jenis,judul\nkegiatan,Tangki air\n');
      else if (content['application/json']) req = req.send(bodies[`${method} ${path}`] as object);
      const res = await req;
      const documented = Object.keys(op.responses);
      expect(documented, `${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`).toContain(String(res.status));
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      called.push(`${method} ${path}`);
      // And without credentials: 401.
      const anon = await request(h.app)[method as 'get'](url);
      expect(anon.status, `${method} ${url} without credentials`).toBe(path === '/api/openapi.json' ? 200 : 401);
    }
    expect(called.length).toBeGreaterThanOrEqual(30);
  });

  it('an undocumented path under /api is 404', async () => {
    const res = await request(h.app).get('/api/nothing-here').set('authorization', `Bearer ${key}`).expect(404);
    expect(res.body.error).toBe('not_found');
  });
});
