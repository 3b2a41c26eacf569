/**
 * Staff roles from the chat simulator stay in the simulator (issue 20, point 3). The attack of
 * the probe, end to end through the running service and the simulator's HTTP API: a session
 * asks for SIM-FASILITATOR, registers as facilitator in Solang where real Telegram residents
 * have reported, then tries MASUK and the workspace, LAPORAN (and a review button of a real
 * report), RINGKASAN, SIARAN and JADWAL BARU. Each is refused or limited to the simulator's own
 * people, with a clear answer; a real resident's call for help does not reach it either. And
 * beside a real channel, the simulator hands out no codes at all.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import type { ConversationService } from '../../src/conversation/service.js';
import type { InboundMessage, OutboundMessage } from '../../src/messages/index.js';
import { addressOf } from '../../src/channels/web/sessions.js';
import { SEND_ID } from '../../src/engine/index.js';
import { loadConfig } from '../../src/config/index.js';
import {
  AccessCodeModel, AlertModel, LoginLinkModel, OutboxModel, SubmissionModel, VillagePlanModel, WorkshopModel, WorkspaceSessionModel,
} from '../../src/db/models.js';
import { createI18n, translatorFor } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { createApiKey, SESSION_COOKIE } from '../../src/workspace/auth.js';
import { hashToken } from '../../src/workspace/tokens.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { makeMember, SOLANG, wit } from '../facilitator/helpers.js';
import { ChatUser, register, registerUntilSummary } from '../helpers/chat.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

const logger = createLogger({ level: 'silent' });
const now = () => wit('2026-11-27 11:00');

async function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method, redirect: 'manual',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* a page */ }
  return { status: res.status, json, text, location: res.headers.get('location') };
}

/** A person in the simulator page: every message goes through POST /simulator/api/send, as the page sends it. */
async function simulatorPerson(base: string): Promise<{ user: ChatUser; session: string }> {
  const session = String((await call(base, 'POST', '/simulator/api/session')).json.sessionId);
  const page = {
    async handle(m: InboundMessage): Promise<OutboundMessage[] | null> {
      const res = await call(base, 'POST', '/simulator/api/send', { sessionId: session, messageId: m.messageId, content: m.content });
      if (res.status !== 200) throw new Error(`send: ${res.status} ${res.text}`);
      return res.json.replies as OutboundMessage[];
    },
  };
  return { user: new ChatUser(page as unknown as ConversationService, addressOf(session)), session };
}

