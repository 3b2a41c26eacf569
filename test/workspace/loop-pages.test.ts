/** The incident and kabar pages and API: what a facilitator sees and does there. */
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmissionModel } from '../../src/db/models.js';
import { attachReport } from '../../src/db/repositories/incidents.js';
import { markNewsSent } from '../../src/db/repositories/village-news.js';
import { newsMonth } from '../../src/facilitator/kabar.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, buildHarness, makeMember, makeReport, signIn, type Harness } from './harness.js';

useTestDatabase();

let h: Harness;
beforeAll(async () => {
  h = await buildHarness();
});

describe('incident pages', () => {
  it('list an incident with its reporters counted; one review on its page reaches every reporter', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const people = [await makeMember('warga', VILLAGE_A), await makeMember('warga', VILLAGE_A), await makeMember('warga', VILLAGE_A)];
    const start = h.clock.now.getTime();
    let incident = '';
    for (const [n, p] of people.entries()) {
      const at = new Date(start - (120 - n * 50) * 60_000);
      const id = await makeReport(p.id, VILLAGE_A, { severity: n === 1 ? 'berat' : 'sedang', photo: { mediaId: 'a'.repeat(24) } }, at);
      incident = String((await attachReport({ id: new Types.ObjectId(id), villageCode: VILLAGE_A, hazard: 'banjir', severity: n === 1 ? 'berat' : 'sedang', at, simulator: false }))._id);
    }
    const s = await signIn(h, fac.id);
    const list = await request(h.app).get('/app/kejadian').set('cookie', s.cookie).expect(200);
    expect(list.text).toContain('3 laporan dari 3 orang');
    expect(list.text).toContain('Banjir atau banjir bandang');
    const page = await request(h.app).get(`/app/kejadian/${incident}`).set('cookie', s.cookie).expect(200);
    expect(page.text).toContain('Paling parah: Berat');
    expect(page.text).toContain('Status untuk 3 laporan');
    expect(page.text.match(/class="photo"/g)).toHaveLength(3);

    h.notices.length = 0;
    await request(h.app).post(`/app/kejadian/${incident}/status`).set('cookie', s.cookie).type('form').send({ status: 'selesai', _csrf: s.csrf }).expect(303);
    expect(h.notices.map((n) => n.memberId).sort()).toEqual(people.map((p) => p.id).sort());
    expect(h.notices.every((n) => n.message.key === 'workspace:notice.report_status.selesai')).toBe(true);
    expect(await SubmissionModel.countDocuments({ 'review.status': 'selesai' })).toBe(3);

    const api = await request(h.app).get('/api/incidents').set('cookie', s.cookie).expect(200);
    expect(api.body.items[0]).toMatchObject({ reports: 3, reporters: 3, worstSeverity: 'berat', status: 'selesai' });
    const split = await request(h.app).post(`/api/incidents/${incident}/split`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ reportId: String(new Types.ObjectId()) }).expect(400);
    expect(split.body.message).toBe('That report is not part of this incident.');
    // Another village's facilitator sees none of it.
    const other = await signIn(h, (await makeMember('fasilitator', VILLAGE_B)).id);
    await request(h.app).get(`/api/incidents/${incident}`).set('cookie', other.cookie).expect(404);
  });
});

describe('kabar page', () => {
  it('shows the preview residents will read, holds and releases it; once sent it cannot be held (409)', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_B);
    await makeMember('warga', VILLAGE_B);
    const s = await signIn(h, fac.id);
    const page = await request(h.app).get(`/app/kabar?village=${VILLAGE_B}`).set('cookie', s.cookie).expect(200);
    expect(page.text).toContain('Kabar desa Pulau Panjang, 30 hari terakhir:');
    expect(page.text).toMatch(/ke 1 warga/);
    await request(h.app).post(`/app/kabar/${VILLAGE_B}/tahan`).set('cookie', s.cookie).type('form').send({ held: 'true', _csrf: s.csrf }).expect(303);
    const held = await request(h.app).get(`/api/villages/${VILLAGE_B}/kabar`).set('cookie', s.cookie).expect(200);
    expect(held.body).toMatchObject({ held: true, recipients: 1 });
    expect(held.body.preview.en).toMatch(/^News from Pulau Panjang/);
    await request(h.app).put(`/api/villages/${VILLAGE_B}/kabar`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ held: false }).expect(200);

    await markNewsSent(VILLAGE_B, newsMonth(h.clock.now, 'Asia/Jayapura'), 1, h.clock.now);
    const next = await request(h.app).get(`/api/villages/${VILLAGE_B}/kabar`).set('cookie', s.cookie).expect(200);
    expect(next.body.month).not.toBe(newsMonth(h.clock.now, 'Asia/Jayapura'));
    await request(h.app).put(`/api/villages/${VILLAGE_A}/kabar`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ held: true }).expect(404);
    await request(h.app).put(`/api/villages/${VILLAGE_B}/kabar`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ held: 'ja' }).expect(400);
  });
});

describe('drop-out page', () => {
  it('shows a flow\'s started, reached and finished figures with filters; a bad date is a 400 with a reason', async () => {
    const fac = await makeMember('fasilitator', VILLAGE_A);
    const s = await signIn(h, fac.id);
    const page = await request(h.app).get(`/app/alur?flow=laporan-risiko&village=${VILLAGE_A}`).set('cookie', s.cookie).expect(200);
    // The reports made above have no run: each counts as started and finished.
    expect(page.text).toMatch(/<strong>\d+ mulai<\/strong> · \d+ selesai \(100%\)/);
    expect(page.text).toContain('Sampai di pertanyaan');
    expect(page.text).toContain('<option value="laporan-risiko" selected>');
    const bad = await request(h.app).get('/api/flows/laporan-risiko/funnel?from=kemarin').set('cookie', s.cookie).expect(400);
    expect(JSON.stringify(bad.body)).toContain('from');
    await request(h.app).get('/api/flows/tidak-ada/funnel').set('cookie', s.cookie).expect(404);
  });
});
