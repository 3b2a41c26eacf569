import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemberModel, SubmissionModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { removeDemo, seedDemo } from '../../src/db/demo-seed.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, buildHarness, makeMember, signIn, type Harness } from './harness.js';

useTestDatabase();

let h: Harness;
beforeAll(async () => {
  h = await buildHarness();
});

describe('demo seed', () => {
  it('loads 15 villages of demo data, shows it in the pages, and removes exactly that', async () => {
    const own = await makeMember('warga', VILLAGE_A, 'Bukan contoh');
    await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: own.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: new Date(), answers: { type: 'banjir' } });
    const demo = await seedDemo(h.clock.now);
    expect(demo.villages).toBe(15);
    expect(await SubmissionModel.countDocuments({ demo: true })).toBe(demo.submissions);
    expect(await VillagePlanModel.countDocuments({ demo: true })).toBe(15);
    expect(await SubmissionModel.countDocuments({ demo: true, flowId: 'laporan-risiko', 'answers.location': { $exists: true } })).toBeGreaterThan(20);

    // A demo facilitator sees their five villages with charts and a map.
    const s = await signIn(h, demo.facilitatorIds[0]!);
    const villages = await request(h.app).get('/api/villages').set('cookie', s.cookie).expect(200);
    expect(villages.body.items).toHaveLength(5);
    const code = villages.body.items[0].code as string;
    const page = await request(h.app).get(`/app/desa/${code}`).set('cookie', s.cookie).set('accept-encoding', 'gzip').expect(200);
    // Compressed for a weak connection (supertest unzips the body for the checks below).
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(page.text).toContain('<svg class="chart"');
    expect(page.text).toContain('id="map-data"');
    expect(page.text).toContain('/app/static/leaflet/leaflet.js');
    expect(page.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const kec = await request(h.app).get(`/app/kecamatan/${code.slice(0, 8)}`).set('cookie', s.cookie).expect(200);
    expect(kec.text).toContain('<svg class="chart"');
    for (const path of ['/app', '/app/laporan', '/app/rencana', `/app/rencana/${code}/${h.clock.now.getUTCFullYear()}`, '/app/lokakarya', '/app/ekspor', '/app/audit', '/app/laporan?lang=en']) {
      const res = await request(h.app).get(path).set('cookie', s.cookie);
      expect(res.status, path).toBe(200);
      expect(res.text, path).toContain('<main>');
    }
    // Seeding twice does not double anything.
    const again = await seedDemo(h.clock.now);
    expect(await SubmissionModel.countDocuments({ demo: true })).toBe(again.submissions);

    const removed = await removeDemo();
    expect(removed.submissions).toBe(again.submissions);
    expect(await SubmissionModel.countDocuments({ demo: true })).toBe(0);
    expect(await VillagePlanModel.countDocuments({ demo: true })).toBe(0);
    expect(await WorkshopModel.countDocuments({ demo: true })).toBe(0);
    expect(await MemberModel.countDocuments({ platformUserId: /^demo:/ })).toBe(0);
    expect(await SubmissionModel.countDocuments({ memberId: own.id })).toBe(1);
    expect(await MemberModel.countDocuments({ _id: own.id })).toBe(1);
  });
});

describe('pages', () => {
  it('review form changes the status with the CSRF token and tells the reporter', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const resident = await makeMember('warga', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const id = String((await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: resident.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: new Date(), answers: { type: 'rob' } }))._id);
    const page = await request(h.app).get(`/app/laporan/${id}`).set('cookie', s.cookie).expect(200);
    expect(page.text).toContain(`name="_csrf" value="${s.csrf}"`);
    await request(h.app).post(`/app/laporan/${id}/status`).set('cookie', s.cookie).type('form').send({ status: 'selesai' }).expect(403);
    h.notices.length = 0;
    await request(h.app).post(`/app/laporan/${id}/status`).set('cookie', s.cookie).type('form').send({ status: 'selesai', note: 'Sudah dibantu', _csrf: s.csrf }).expect(303);
    expect(h.notices).toEqual([expect.objectContaining({ memberId: resident.id })]);
    await request(h.app).post(`/app/laporan/${id}/status`).set('cookie', s.cookie).type('form').send({ 'status[$ne]': 'x', _csrf: s.csrf }).expect(400);
    const refused = await request(h.app).post(`/app/laporan/${id}/status`).set('cookie', s.cookie).type('form').send({ status: 'beres', _csrf: s.csrf }).expect(400);
    // Said in the facilitator's language, not the API's English.
    expect(refused.text).toContain('Isian formulir belum sesuai. Periksa lagi, lalu kirim ulang.');
    expect(refused.text).not.toContain('The request is not valid');
  });

  it('plan import through the page: errors per row are shown, nothing changes', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const res = await request(h.app).post(`/app/rencana/${VILLAGE_A}/2030/impor`).set('cookie', s.cookie)
      .field('_csrf', s.csrf).attach('file', Buffer.from('jenis,judul\nkegiatan,\n'), { filename: 'rencana.csv', contentType: 'text/csv' }).expect(400);
    expect(res.text).toContain('Baris 2');
    await request(h.app).post(`/app/rencana/${VILLAGE_A}/2030/impor`).set('cookie', s.cookie)
      .attach('file', Buffer.from('jenis,judul\nkegiatan,Sumur\n'), { filename: 'rencana.csv', contentType: 'text/csv' }).expect(403);
    const ok = await request(h.app).post(`/app/rencana/${VILLAGE_A}/2030/impor`).set('cookie', s.cookie)
      .field('_csrf', s.csrf).attach('file', Buffer.from('jenis,judul\nkegiatan,Sumur\n'), { filename: 'rencana.csv', contentType: 'text/csv' }).expect(200);
    expect(ok.text).toContain('Sumur');
  });
});
