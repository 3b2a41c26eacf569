/** Builds the express app with the workspace router on the real flows and translations, and makes people and reports. */
import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { i18n as I18n } from 'i18next';
import { Types } from 'mongoose';
import request from 'supertest';
import { MemberModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { loadFlows, type Flow } from '../../src/engine/index.js';
import { createApp, finishApp } from '../../src/http/app.js';
import { createI18n } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { flowsDir } from '../../src/paths.js';
import { createWorkspace, type Workspace } from '../../src/workspace/index.js';

export const VILLAGE_A = '81.05.15.2004';
export const VILLAGE_B = '81.05.09.2001';
/** Waru, in Solang's kecamatan (Teluk Waru). */
export const VILLAGE_WARU = '81.05.15.2001';

export interface Notice { memberId: string; message: { key: string; params?: Record<string, unknown> } }

export interface Harness {
  app: express.Express;
  ws: Workspace;
  notices: Notice[];
  flows: Map<string, Flow>;
  i18n: I18n;
  clock: { now: Date };
}

/** `mount`: more routes on the same app (the chat simulator), before the 404 handler. */
export async function buildHarness(options: { publicBaseUrl?: string; mount?: (app: express.Express, i18n: I18n) => void } = {}): Promise<Harness> {
  const [flows, i18n] = await Promise.all([loadFlows(flowsDir), createI18n()]);
  await seedVillages();
  const logger = createLogger({ level: 'silent' });
  const notices: Notice[] = [];
  const clock = { now: new Date() };
  const ws = createWorkspace({
    logger, flows, i18n, publicBaseUrl: options.publicBaseUrl ?? 'http://127.0.0.1:3000',
    notifyMember: async (memberId, message) => { notices.push({ memberId, message }); },
    now: () => clock.now,
  });
  const app = createApp({ logger, isReady: async () => true, isShuttingDown: () => false });
  app.use(ws.router);
  options.mount?.(app, i18n);
  finishApp(app, logger);
  return { app, ws, notices, flows, i18n, clock };
}

export async function makeMember(role: 'warga' | 'pokja' | 'fasilitator' | 'admin', villageCode: string | null, name = `${role} ${randomUUID().slice(0, 4)}`) {
  const m = await MemberModel.create({
    channel: 'telegram', platformUserId: `tg-${randomUUID()}`, name, role, villageCode, language: 'id',
    consent: { version: 'daftar v1', givenAt: new Date() }, registeredAt: new Date(),
  });
  return { id: String(m._id), name, platformUserId: m.platformUserId };
}

export async function makeReport(memberId: string, villageCode: string, answers: Record<string, unknown> = {}, submittedAt = new Date()) {
  const s = await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId, villageCode, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt,
    answers: { type: 'banjir', date: submittedAt.toISOString().slice(0, 10), place: 'Dusun Kota', severity: 'berat', households: 12, ...answers },
  });
  return String(s._id);
}

export interface Session { cookie: string; csrf: string }

/** Signs in the way a person does: the link from chat, the page's button, the cookie. */
export async function signIn(h: Harness, memberId: string): Promise<Session> {
  const link = await h.ws.createLoginLink(memberId);
  if (!link) throw new Error('no link');
  const path = new URL(link.url).pathname;
  const post = await request(h.app).post(path).expect(303);
  const cookie = String(post.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const me = await request(h.app).get('/api/me').set('cookie', cookie).expect(200);
  return { cookie, csrf: me.body.csrfToken as string };
}

/** A supertest parser for a file download (XLSX): the body as one Buffer. */
export function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

/**
 * A workshop for `village` (Solang) and a neighbour with invitations answered in chat: in
 * `village` one "hadir", one "mungkin", one not answered; nobody in the other yet. The answers go through the chat's own
 * function (src/facilitator/workshops.ts answerRsvp), as the RSVP buttons do.
 */
export async function makeWorkshopWithRsvps(clock: { now: Date }, title = 'Pemutakhiran rencana desa', village = VILLAGE_A) {
  const { WorkshopModel } = await import('../../src/db/models.js');
  const { insertInvites } = await import('../../src/db/repositories/workshops.js');
  const { answerRsvp } = await import('../../src/facilitator/workshops.js');
  const startsAt = new Date(clock.now.getTime() + 2 * 86_400_000);
  const w = await WorkshopModel.create({ title, place: 'Balai desa Solang', startsAt, endsAt: new Date(startsAt.getTime() + 8 * 3600_000), villageCodes: [village, village === VILLAGE_WARU ? VILLAGE_A : VILLAGE_WARU], status: 'scheduled', announcedAt: clock.now });
  const people = await Promise.all(['Bapak Hadir', 'Ibu Mungkin', 'Ibu Diam'].map((n) => makeMember('warga', village, n)));
  const members = people.map((p) => ({ _id: new Types.ObjectId(p.id), villageCode: village }));
  await insertInvites(w._id, members, clock.now);
  for (const [i, answer] of (['hadir', 'mungkin'] as const).entries()) {
    const r = await answerRsvp(String(w._id), members[i]!, answer, clock.now);
    if (!r.ok) throw new Error(`RSVP refused: ${r.reason}`);
  }
  return { id: String(w._id), title };
}
