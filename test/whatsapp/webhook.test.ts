/** The webhook's answers when the inbox can't record: 503 so Meta delivers again, and nothing half-done. */
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createWhatsAppChannel, mountWhatsAppWebhook } from '../../src/channels/whatsapp/channel.js';
import type { InboundMessage } from '../../src/messages/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { InboxUnavailable } from '../../src/pipeline/inbox.js';
import { signedWhatsAppText } from '../fakes/whatsapp-payloads.js';

const logger = createLogger({ level: 'silent' });

function appWith(receive: (m: InboundMessage) => Promise<'recorded' | 'duplicate'>) {
  const app = express();
  mountWhatsAppWebhook(app, createWhatsAppChannel({ appSecret: 'sec', phoneNumberId: '1065', inbox: { receive }, logger }));
  return app;
}

describe('the WhatsApp webhook and the inbox', () => {
  it('records before answering 200; the database away gives 503, and the repeat is then taken', async () => {
    const recorded: InboundMessage[] = [];
    let down = true;
    const app = appWith(async (m) => {
      if (down) throw new InboxUnavailable('no answer from the database within 2000 ms');
      recorded.push(m);
      return 'recorded';
    });
    const { body, headers, id } = signedWhatsAppText({ appSecret: 'sec', phoneNumberId: '1065', from: '6281200000009', text: 'halo 👋 a/b' });
    const first = await request(app).post('/whatsapp/webhook').set(headers).send(body);
    expect(first.status).toBe(503);
    expect(recorded).toHaveLength(0);
    down = false;
    const again = await request(app).post('/whatsapp/webhook').set(headers).send(body);
    expect(again.status).toBe(200);
    expect(recorded).toEqual([expect.objectContaining({ messageId: id, platformUserId: '6281200000009', content: { kind: 'text', text: 'halo 👋 a/b' } })]);
  });

  it('refuses before reading anything: no signature, a signature of other bytes, a wrong prefix', async () => {
    const recorded: InboundMessage[] = [];
    const app = appWith(async (m) => (recorded.push(m), 'recorded'));
    const { body, headers } = signedWhatsAppText({ appSecret: 'sec', phoneNumberId: '1065', from: '6281200000009', text: 'halo' });
    expect((await request(app).post('/whatsapp/webhook').set('content-type', 'application/json').send(body)).status).toBe(401);
    expect((await request(app).post('/whatsapp/webhook').set(headers).send(body.replace('halo', 'hal0'))).status).toBe(401);
    expect((await request(app).post('/whatsapp/webhook').set({ ...headers, 'x-hub-signature-256': headers['x-hub-signature-256']!.replace('sha256=', 'sha1=') }).send(body)).status).toBe(401);
    expect((await request(app).get('/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=&hub.challenge=1')).status).toBe(403);
    expect(recorded).toHaveLength(0);
  });
});
