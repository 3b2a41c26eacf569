/**
 * Answering for someone who can't type: the API walks the flow with every answer through the
 * engine; the pages walk it one question at a time from a draft per facilitator. Both store
 * a submission like the chat's, with who entered it, for whom, and the consent given aloud.
 */
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, MemberModel, ProxyDraftModel, SubmissionModel } from '../../src/db/models.js';
import { deleteMemberData } from '../../src/privacy/retention.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, buildHarness, makeMember, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let fac: { id: string };
let facS: Session;
let today: string;

const send = (s: Session, path: string, body: unknown) => request(h.app).post(path).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send(body as object);
const form = (s: Session, path: string, body: Record<string, unknown>) => request(h.app).post(path).set('cookie', s.cookie).type('form').send({ ...body, _csrf: s.csrf });

beforeAll(async () => {
  h = await buildHarness();
  h.clock.now = new Date('2026-11-28T03:00:00Z');
  today = '2026-11-28';
  fac = await makeMember('fasilitator', VILLAGE_A, 'Ibu Fasilitator');
  facS = await signIn(h, fac.id);
});

const risk = (answers: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  flowId: 'laporan-risiko', villageCode: VILLAGE_A, forName: 'Ibu Maria', consentAloud: true, ...extra,
  answers: { type: 'banjir', date: today, place: 'Dusun Kota', severity: 'sedang', ...answers },
});

