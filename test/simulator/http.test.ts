/**
 * The simulator's HTTP side without a browser: security headers, sessions only the server
 * issues, the durable transcript a reload reads, rate limits per session and per address,
 * and a 4xx with a reason for bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { i18n as I18n } from 'i18next';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InboundHandler, InboundMessage, OutboundMessage } from '../../src/messages/index.js';
import { addressOf, forgetIdleSessions } from '../../src/channels/web/sessions.js';
import { createSimulatorRouter, WebInbox, type SimulatorLimits } from '../../src/channels/web/simulator.js';
import { SimulatorSessionModel } from '../../src/db/models.js';
import { createApp, finishApp } from '../../src/http/app.js';
import { createI18n } from '../../src/i18n.js';
import { createLogger } from '../../src/logging/logger.js';
import { projectRoot } from '../../src/paths.js';
import { deleteMemberData } from '../../src/privacy/retention.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

const QUESTION: OutboundMessage = {
  text: 'Pilih satu', choices: [{ id: 'a', label: 'Satu' }, { id: 'b', label: 'Dua' }], promptSeq: 7, expect: 'choice', language: 'id',
};

/** Answers every message with the same question; a repeated message id is a duplicate (null). */
function fakeHandler(): InboundHandler & { seen: InboundMessage[] } {
  const seen: InboundMessage[] = [];
  return {
    seen,
    async handle(message) {
      if (seen.some((m) => m.messageId === message.messageId)) return null;
      seen.push(message);
      return [{ ...QUESTION, prompt: { question: 'Pilih satu', waysOut: { back: false, cancel: true, skip: false }, expect: 'choice' } }];
    },
    async setBlocked() {},
  };
}

let i18n: I18n;
beforeAll(async () => {
  i18n = await createI18n();
});

function simulatorApp(limits: Partial<SimulatorLimits> = {}, handler = fakeHandler()) {
  const app = createApp({ logger: createLogger({ level: 'silent' }), isReady: async () => true, isShuttingDown: () => false });
  app.use(createSimulatorRouter({ handler, i18n, limits, roleCodes: true }));
  finishApp(app, createLogger({ level: 'silent' }));
  return app;
}

async function newSession(app: ReturnType<typeof simulatorApp>, from = '198.51.100.1'): Promise<string> {
  const res = await request(app).post('/simulator/api/session').set('x-forwarded-for', from).expect(201);
  return (res.body as { sessionId: string }).sessionId;
}

let counter = 0;
const send = (app: ReturnType<typeof simulatorApp>, sessionId: string, content: unknown = { kind: 'text', text: 'halo' }, extra: Record<string, unknown> = {}) =>
  request(app).post('/simulator/api/send').send({ sessionId, messageId: `msg-${String(++counter).padStart(6, '0')}`, content, ...extra });

describe('security headers', () => {
  it('the page and the API carry a strict CSP, nosniff, no framing and no referrer', async () => {
    const app = simulatorApp();
    for (const path of ['/', '/simulator/static/simulator.js', '/simulator/api/texts']) {
      const res = await request(app).get(path).expect(200);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('the page has no inline script or style, and its words come from locales/id', async () => {
    const res = await request(simulatorApp()).get('/').expect(200);
    const html = res.text;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/);
    expect(html).not.toContain('{{');
    const id = JSON.parse(readFileSync(join(projectRoot, 'locales/id/simulator.json'), 'utf8')) as Record<string, string>;
    expect(html).toContain(`>${id.send}<`);
    expect(html).toContain(`<title>${id.pageTitle}</title>`);
  });

  it('both languages have the same simulator words', () => {
    const keys = (lang: string) => {
      const walk = (o: Record<string, unknown>, p = ''): string[] =>
        Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? walk(v as Record<string, unknown>, `${p}${k}.`) : [`${p}${k}`]));
      return walk(JSON.parse(readFileSync(join(projectRoot, `locales/${lang}/simulator.json`), 'utf8')) as Record<string, unknown>).sort();
    };
    expect(keys('en')).toEqual(keys('id'));
  });
});