describe('SIMULATOR=on, no real channel: the simulator\'s facilitator is a sandbox', () => {
  let service: RunningService;
  let base: string;
  let intruder: ChatUser;
  let intruderId: string;
  let code: Awaited<ReturnType<typeof call>>;
  let id: ReturnType<typeof translatorFor>;
  // Real people: Telegram residents of Solang with reports, and a real facilitator.
  let realResident: Awaited<ReturnType<typeof makeMember>>;
  let realPokja: Awaited<ReturnType<typeof makeMember>>;
  let realFacilitator: Awaited<ReturnType<typeof makeMember>>;
  let realReports: string[];
  let simResident: { _id: Types.ObjectId };
  let simReport: string;

  beforeAll(async () => {
    service = await startService(loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: '0', SIMULATOR: 'on' }), logger, { now, cron: false });
    base = `http://127.0.0.1:${service.port}`;
    id = translatorFor(await createI18n(), 'id');
    // The intruder's session asks for the code first (the service reads codes at most every 5 s).
    const me = await simulatorPerson(base);
    intruder = me.user;
    code = await call(base, 'POST', '/simulator/api/role-code', { sessionId: me.session, role: 'fasilitator' });
    realResident = await makeMember({ name: 'Ibu Nyata', channel: 'telegram' });
    realPokja = await makeMember({ name: 'Pak Nyata', channel: 'telegram', role: 'pokja' });
    realFacilitator = await makeMember({ name: 'Bu Fasilitator Nyata', channel: 'telegram', role: 'fasilitator' });
    const report = (memberId: unknown, channel: string, place: string, help: string, day: number) => SubmissionModel.create({
      memberId, villageCode: SOLANG, flowId: 'laporan-risiko', flowVersion: 1, channel, runId: new Types.ObjectId(), submittedAt: new Date(now().getTime() - day * 86_400_000),
      answers: { type: 'banjir', date: '2026-11-20', place, severity: 'berat', households: 7, help },
    });
    realReports = [
      String((await report(realResident._id, 'telegram', 'Dusun Rahasia', 'Perahu untuk keluarga Ibu Nyata', 2))._id),
      String((await report(realPokja._id, 'telegram', 'Dusun Rahasia Dua', 'Obat untuk Pak Nyata', 1))._id),
    ];
    // A resident of the simulator, registered through the page, with a report of their own.
    const sim = await simulatorPerson(base);
    await register(sim.user, { name: 'Ibu Simulasi' });
    simResident = (await sim.user.member())!;
    simReport = String((await report(simResident._id, 'web', 'Dusun Simulasi', 'Terpal simulasi', 3))._id);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('gets SIM-FASILITATOR, told it is only for trying things out, and registers as facilitator of Solang', async () => {
    expect(code.status).toBe(200);
    expect(code.json).toMatchObject({ role: 'fasilitator', code: 'SIM-FASILITATOR' });
    await register(intruder, { name: 'Pak Penyusup', role: 'fasilitator', code: 'SIM-FASILITATOR' });
    const member = await intruder.member();
    expect(member).toMatchObject({ role: 'fasilitator', villageCode: SOLANG, channel: 'web' });
    intruderId = String(member!._id);
    expect(code.json.text).toContain('hanya untuk mencoba: tanpa ruang kerja');
  });

  it('MASUK gives no link, says why; no way into the pages or the API', async () => {
    await intruder.say('masuk');
    expect(intruder.lastText).toBe(id('workspace:chat.simulator_no_workspace'));
    expect(intruder.lastText).not.toMatch(/\/masuk\//);
    expect(await LoginLinkModel.countDocuments({})).toBe(0);
    expect(await service.workspace.createLoginLink(intruderId)).toBeNull();
    // Even a session or an API key that somehow exists for them opens nothing.
    const token = randomBytes(24).toString('base64url');
    await WorkspaceSessionModel.create({ tokenHash: hashToken(token), memberId: intruderId, csrfToken: 'c'.repeat(32), expiresAt: new Date(Date.now() + 3600_000) });
    const cookie = { cookie: `${SESSION_COOKIE}=${token}` };
    expect((await call(base, 'GET', '/api/me', undefined, cookie)).status).toBe(401);
    expect((await call(base, 'GET', `/api/reports?village=${SOLANG}`, undefined, cookie)).status).toBe(401);
    expect((await call(base, 'GET', '/app/laporan', undefined, cookie)).location).toBe('/app/masuk');
    const { key } = await createApiKey(intruderId, 'coba', intruderId);
    const bearer = { authorization: `Bearer ${key}` };
    expect((await call(base, 'GET', `/api/reports?village=${SOLANG}`, undefined, bearer)).status).toBe(401);
    const broadcast = await call(base, 'POST', '/api/broadcasts', { text: { id: 'Halo semua' }, villageCodes: [SOLANG] }, bearer);
    expect(broadcast.status).toBe(401);
  });

  it('LAPORAN lists only the simulator\'s report and says so; a real report\'s review button is refused', async () => {
    await intruder.say('laporan');
    const text = intruder.lastText;
    expect(text).toContain(id('workspace:chat.new_reports_title', { count: 1 }));
    expect(text).toContain(id('workspace:chat.simulator_scope'));
    expect(text).toContain('Dusun Simulasi');
    expect(text).not.toContain('Dusun Rahasia');
    const buttons = intruder.last.flatMap((m) => m.choices ?? []).map((c) => c.id);
    expect(buttons.length).toBeGreaterThan(0);
    expect(buttons.every((b) => b.startsWith(`rv:${simReport}:`))).toBe(true);

    // A crafted button for a real report: nothing changes, the reporter hears nothing.
    await intruder.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: `rv:${realReports[0]}:ditolak` });
    expect(intruder.lastText).toBe(id('workspace:chat.report_gone'));
    expect((await SubmissionModel.findById(realReports[0]).lean())?.review?.status ?? 'baru').toBe('baru');
    expect(await OutboxModel.countDocuments({ memberId: realResident._id })).toBe(0);
    // Their own simulator report they can review (the simulator's reporter is told).
    await intruder.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: `rv:${simReport}:diverifikasi` });
    expect(intruder.lastText).toBe(id('workspace:chat.status_set', { status: id('workspace:status.diverifikasi') }));
  });

  it('RINGKASAN counts only the simulator\'s people and reports', async () => {
    await intruder.say('ringkasan');
    const text = intruder.lastText;
    expect(text).toContain(id('workspace:chat.summary_reports', { count: 1, fresh: 0 }));
    expect(text).toContain(id('workspace:chat.summary_members', { count: 2 }));
    expect(text).toContain('Terpal simulasi');
    expect(text).not.toMatch(/Nyata/);
    expect(text).toContain(id('workspace:chat.simulator_scope'));
  });

  /** Reads the review (2 people, all on the web, "this is the simulator"), sends it: only the simulator's people get it. */
  async function confirmReachesOnlySimulator(kind: 'broadcast' | 'workshop') {
    expect(intruder.lastText).toContain(id('broadcast:preview.recipients', { count: 2, channels: 'Web 2' }));
    expect(intruder.lastText).toContain(id('broadcast:preview.simulatorOnly'));
    await intruder.press('Kirim');
    const sent = await OutboxModel.find({ kind }).lean();
    expect(sent.map((e) => String(e.memberId)).sort()).toEqual([String(simResident._id), intruderId].sort());
    expect(sent.every((e) => e.channel === 'web')).toBe(true);
  }

  it('SIARAN reaches only the simulator\'s people, and the preview says so', async () => {
    await intruder.say('siaran');
    await intruder.press('Semua orang');
    await intruder.say('Rapat penting besok di balai desa.');
    await confirmReachesOnlySimulator('broadcast');
    expect(intruder.lastText).toContain('Siaran sedang dikirim ke 2 orang.');
  });

  it('JADWAL shows no real workshop; JADWAL BARU invites only the simulator\'s people', async () => {
    await WorkshopModel.create({
      title: 'Lokakarya sungguhan', villageCodes: [SOLANG], place: 'Balai', startsAt: wit('2026-12-10 09:00'), endsAt: wit('2026-12-10 15:00'),
      status: 'scheduled', createdBy: realFacilitator._id,
    });
    await intruder.say('jadwal');
    expect(intruder.lastText).not.toContain('Lokakarya sungguhan');
    await intruder.say('jadwal baru');
    await intruder.say('Lokakarya palsu');
    await intruder.press('satu per satu');
    await intruder.press('Teluk Waru');
    await intruder.say('Solang');
    await intruder.say('15-12-2026');
    await intruder.say('9');
    await intruder.say('16-12-2026');
    await intruder.say('15.30');
    await intruder.say('Balai Desa Solang');
    await intruder.say('lewati');
    await confirmReachesOnlySimulator('workshop');
    expect(intruder.lastText).toContain('sudah diumumkan ke 2 orang');
    await intruder.say('jadwal');
    expect(intruder.lastText).toContain('Lokakarya palsu');
    expect(intruder.lastText).not.toContain('Lokakarya sungguhan');
    // Nothing at all went to a real person.
    for (const real of [realResident, realPokja, realFacilitator]) expect(await OutboxModel.countDocuments({ memberId: real._id })).toBe(0);
  });

  it('a real resident\'s call for help reaches the real facilitator, not the simulator\'s', async () => {
    const resident = new ChatUser(service.conversations, realResident.platformUserId, 'id', 'telegram');
    await resident.say('bantuan');
    await resident.pressId('contact');
    const alerts = await AlertModel.find({ fromMemberId: realResident._id }).lean();
    expect(alerts.map((a) => String(a.facilitatorId))).toEqual([String(realFacilitator._id)]);
    expect(await OutboxModel.countDocuments({ kind: 'alert', memberId: intruderId })).toBe(0);
  });

  it('activity progress reported from the simulator does not move the real plan', async () => {
    const plan = await VillagePlanModel.create({ villageCode: SOLANG, year: 2026, activities: [{ title: 'Bibit kacang unggul', owner: 'Kelompok tani' }] });
    await intruder.say('menu');
    await intruder.pressId('kemajuan-kegiatan');
    await intruder.press('Bibit kacang');
    await intruder.press('Selesai');
    await intruder.say('lewati');
    await intruder.pressId(SEND_ID);
    expect(await SubmissionModel.countDocuments({ flowId: 'kemajuan-kegiatan', memberId: intruderId })).toBe(1);
    expect((await VillagePlanModel.findById(plan._id).lean())?.activities[0]).toMatchObject({ status: 'belum', percentDone: 0, lastReportAt: null });
  });
});

