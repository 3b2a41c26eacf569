/** Sending through the local Graph API: errors by code, addressing, and failed statuses that come later. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphClient } from '../../src/channels/whatsapp/graph.js';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/channel.js';
import { createWhatsAppOutbound } from '../../src/channels/whatsapp/outbound.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { OutboxModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import type { SendRequest } from '../../src/channels/channel.js';
import { startFakeWhatsApp, type FakeWhatsApp } from '../fakes/whatsapp-graph-api.js';
import { statusPayload } from '../fakes/whatsapp-payloads.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();
const logger = createLogger({ level: 'silent' });
const PHONE_ID = '106540352242922';

describe('WhatsApp outbound', () => {
  let wa: FakeWhatsApp;
  beforeAll(async () => {
    wa = await startFakeWhatsApp({ token: 'tok', phoneNumberId: PHONE_ID, perSecond: 80 });
  });
  afterAll(async () => wa?.close());

  const outbound = (token = 'tok', lastInboundAt: Date | null = new Date()) =>
    createWhatsAppOutbound({ graph: createGraphClient({ baseUrl: wa.baseUrl, apiVersion: 'v23.0', accessToken: token }), phoneNumberId: PHONE_ID, logger, lastInboundAt: async () => lastInboundAt });
  const request = (to: string, text = 'Halo', kind = 'reply'): SendRequest => ({ to, messages: [{ text }], replyTo: null, alreadySent: 0, kind });

  it('sends to a phone number with `to` and to a business-scoped id with `recipient`', async () => {
    wa.setLastInbound('6281200000001', Date.now());
    wa.setLastInbound('ID.777', Date.now());
    expect(await outbound().send(request('6281200000001'))).toMatchObject({ ok: true });
    expect(await outbound().send(request('ID.777'))).toMatchObject({ ok: true });
    expect(wa.calls.at(-2)?.body).toMatchObject({ to: '6281200000001', messaging_product: 'whatsapp' });
    expect(wa.calls.at(-1)?.body).toMatchObject({ recipient: 'ID.777' });
    expect(wa.calls.at(-1)?.body).not.toHaveProperty('to');
  });

  it('a wrong token fails with the platform message; a closed window is window-closed, not retried', async () => {
    expect(await outbound('wrong').send(request('6281200000001'))).toMatchObject({ ok: false, outcome: 'failed', error: expect.stringContaining('190') });
    wa.setLastInbound('6281200000002', Date.now() - 25 * 3600_000);
    expect(await outbound().send(request('6281200000002'))).toMatchObject({ ok: false, outcome: 'window-closed', error: expect.stringContaining('131047') });
  });

  it('over the number\'s pace (80/s; 5/s here) the rest is throttled (130429) and retried after a wait, for the whole number', async () => {
    const slow = await startFakeWhatsApp({ token: 'tok', phoneNumberId: PHONE_ID, perSecond: 5 });
    try {
      const to = '6281200000003';
      slow.setLastInbound(to, Date.now());
      const graph = createGraphClient({ baseUrl: slow.baseUrl, apiVersion: 'v23.0', accessToken: 'tok' });
      const out = createWhatsAppOutbound({ graph, phoneNumberId: PHONE_ID, logger, lastInboundAt: async () => new Date() });
      const results = await Promise.all(Array.from({ length: 12 }, () => out.send(request(to))));
      const throttled = results.filter((r) => !r.ok);
      expect(throttled.length).toBeGreaterThanOrEqual(5);
      expect(throttled[0]).toMatchObject({ outcome: 'retry', scope: 'channel', retryAfterMs: 1000, error: expect.stringContaining('130429') });
      expect(slow.tooManyRequests).toBe(throttled.length);
    } finally {
      await slow.close();
    }
  });

  it('one person\'s pace (131056) makes only that chat wait, 6 s', async () => {
    const paced = await startFakeWhatsApp({ token: 'tok', phoneNumberId: PHONE_ID, pairLimit: { burst: 2, everyMs: 6000 } });
    try {
      const graph = createGraphClient({ baseUrl: paced.baseUrl, apiVersion: 'v23.0', accessToken: 'tok' });
      const out = createWhatsAppOutbound({ graph, phoneNumberId: PHONE_ID, logger, lastInboundAt: async () => new Date() });
      paced.setLastInbound('6281200000005', Date.now());
      paced.setLastInbound('6281200000006', Date.now());
      const three = [await out.send(request('6281200000005')), await out.send(request('6281200000005')), await out.send(request('6281200000005'))];
      expect(three.map((r) => r.ok)).toEqual([true, true, false]);
      expect(three[2]).toMatchObject({ outcome: 'retry', scope: 'chat', retryAfterMs: 6000, error: expect.stringContaining('131056') });
      expect(await out.send(request('6281200000006'))).toMatchObject({ ok: true });
    } finally {
      await paced.close();
    }
  });

  it('a network failure is retried', async () => {
    const graph = createGraphClient({ baseUrl: 'http://127.0.0.1:9', apiVersion: 'v23.0', accessToken: 'tok' });
    const out = createWhatsAppOutbound({ graph, phoneNumberId: PHONE_ID, logger, lastInboundAt: async () => new Date() });
    expect(await out.send(request('6281200000001'))).toMatchObject({ ok: false, outcome: 'retry' });
  });

  it('a failed status that comes later (131047) marks the entry that sent the message', async () => {
    const channel = createWhatsAppChannel({ appSecret: 's', phoneNumberId: PHONE_ID, inbox: { receive: async () => 'recorded' }, logger });
    await OutboxModel.create({ _id: 'late-fail', kind: 'reply', channel: 'whatsapp', to: '6281200000004', messages: [{ text: 'x' }], status: 'sent', seq: 1, availableAt: new Date(), createdAt: new Date(), platformMessageIds: ['wamid.LATE'] });
    const body = statusPayload(PHONE_ID, { id: 'wamid.LATE', status: 'failed', recipient: '6281200000004', errors: [{ code: 131047, title: 'Re-engagement message' }] });
    expect(await channel.accept(body)).toEqual({ messages: 0, statuses: 1 });
    expect(await channel.accept(body)).toEqual({ messages: 0, statuses: 1 });
    const entry = await OutboxModel.findById('late-fail').lean();
    expect(entry).toMatchObject({ status: 'failed', lastError: 'window-closed: 131047: Re-engagement message' });
  });
});

describe('WhatsApp configuration', () => {
  const base = { MONGODB_URI: 'mongodb://127.0.0.1:1/x' };
  it('is off without the token, and refuses a token without the app secret', () => {
    expect(loadConfig(base).WHATSAPP_ACCESS_TOKEN).toBeUndefined();
    expect(() => loadConfig({ ...base, WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '123' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '123' })).toThrow(/WHATSAPP_APP_SECRET/);
    const config = loadConfig({ ...base, WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '123', WHATSAPP_APP_SECRET: 's', WHATSAPP_TEMPLATE_BROADCAST: 'kabar_desa' });
    expect(config).toMatchObject({ WHATSAPP_API_BASE_URL: 'https://graph.facebook.com', WHATSAPP_API_VERSION: 'v23.0', WHATSAPP_TEMPLATE_BROADCAST: { name: 'kabar_desa', language: 'id' }, simulatorEnabled: false });
    expect(() => loadConfig({ ...base, WHATSAPP_TEMPLATE_REMINDER: 'Bad Name!' })).toThrow(/WHATSAPP_TEMPLATE_REMINDER/);
  });
});