describe('POST /api/submissions/proxy', () => {
  it('stores a risk report like a chat one, entered for the named resident', async () => {
    const res = await send(facS, '/api/submissions/proxy', risk({
      location: { latitude: -3.95, longitude: 131.1 }, households: 'sekitar 20', livelihoods: ['pala', 'perikanan', 'pala'], help: 'Terpal',
    })).expect(201);
    expect(res.body).toMatchObject({
      flowId: 'laporan-risiko', villageCode: VILLAGE_A, villageName: 'Solang', channel: 'workspace', reporter: null,
      proxy: { enteredBy: fac.id, forName: 'Ibu Maria', consentAloud: true }, review: { status: 'baru' }, location: { latitude: -3.95, longitude: 131.1 },
    });
    const doc = await SubmissionModel.findById(res.body.id).lean();
    const t = h.i18n.getFixedT('id', 'laporan-risiko');
    expect(doc).toMatchObject({
      memberId: null, flowVersion: 1, language: 'id', villageName: 'Solang',
      // Parsed by the engine as if typed: "sekitar 20" is 20; the choices in the order shown, once.
      answers: { type: 'banjir', date: today, place: 'Dusun Kota', severity: 'sedang', households: 20, livelihoods: ['perikanan', 'pala'], help: 'Terpal', photo: null },
      display: { type: t('type.choices.banjir'), severity: expect.stringContaining(t('severity.choices.sedang')) },
      proxy: { forName: 'Ibu Maria', consentAloud: true },
    });
    expect(doc!.runId).toBeTruthy();
    expect(doc!.proxy!.consentAt).toBeInstanceOf(Date);
    expect(await AuditLogModel.findOne({ action: 'submission.proxy', targetId: res.body.id }).lean())
      .toMatchObject({ actorName: 'Ibu Fasilitator', via: 'api', villageCode: VILLAGE_A, details: { flowId: 'laporan-risiko', forName: 'Ibu Maria', consentAloud: true } });
  });

  it('walks skip logic and repeat groups (village profile)', async () => {
    const res = await send(facS, '/api/submissions/proxy', {
      flowId: 'profil-desa', villageCode: VILLAGE_A, forName: 'Bapak Yusuf', consentAloud: true,
      answers: {
        households: 120, school: 'sd', health: 'posyandu',
        sources: [{ source: 'perikanan', season: 'musim_teduh', share: 'banyak' }, { source: 'pala', season: 'musim_panen', share: 'setengah' }],
        land: 'sedikit', boats: 35, road: 'rusak', services: ['listrik'], savings_group: false, buyer: 'pengumpul_desa', mutual_help: 'sering', hard_season: 'musim_angin',
      },
    }).expect(201);
    const doc = await SubmissionModel.findById(res.body.id).lean();
    expect((doc!.answers as { sources: unknown[] }).sources).toHaveLength(2);
    expect(doc!.answers).toMatchObject({ boats: 35, savings_group: false, services: ['listrik'] });
  });

  it('an answer that does not parse is refused with the question and the engine\'s message; nothing stored', async () => {
    const before = await SubmissionModel.countDocuments();
    const cases: [Record<string, unknown>, string][] = [
      [{ households: 'banyak sekali' }, 'households'],
      [{ severity: 'parah sekali' }, 'severity'],
      [{ date: '2026-12-25' }, 'date'],
      [{ date: '31-02-2026' }, 'date'],
      [{ place: undefined }, 'place'],
      [{ place: null }, 'place'],
      [{ livelihoods: ['pala', 'emas'] }, 'livelihoods'],
      [{ location: 'Dusun Kota' }, 'location'],
    ];
    for (const [answers, questionId] of cases) {
      const res = await send(facS, '/api/submissions/proxy', risk(answers)).expect(400);
      expect(res.body.error, JSON.stringify(answers)).toBe('invalid_answer');
      expect(res.body.details.questionId, JSON.stringify(answers)).toBe(questionId);
      expect(res.body.details.message.length).toBeGreaterThan(3);
    }
    const future = await send(facS, '/api/submissions/proxy', risk({ date: '2026-12-25' })).expect(400);
    expect(future.body.details.message).toBe(h.i18n.getFixedT('id', 'engine')('error.date_future'));
    const group = await send(facS, '/api/submissions/proxy', {
      flowId: 'profil-desa', villageCode: VILLAGE_A, forName: 'Bapak Yusuf', consentAloud: true,
      answers: { school: 'sd', health: 'posyandu', sources: [{ source: 'perikanan', season: 'kemarin', share: 'banyak' }] },
    }).expect(400);
    expect(group.body.details.questionId).toBe('sources[0].season');
    expect(await SubmissionModel.countDocuments()).toBe(before);
  });

  it('validation of the request itself: consent, name, flow, unknown or unasked questions', async () => {
    const bad = async (body: unknown, error?: string) => {
      const res = await send(facS, '/api/submissions/proxy', body).expect(400);
      if (error) expect(res.body.error).toBe(error);
      return res.body;
    };
    const consent = await bad(risk({}, { consentAloud: false }), 'validation');
    expect(consent.issues[0].path).toBe('consentAloud');
    await bad({ ...risk({}), consentAloud: undefined }, 'validation');
    await bad(risk({}, { forName: '🙂' }), 'validation');
    await bad(risk({}, { flowId: 'daftar' }), 'unknown_flow');
    await bad(risk({}, { flowId: 'kemajuan-kegiatan' }), 'unknown_flow');
    await bad(risk({}, { extra: 1 }), 'validation');
    expect((await bad(risk({ colour: 'red' }))).details.questionId).toBe('colour');
    expect((await bad(risk({ type_other: 'Angin puting beliung' }))).details.questionId).toBe('type_other');
    await bad(risk({ type: { $gt: '' } }), 'operator_refused');
  });

  it('another village is 404; no session is 401', async () => {
    await send(facS, '/api/submissions/proxy', risk({}, { villageCode: VILLAGE_B })).expect(404);
    await request(h.app).post('/api/submissions/proxy').send(risk({})).expect(401);
  });
});