describe('sessions', () => {
  it('the server issues 128-bit ids and refuses ids it did not issue, with a reason', async () => {
    const app = simulatorApp();
    const a = await newSession(app);
    const b = await newSession(app);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(a).not.toBe(b);
    await send(app, a).expect(200);

    // Any 8 characters used to be enough; a well-formed id the server never issued is refused too.
    for (const made of ['abcdefgh', 'x', 'AAAAAAAAAAAAAAAAAAAAAA', '../../etc']) {
      const res = await send(app, made).expect(401);
      expect(res.body).toMatchObject({ error: 'unknown_session' });
      expect(res.body.message).toMatch(/tidak dikenal/);
      await request(app).get('/simulator/api/transcript').query({ sessionId: made }).expect(401);
    }
    // A session unused for 30 days is forgotten (the page then asks for a new one).
    await SimulatorSessionModel.updateOne({ _id: b }, { $set: { lastSeenAt: new Date(Date.now() - 31 * 24 * 3600_000) } });
    expect(await forgetIdleSessions(new Date())).toBe(1);
    await send(app, b).expect(401);
    await send(app, a).expect(200);

    const missing = await request(app).post('/simulator/api/send').send({ messageId: 'msg-aaaaaaaa', content: { kind: 'text', text: 'halo' } }).expect(400);
    expect(missing.body.message).toContain('sessionId');
    await request(app).get('/simulator/api/transcript').expect(400);
  });
});

describe('bad input', () => {
  it('gets a 400 with the reason', async () => {
    const app = simulatorApp();
    const session = await newSession(app);
    const res = await request(app).post('/simulator/api/send').send({ sessionId: session, content: { kind: 'text', text: '' } }).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.message).toContain('messageId');
    expect(res.body.message).toContain('text must not be empty');
    const broken = await request(app).post('/simulator/api/send').set('content-type', 'application/json').send('{"sessionId":').expect(400);
    expect(broken.body.error).toBe('bad_json');
    const role = await request(app).post('/simulator/api/role-code').send({ sessionId: session, role: 'admin' }).expect(400);
    expect(role.body.message).toContain('role');
    await send(app, session, { kind: 'choice', promptSeq: 'x', choiceId: 'a' }).expect(400);
  });
});

