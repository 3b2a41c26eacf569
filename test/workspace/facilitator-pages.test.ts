/**
 * Issue 18, point 4, page by page as a facilitator reads them (the HTML text, not the data):
 * workshop RSVPs from chat and attendance recorded on the page; the audit log in plain
 * Indonesian; a review's confirmation; broadcast statuses in words with "Hentikan siaran" only
 * while sending; a kecamatan's activities named by village; people and reports of "desa lain"
 * with the village they wrote and a way to reach them. (Widths and the map: browser.test.ts.)
 */
import { Types } from 'mongoose';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { BroadcastModel, MemberModel, SubmissionModel, VillagePlanModel, WorkshopModel } from '../../src/db/models.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, VILLAGE_WARU, buildHarness, makeMember, makeReport, makeWorkshopWithRsvps, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
beforeAll(async () => {
  h = await buildHarness();
});

/** What a person reads: the page without tags, scripts and attributes, entities decoded. */
function visibleText(html: string): string {
  return html.replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');
}
const mainText = (html: string) => visibleText(html.slice(html.indexOf('<main>')));

const get = (s: Session, path: string) => request(h.app).get(path).set('cookie', s.cookie).expect(200);
const postForm = (s: Session, path: string, form: Record<string, string | string[]>) =>
  request(h.app).post(path).set('cookie', s.cookie).type('form').send({ ...form, _csrf: s.csrf });

async function facilitator(name: string, village = VILLAGE_A) {
  const m = await makeMember('fasilitator', village, name);
  return { ...m, s: await signIn(h, m.id) };
}

describe('workshops page', () => {
  it('shows the answers from chat per village and records attendance on the page', async () => {
    const fac = await facilitator('Ibu Wati');
    const w = await makeWorkshopWithRsvps(h.clock, 'Lokakarya RSVP');
    const before = mainText((await get(fac.s, '/app/lokakarya')).text);
    expect(before).toContain('Lokakarya RSVP');
    expect(before).toContain('Jawaban undangan dari chat Desa Hadir Mungkin Tidak Belum jawab Solang 1 1 0 1');
    // Waru is not this facilitator's village: neither its answers nor its attendance form.
    expect(before).not.toContain('Waru');

    const saved = await postForm(fac.s, `/app/lokakarya/${w.id}/kehadiran`, { villageCode: VILLAGE_A, total: '14', women: '6' }).expect(303);
    expect(saved.headers.location).toBe(`/app/lokakarya?saved=attendance#w-${w.id}`);
    const after = await get(fac.s, '/app/lokakarya?saved=attendance');
    expect(mainText(after.text)).toContain('Kehadiran tersimpan.');
    expect(after.text).toContain('name="total" min="0" max="10000" inputmode="numeric" value="14"');
    expect((await WorkshopModel.findById(w.id).lean())!.attendance).toEqual([expect.objectContaining({ villageCode: VILLAGE_A, total: 14, women: 6 })]);

    const bad = await postForm(fac.s, `/app/lokakarya/${w.id}/kehadiran`, { villageCode: VILLAGE_A, total: '-3' }).expect(400);
    expect(mainText(bad.text)).toContain('Jumlah yang hadir harus angka bulat 0 atau lebih');
    // Another village's row, as a forged form: 404 (as for any village not theirs), nothing changes.
    await postForm(fac.s, `/app/lokakarya/${w.id}/kehadiran`, { villageCode: VILLAGE_WARU, total: '3' }).expect(404);
    expect((await WorkshopModel.findById(w.id).lean())!.attendance).toHaveLength(1);

    const audit = mainText((await get(fac.s, '/app/audit')).text);
    expect(audit).toContain('Ibu Wati, lewat ruang kerja');
    expect(audit).toContain('Mencatat kehadiran lokakarya “Lokakarya RSVP”: Solang dari belum dicatat menjadi 14 orang (6 perempuan).');
  });

  it('says broadcast statuses in Indonesian, offers "Hentikan siaran" only while sending, and names the page once', async () => {
    const fac = await facilitator('Pak Broadcast');
    const base = { kind: 'announcement', audience: { villageCodes: [VILLAGE_A], roles: [] }, scheduledAt: h.clock.now, createdBy: new Types.ObjectId(fac.id) };
    await BroadcastModel.create({ ...base, text: { id: 'Siaran yang sudah selesai' }, status: 'done' });
    const sending = await BroadcastModel.create({ ...base, text: { id: 'Siaran yang sedang jalan' }, status: 'sending' });
    const html = (await get(fac.s, '/app/lokakarya')).text;
    const text = mainText(html);
    expect(text).toContain('Selesai dikirim');
    expect(text).toContain('Sedang dikirim');
    expect(text).not.toMatch(/\b(done|sending)\b/);
    expect(html.match(/Hentikan siaran/g)).toHaveLength(1);
    expect(html).toContain(`action="/app/siaran/${sending._id}/hentikan"`);
    expect(text.match(/Lokakarya & siaran/g)).toHaveLength(1);

    await postForm(fac.s, `/app/siaran/${sending._id}/hentikan`, {}).expect(303);
    expect((await BroadcastModel.findById(sending._id).lean())!.status).toBe('cancelled');
    const stopped = (await get(fac.s, '/app/lokakarya?saved=stopped')).text;
    expect(mainText(stopped)).toContain('Siaran dihentikan');
    expect(stopped).not.toContain('Hentikan siaran');
    const again = await postForm(fac.s, `/app/siaran/${sending._id}/hentikan`, {}).expect(400);
    expect(mainText(again.text)).toContain('Siaran ini tidak sedang dikirim lagi');
  });
});