describe('"Isi untuk warga" in the pages', () => {
  const page = (path = '/app/isi') => request(h.app).get(path).set('cookie', facS.cookie);
  const rev = (html: string) => Number(/name="rev" value="(\d+)"/.exec(html)?.[1]);

  it('asks for the resident\'s name, village and consent aloud first', async () => {
    const start = await page().expect(200);
    expect(start.text).toContain('name="consentAloud"');
    // The short notice of the registration, read aloud.
    expect(start.text).toContain('UU 27/2022');
    expect(start.text).toContain('value="laporan-risiko"');
    expect(start.text).toContain('value="profil-desa"');
    expect(start.text).not.toContain('value="kemajuan-kegiatan"');
    expect(start.text).not.toContain('value="isi-untuk-warga"');
    // Nor is the chat's own "isi untuk warga" offered for export: its submissions are the chosen form's.
    const exports = await page('/app/ekspor').expect(200);
    expect(exports.text).toContain('value="laporan-risiko"');
    expect(exports.text).not.toContain('value="isi-untuk-warga"');
    const refused = await form(facS, '/app/isi', { forName: 'Ibu Maria', villageCode: VILLAGE_A, flowId: 'laporan-risiko' }).expect(400);
    expect(refused.text).toContain('Warga harus setuju dulu');
    const unnamed = await form(facS, '/app/isi', { forName: '12', villageCode: VILLAGE_A, flowId: 'laporan-risiko', consentAloud: '1' }).expect(400);
    expect(unnamed.text).toContain('Tulis nama warga dengan huruf');
    expect(await ProxyDraftModel.countDocuments()).toBe(0);
    await form(facS, '/app/isi', { forName: 'Ibu Maria', villageCode: VILLAGE_B, flowId: 'laporan-risiko', consentAloud: '1' }).expect(404);
    await request(h.app).post('/app/isi').set('cookie', facS.cookie).type('form').send({ forName: 'Ibu Maria', villageCode: VILLAGE_A, flowId: 'laporan-risiko', consentAloud: '1' }).expect(403);
  });

  it('walks the flow one question at a time; a reload continues; an old page changes nothing', async () => {
    await form(facS, '/app/isi', { forName: 'Ibu Maria', villageCode: VILLAGE_A, flowId: 'laporan-risiko', consentAloud: '1' }).expect(303);
    let html = (await page().expect(200)).text;
    expect(html).toContain('Diisi untuk Ibu Maria');
    expect(html).toContain('type="radio" name="value" value="banjir"');
    const first = rev(html);
    // Nothing chosen: the engine's own words, same question.
    await form(facS, '/app/isi/jawab', { rev: first, action: 'answer' }).expect(303);
    html = (await page().expect(200)).text;
    expect(html).toContain('class="notice error"');
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'answer', value: 'banjir' }).expect(303);
    html = (await page().expect(200)).text;
    expect(html).toContain('type="date"');
    // The page from before (a second tab, a double click) changes nothing.
    await form(facS, '/app/isi/jawab', { rev: first, action: 'answer', value: 'rob' }).expect(303);
    expect((await page().expect(200)).text).toContain('type="date"');
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'back' }).expect(303);
    html = (await page().expect(200)).text;
    expect(html).toContain('value="banjir"');
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'answer', value: 'banjir' }).expect(303);
    for (const [field, value, action] of [['value', today, 'answer'], ['value', 'Dusun Kota', 'answer'], [null, null, 'skip'], ['value', 'berat', 'answer'], ['value', '12', 'answer']] as const) {
      html = (await page().expect(200)).text;
      await form(facS, '/app/isi/jawab', { rev: rev(html), action, ...(field ? { [field]: value } : {}) }).expect(303);
    }
    html = (await page().expect(200)).text;
    expect(html).toContain('type="checkbox" name="values"');
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'answer', values: ['pala', 'kopra'] }).expect(303);
    html = (await page().expect(200)).text;
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'answer', value: 'Beras' }).expect(303);
    html = (await page().expect(200)).text;
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'skip' }).expect(303);
    html = (await page().expect(200)).text;
    expect(html).toContain('value="choice:send"');
    expect(await SubmissionModel.countDocuments({ 'proxy.forName': 'Ibu Maria', channel: 'workspace', 'answers.severity': 'berat' })).toBe(0);
    const sent = await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'choice:send' }).expect(303);
    expect(sent.headers.location).toMatch(/^\/app\/isi\?terkirim=[a-f0-9]{24}$/);
    const doc = await SubmissionModel.findOne({ 'proxy.forName': 'Ibu Maria', 'answers.severity': 'berat' }).lean();
    expect(doc).toMatchObject({ memberId: null, channel: 'workspace', villageCode: VILLAGE_A, answers: { type: 'banjir', households: 12, livelihoods: ['pala', 'kopra'], help: 'Beras', location: null } });
    expect(await ProxyDraftModel.countDocuments()).toBe(0);
    const after = await page(sent.headers.location).expect(200);
    expect(after.text).toContain('Terkirim untuk Ibu Maria');
    const list = await page('/app/laporan').expect(200);
    expect(list.text).toContain('diisi untuk Ibu Maria');
    // A replayed "Kirim" from the old page stores nothing more.
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'choice:send' }).expect(303);
    expect(await SubmissionModel.countDocuments({ 'proxy.forName': 'Ibu Maria', 'answers.severity': 'berat' })).toBe(1);
  });

  it('shows a flow\'s notes and a repeat group\'s "add another?" as buttons (village profile)', async () => {
    await form(facS, '/app/isi', { forName: 'Pak Umar', villageCode: VILLAGE_A, flowId: 'profil-desa', consentAloud: '1' }).expect(303);
    let html = (await page().expect(200)).text;
    const p = h.i18n.getFixedT('id', 'profil-desa');
    expect(html).toContain(`<p class="note">${p('intro.prompt')}</p>`);
    expect(html).toContain('type="number"');
    for (const value of ['120', 'sd', 'posyandu', 'perikanan', 'musim_teduh', 'banyak']) {
      await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'answer', value }).expect(303);
      html = (await page().expect(200)).text;
      // The note was said once, at the start.
      expect(html).not.toContain('class="note"');
    }
    expect(html).toContain(p('sources.add_another'));
    expect(html).toContain('value="choice:yes"');
    await form(facS, '/app/isi/jawab', { rev: rev(html), action: 'choice:no' }).expect(303);
    html = (await page().expect(200)).text;
    expect(html).toContain('value="sedikit"');
    await form(facS, '/app/isi/batal', {}).expect(303);
  });

  it('cancelling drops the draft and keeps nothing', async () => {
    await form(facS, '/app/isi', { forName: 'Pak Ali', villageCode: VILLAGE_A, flowId: 'profil-desa', consentAloud: '1' }).expect(303);
    expect(await ProxyDraftModel.countDocuments()).toBe(1);
    await form(facS, '/app/isi/batal', {}).expect(303);
    expect(await ProxyDraftModel.countDocuments()).toBe(0);
    expect((await page('/app/isi?batal=1').expect(200)).text).toContain('Isian dibatalkan');
    expect(await AuditLogModel.countDocuments({ action: 'proxy.cancel', 'details.forName': 'Pak Ali' })).toBe(1);
  });

  it('a facilitator who deletes their data takes their half-filled draft (a resident\'s answers) with them', async () => {
    const other = await makeMember('fasilitator', VILLAGE_A, 'Fasilitator pergi');
    const s = await signIn(h, other.id);
    await form(s, '/app/isi', { forName: 'Ibu Sara', villageCode: VILLAGE_A, flowId: 'laporan-risiko', consentAloud: '1' }).expect(303);
    expect(await ProxyDraftModel.countDocuments({ actorId: other.id })).toBe(1);
    const member = await MemberModel.findById(other.id).lean();
    await deleteMemberData(member!, { keepReports: true });
    expect(await ProxyDraftModel.countDocuments({ actorId: other.id })).toBe(0);
  });
});