describe('SIMULATOR=on beside Telegram: the simulator has no codes', () => {
  it('role-code is refused with a reason, codes made earlier are gone, and SIM-FASILITATOR registers nobody', async () => {
    const uri = uniqueDatabaseUri();
    // First without a real channel: the simulator hands out its code.
    let service = await startService(loadConfig({ MONGODB_URI: uri, PORT: '0', SIMULATOR: 'on' }), logger, { now, cron: false });
    let base = `http://127.0.0.1:${service.port}`;
    const first = await simulatorPerson(base);
    expect((await call(base, 'POST', '/simulator/api/role-code', { sessionId: first.session, role: 'fasilitator' })).status).toBe(200);
    expect(await AccessCodeModel.countDocuments({ code: 'SIM-FASILITATOR' })).toBe(1);
    await service.stop();

    const fake: FakeTelegram = await startFakeTelegram({ token: '777000:sandbox-token-abcdefghijklmnopqrstuvwxyz' });
    try {
      service = await startService(loadConfig({
        MONGODB_URI: uri, PORT: '0', SIMULATOR: 'on', TELEGRAM_BOT_TOKEN: '777000:sandbox-token-abcdefghijklmnopqrstuvwxyz', TELEGRAM_API_ROOT: fake.apiRoot,
      }), logger, { now, cron: false });
      base = `http://127.0.0.1:${service.port}`;
      expect(await AccessCodeModel.countDocuments({ simulatorOnly: true })).toBe(0);
      const { user, session } = await simulatorPerson(base);
      for (const role of ['fasilitator', 'pokja']) {
        const res = await call(base, 'POST', '/simulator/api/role-code', { sessionId: session, role });
        expect(res.status).toBe(404);
        expect(res.json).toMatchObject({ error: 'role_codes_off' });
        expect(String(res.json.message)).toContain('Kode peran tidak tersedia di sini');
      }
      expect(await AccessCodeModel.countDocuments({})).toBe(0);
      await registerUntilSummary(user, { name: 'Pak Penyusup', role: 'fasilitator', code: 'SIM-FASILITATOR' });
      expect(user.lastText).toContain(translatorFor(await createI18n(), 'id')('daftar:role_code.invalid'));
    } finally {
      await service.stop();
      await fake.close();
    }
  });
});