describe('review and audit log', () => {
  it('a saved review is confirmed on the page, and the audit log says it in plain Indonesian without JSON or ids', async () => {
    const fac = await facilitator('Ibu Reviu');
    const reporter = await makeMember('warga', VILLAGE_A, 'Pak Pelapor');
    const reportId = await makeReport(reporter.id, VILLAGE_A);
    const saved = await postForm(fac.s, `/app/laporan/${reportId}/status`, { status: 'ditindaklanjuti', note: 'Karung pasir dikirim.' }).expect(303);
    expect(saved.headers.location).toBe(`/app/laporan/${reportId}?saved=told`);
    const page = mainText((await get(fac.s, saved.headers.location!)).text);
    expect(page).toContain('Tinjauan tersimpan: Ditindaklanjuti. Pelapor sudah diberi tahu lewat chat.');

    // The same status again with a note only: saved, and nobody is told twice.
    const again = await postForm(fac.s, `/app/laporan/${reportId}/status`, { status: 'ditindaklanjuti', note: 'Sudah sampai.' }).expect(303);
    expect(again.headers.location).toBe(`/app/laporan/${reportId}?saved=1`);
    expect(mainText((await get(fac.s, again.headers.location!)).text)).not.toContain('diberi tahu');

    const html = (await get(fac.s, '/app/audit')).text;
    const text = mainText(html);
    expect(text).toContain('Ibu Reviu, lewat ruang kerja');
    expect(text).toContain('Mengubah status laporan risiko di Solang dari Baru menjadi Ditindaklanjuti.');
    expect(text).toContain('Catatan: Karung pasir dikirim.');
    expect(text).toContain('Masuk ke ruang kerja.');
    expect(text).not.toMatch(/[{}]|"\w+":/);
    expect(text).not.toMatch(/\b[0-9a-f]{24}\b/);
    expect(text).not.toMatch(/report\.review|submission|session\.start/);
    expect(html).not.toContain('<table');
  });
});

