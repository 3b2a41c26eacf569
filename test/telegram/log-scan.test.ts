/**
 * The log of a whole run, at every level down to trace, carries no secret and nothing a person
 * said: a Telegram conversation through the real service, with a handler that fails once on the
 * way, and the database-backed pipeline logging as it does in production.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatExtensions } from '../../src/conversation/extensions.js';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';
import { TelegramUser } from '../helpers/telegram-user.js';

const TOKEN = '626262:log-scan-secret-part-QWERTYUIOP';
const SECRET = 'log_scan_webhook_secret';
const NAME = 'Maria Wattimena';
const PHONE = '081234567890';
const PLACE = 'Dusun Rahasia Tujuh';

describe('the log of an end-to-end run', () => {
  let fake: FakeTelegram;
  let service: RunningService;
  const lines: string[] = [];
  let failures = 0;

  // A feature whose command fails the first time, as a bug would: the message is retried from the inbox.
  const flaky: ChatExtensions = {
    commands: [{
      words: ['coba'],
      roles: ['warga', 'pokja', 'fasilitator', 'admin'],
      run: async () => {
        if (failures++ === 0) throw Object.assign(new Error('handler blew up'), { update: { message: { text: PLACE } } });
        return [{ text: 'Berhasil.' }];
      },
    }, {
      // A bug that never goes away: the message is given up and the person told, not left waiting.
      words: ['rusak'],
      roles: ['warga', 'pokja', 'fasilitator', 'admin'],
      run: async () => {
        throw new Error('always broken');
      },
    }],
  };

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 30 } });
    const port = await freePort();
    const config = loadConfig({
      MONGODB_URI: uniqueDatabaseUri(), PORT: String(port), TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`, TELEGRAM_WEBHOOK_SECRET: SECRET,
    });
    const destination = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
    service = await startService(config, createLogger({ level: 'trace', destination }), { extensions: flaky, telegramRateLimits: { perChatBurst: 30 } });
  });

  afterAll(async () => {
    await service?.stop();
    await fake?.close();
  });

  it('has no token, webhook secret, name, phone number or answer text at any level, and records the failure', async () => {
    const user = new TelegramUser(fake, 6101, 'Maria');
    user.say('/start');
    user.press('Ya', await user.expect(/Apakah Anda setuju/));
    user.press('Tidak', await user.expect(/di bawah 17/));
    await user.expect(/Siapa nama/);
    user.say(`${NAME} ${PHONE}`);
    user.press('Teluk Waru', await user.expect(/kecamatan mana/));
    await user.expect(/nama desa Anda/);
    user.say('Solang');
    user.press('Warga desa', await user.expect(/ikut sebagai apa/));
    user.press('Kirim', await user.expect(/Periksa jawaban/));
    await user.expect(/Mau melakukan apa/);

    user.say('coba');
    await user.expect(/Berhasil/, 15_000);
    expect(failures).toBe(2);

    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThan(5);
    // The failure itself is in the log, with what a developer needs.
    const failure = lines.map((l) => JSON.parse(l) as { err?: { type?: string; message?: string; stack?: string } }).find((l) => l.err?.message === 'handler blew up');
    expect(failure?.err).toMatchObject({ type: 'Error', stack: expect.stringContaining('log-scan.test.ts') });
    for (const secret of [TOKEN, TOKEN.split(':')[1]!, SECRET, NAME, 'Wattimena', PHONE, PLACE]) {
      expect(log, `the log contains ${JSON.stringify(secret)}`).not.toContain(secret);
    }
  }, 60_000);

  it('a message that keeps failing is given up after a few tries: the person is told, and their next message is answered', async () => {
    const { InboxModel } = await import('../../src/db/models.js');
    const user = new TelegramUser(fake, 6101, 'Maria');
    const update = user.say("rusak");
    await user.expect(/tidak bisa kami proses/, 20_000);
    expect(await InboxModel.findById(`telegram:tg:${update.update_id}`).lean()).toMatchObject({ status: 'failed', lastError: 'Error: always broken' });
    user.say('menu');
    await user.expect(/Mau melakukan apa/);
    expect(lines.some((l) => l.includes('gave up on a message that keeps failing'))).toBe(true);
  }, 40_000);
});