describe('transcript', () => {
  it('keeps what the person sent (button labels, not ids) and what the bot said, across requests', async () => {
    const app = simulatorApp();
    const session = await newSession(app);
    const first = await send(app, session, { kind: 'text', text: 'mulai' }).expect(200);
    expect(first.body.replies).toEqual([QUESTION]);
    await send(app, session, { kind: 'choice', promptSeq: 7, choiceId: 'b' }).expect(200);
    await send(app, session, { kind: 'location', latitude: -3.5, longitude: 130.6 }).expect(200);

    const res = await request(app).get('/simulator/api/transcript').query({ sessionId: session }).expect(200);
    const entries = res.body.entries as { from: string; text?: string; message?: OutboundMessage; seq: number }[];
    expect(entries.map((e) => [e.from, e.text ?? e.message?.text])).toEqual([
      ['person', 'mulai'], ['bot', 'Pilih satu'], ['person', 'Dua'], ['bot', 'Pilih satu'], ['person', '📍 Lokasi dibagikan'], ['bot', 'Pilih satu'],
    ]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries[1]!.message).toEqual(QUESTION);
    expect(res.body.lastSeq).toBe(6);
    expect(res.body.language).toBeNull(); // no member: the fake handler keeps none
  });

  it('a resent message (the answer was lost) is not written twice', async () => {
    const app = simulatorApp();
    const session = await newSession(app);
    const body = { sessionId: session, messageId: 'resend-00000001', content: { kind: 'text', text: 'halo' } };
    await request(app).post('/simulator/api/send').send(body).expect(200);
    const again = await request(app).post('/simulator/api/send').send(body).expect(200);
    expect(again.body.duplicate).toBe(true);
    const res = await request(app).get('/simulator/api/transcript').query({ sessionId: session }).expect(200);
    expect(res.body.entries).toHaveLength(2);
  });

  it('keeps reminders and broadcasts for the page to fetch, and forgets all when the person deletes their data', async () => {
    const app = simulatorApp();
    const session = await newSession(app);
    await send(app, session).expect(200);
    await new WebInbox().send({ kind: 'reminder', to: addressOf(session), messages: [{ text: 'Pengingat: lokakarya besok' }], replyTo: null, alreadySent: 0 });
    const inbox = await request(app).get('/simulator/api/inbox').query({ sessionId: session, after: 2 }).expect(200);
    expect(inbox.body.messages).toMatchObject([{ from: 'bot', proactive: true, seq: 3, message: { text: 'Pengingat: lokakarya besok' } }]);
    expect((await request(app).get('/simulator/api/inbox').query({ sessionId: session, after: 3 })).body.messages).toEqual([]);

    await deleteMemberData({ _id: new (await import('mongoose')).Types.ObjectId(), channel: 'web', platformUserId: addressOf(session) }, { keepReports: true });
    const after = await request(app).get('/simulator/api/transcript').query({ sessionId: session }).expect(200);
    expect(after.body.entries).toEqual([]);
    expect(await SimulatorSessionModel.countDocuments({ _id: session })).toBe(1); // the session itself still works
  });

  it('the role code the simulator hands out is said in the transcript too', async () => {
    const app = simulatorApp();
    const session = await newSession(app);
    const res = await request(app).post('/simulator/api/role-code').send({ sessionId: session, role: 'pokja' }).expect(200);
    expect(res.body).toMatchObject({ role: 'pokja', code: 'SIM-POKJA' });
    const transcript = await request(app).get('/simulator/api/transcript').query({ sessionId: session });
    expect(transcript.body.entries).toMatchObject([{ from: 'note', text: expect.stringContaining('SIM-POKJA') }]);
  });
});

describe('rate limits', () => {
  it('per session: a friendly 429 in the person\'s language, other sessions go on', async () => {
    const app = simulatorApp({ perSession: 3 });
    const busy = await newSession(app);
    const calm = await newSession(app);
    for (let i = 0; i < 3; i++) await send(app, busy).expect(200);
    const limited = await send(app, busy).expect(429);
    expect(limited.body).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/^Terlalu banyak pesan/) });
    expect(limited.headers['ratelimit-policy']).toBeDefined();
    expect(limited.body.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.body.retryAfterSeconds).toBeLessThanOrEqual(60);
    const english = await send(app, busy, { kind: 'text', text: 'hi' }, { language: 'en' }).expect(429);
    expect(english.body.message).toMatch(/^Too many messages/);
    await send(app, calm).expect(200);
  });

  it('per address: every API call counts, another address goes on', async () => {
    const app = simulatorApp({ perAddress: 5 });
    const s1 = await newSession(app, '198.51.100.7');
    const s2 = await newSession(app, '198.51.100.7');
    const from = (address: string, session: string) => send(app, session).set('x-forwarded-for', address);
    for (let i = 0; i < 5; i++) await from('203.0.113.5', i % 2 ? s1 : s2).expect(200);
    const limited = await from('203.0.113.5', s1).expect(429);
    expect(limited.body.message).toMatch(/^Terlalu banyak pesan/);
    await request(app).get('/simulator/api/transcript').query({ sessionId: s1 }).set('x-forwarded-for', '203.0.113.5').expect(429);
    await from('203.0.113.9', s1).expect(200);
  });

  it('new sessions per address', async () => {
    const app = simulatorApp({ sessionsPerAddress: 2 });
    await newSession(app, '192.0.2.1');
    await newSession(app, '192.0.2.1');
    const res = await request(app).post('/simulator/api/session').set('x-forwarded-for', '192.0.2.1').expect(429);
    expect(res.body.message).toMatch(/^Terlalu banyak sesi baru/);
    await newSession(app, '192.0.2.2');
  });
});