describe('kecamatan and desa lain', () => {
  it('a kecamatan\'s lists (activities, help needed) name the village of each item', async () => {
    const year = h.clock.now.getUTCFullYear();
    await VillagePlanModel.create({ villageCode: VILLAGE_A, year, goals: [], challenges: [], activities: [{ title: 'Talud pantai', status: 'berjalan', percentDone: 30 }] });
    await VillagePlanModel.create({ villageCode: VILLAGE_WARU, year, goals: [], challenges: [], activities: [{ title: 'Kebun pala', status: 'terhambat', percentDone: 10 }] });
    const admin = await makeMember('admin', null, 'Koordinator Kec');
    const s = await signIn(h, admin.id);
    const reporter = await makeMember('warga', VILLAGE_WARU, 'Pelapor Waru');
    await makeReport(reporter.id, VILLAGE_WARU, { help: 'Bibit pala' }, new Date('2026-12-07T21:13:00Z'));
    const text = visibleText((await get(s, '/app/kecamatan/81.05.15')).text);
    expect(text).toContain('Solang: Talud pantai · Berjalan');
    expect(text).toContain('8 Des 2026 · Waru: Bibit pala');
    expect(text).toContain('Waru: Kebun pala · Terhambat');
    // One village's page has no need to say it.
    expect(visibleText((await get(s, `/app/desa/${VILLAGE_A}`)).text)).toContain('Talud pantai · Berjalan');
  });

  it('people and reports of "desa lain" show the village they wrote and a way to reach them in chat', async () => {
    const person = await MemberModel.create({
      channel: 'whatsapp', platformUserId: '6281200000001', name: 'Ibu Kilmuri', role: 'warga', villageCode: null, villageOther: 'Kilmuri Baru', language: 'id',
      consent: { version: 'daftar v1', givenAt: new Date() }, registeredAt: new Date(),
    });
    await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: person._id, villageCode: null, flowId: 'daftar', flowVersion: 1, channel: 'whatsapp', submittedAt: new Date(), answers: { kecamatan: 'Teluk Waru', village: '__other__', village_other: 'Kilmuri Baru' } });
    const report = await SubmissionModel.create({ runId: new Types.ObjectId(), memberId: person._id, villageCode: null, flowId: 'laporan-risiko', flowVersion: 1, channel: 'whatsapp', submittedAt: h.clock.now, answers: { type: 'banjir' } });
    const admin = await makeMember('admin', null, 'Koordinator');
    const s = await signIn(h, admin.id);

    expect(mainText((await get(s, '/app/laporan')).text)).toContain('Kilmuri Baru (desa lain)');
    const detail = (await get(s, `/app/laporan/${report._id}`)).text;
    expect(mainText(detail)).toContain('Kilmuri Baru (desa lain) · Hubungi lewat chat');
    expect(detail).toContain(`href="/app/desa-lain#m-${person._id}"`);

    const list = (await get(s, '/app/desa-lain')).text;
    expect(mainText(list)).toContain('Desa yang ditulis: Kilmuri Baru');
    expect(list).not.toContain('6281200000001');
    h.notices.length = 0;
    await postForm(s, `/app/desa-lain/${person._id}/pesan`, { text: 'Desa Anda di kecamatan mana?' }).expect(303);
    expect(h.notices).toEqual([{ memberId: String(person._id), message: { key: 'workspace:notice.from_facilitator', params: { name: 'Koordinator', text: 'Desa Anda di kecamatan mana?' } } }]);
    expect(mainText((await get(s, '/app/desa-lain?sent=1')).text)).toContain('Pesan terkirim lewat chat.');
    expect(mainText((await get(s, '/app/audit')).text)).toContain('Mengirim pesan lewat chat ke pendaftar yang menulis “Kilmuri Baru”.');

    // A facilitator of another kecamatan neither sees nor reaches them; an empty message is a 400.
    const other = await facilitator('Fasilitator Pulau Panjang', VILLAGE_B);
    expect(mainText((await get(other.s, '/app/desa-lain')).text)).not.toContain('Kilmuri');
    await postForm(other.s, `/app/desa-lain/${person._id}/pesan`, { text: 'Halo' }).expect(404);
    const empty = await postForm(s, `/app/desa-lain/${person._id}/pesan`, { text: '  ' }).expect(400);
    expect(mainText(empty.text)).toContain('Tulis pesannya dulu');
  });
});
