/**
 * Faults, through the real service and its own database: the database goes away in the middle
 * of a conversation and comes back. Nothing acknowledged is lost, Telegram is told to send
 * again (503) instead of being told "received", the person is told nothing untrue, and the
 * conversation goes on by itself once the database is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort, startStandIn, type LocalServer } from '../../src/db/local-server.js';
import { MemberModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';

const TOKEN = '515151:faults-token-abcdefghijklmnopqrstuvwxyz';
const SECRET = 'faults_secret-51';
const USER = 6001;

describe('the database goes away mid-conversation (webhook)', () => {
  let dir: string;
  let dbPort: number;
  let db: LocalServer;
  let fake: FakeTelegram;
  let service: RunningService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'suaradesa-faults-'));
    dbPort = await freePort();
    db = await startStandIn(join(dir, 'db.mv.db'), { port: dbPort, fsync: false });
    fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 30 }, webhook: { retryBaseMs: 100, retryMaxMs: 400 } });
    const port = await freePort();
    const config = loadConfig({
      MONGODB_URI: `mongodb://127.0.0.1:${dbPort}/faults`,
      PORT: String(port),
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    });
    service = await startService(config, createLogger({ level: 'silent' }));
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await fake?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 quickly while it is away, then handles the message once when it is back', async () => {
    const from = { id: USER, first_name: 'Siti', language_code: 'id' };
    fake.sendText(from, 'halo');
    await fake.waitFor(() => fake.chat(USER).botMessages.some((m) => /setuju/.test(m.text ?? '')), 10_000);
    await service.inbox.drained();
    await service.dispatcher.drained();
    const before = fake.chat(USER).botMessages.length;

    await db.stop();
    const update = fake.sendText(from, 'Ya');
    // Telegram is told to send it again, fast (not after the driver's 10 s), and more than once.
    await fake.waitFor(() => fake.webhookDeliveries.filter((d) => d.update_id === update.update_id).length >= 2, 15_000);
    const refused = fake.webhookDeliveries.filter((d) => d.update_id === update.update_id);
    expect(refused.every((d) => d.status === 503)).toBe(true);
    expect(Math.max(...refused.map((d) => d.durationMs ?? 0))).toBeLessThan(3_000);
    // Nothing untrue was said meanwhile ("jawaban Anda tidak hilang" and the like): nothing at all.
    expect(fake.chat(USER).botMessages.length).toBe(before);

    db = await startStandIn(join(dir, 'db.mv.db'), { port: dbPort, fsync: false });
    // The next retry is recorded and handled: the consent was taken, the next question comes once.
    await fake.waitFor(() => fake.chat(USER).botMessages.some((m) => /Apakah umur Anda/.test(m.text ?? '')), 30_000);
    // The reply can go out before the webhook's 200 is written back (Telegram updates are handled
    // before they are acknowledged), so wait for the delivery's own answer too.
    await fake.waitFor(() => fake.webhookDeliveries.some((d) => d.update_id === update.update_id && d.status !== 503), 10_000);
    await service.inbox.drained();
    await service.dispatcher.drained();
    const member = await MemberModel.findOne({ channel: 'telegram', platformUserId: String(USER) }).lean();
    expect(member?.run?.state.answers.consent).toBe(true);
    expect(fake.chat(USER).botMessages.filter((m) => /Apakah umur Anda/.test(m.text ?? ''))).toHaveLength(1);
    expect(fake.webhookDeliveries.filter((d) => d.update_id === update.update_id).at(-1)?.status).toBe(200);
  }, 90_000);
});
