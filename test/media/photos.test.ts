/**
 * Photos sent over Telegram are kept in GridFS soon after they arrive (getFile, then the file URL),
 * and the stored answer carries the reference the workspace shows them by.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { MemberModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { MEDIA_BUCKET, mediaIdFor, MediaDownloader, storeMedia } from '../../src/media/store.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-bot-api.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

const TOKEN = '424243:photo-token-abcdefghijklmnopqrstuvwxyz';

describe('photos into GridFS', () => {
  let fake: FakeTelegram;
  let service: RunningService;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN, limits: { perChatBurst: 30 } });
    const config = loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: String(await freePort()), TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot });
    service = await startService(config, createLogger({ level: 'silent' }));
  });

  afterAll(async () => {
    await service?.stop();
    await fake?.close();
  });

  const bucket = () => new mongoose.mongo.GridFSBucket(mongoose.connection.db!, { bucketName: MEDIA_BUCKET });

  it('a Telegram photo is fetched with getFile and stored once, under the id its message carries', async () => {
    const chat = 7001;
    fake.sendText({ id: chat, first_name: 'Ani' }, 'halo');
    await fake.waitFor(() => fake.chat(chat).botMessages.find((m) => /Apakah Anda setuju/.test(m.text ?? '')), 8000);
    const update = fake.sendPhoto(chat, { caption: 'talud' }) as unknown as { message: { photo: { file_id: string }[] } };
    const fileId = update.message.photo.at(-1)!.file_id;
    await fake.waitFor(() => fake.callsTo('getFile').length > 0, 8000);
    await service.media.idle();
    const files = await bucket().find({ _id: new mongoose.Types.ObjectId(mediaIdFor('telegram', fileId)) }).toArray();
    expect(files).toHaveLength(1);
    expect(files[0]!.metadata).toMatchObject({ channel: 'telegram', fileId });
    expect(files[0]!.length).toBeGreaterThan(0);
    expect(await MemberModel.countDocuments({ platformUserId: String(chat) })).toBe(1);
  });

  it('stores a file once, and refuses one over the cap', async () => {
    const job = { channel: 'whatsapp', fileId: 'cap-test', fetch: async () => ({ data: Buffer.alloc(100, 1), contentType: 'image/jpeg' }) };
    expect(await storeMedia(job, 1000)).toBe('stored');
    expect(await storeMedia(job, 1000)).toBe('exists');
    const big = { ...job, fileId: 'too-big' };
    await expect(storeMedia(big, 50)).rejects.toThrow(/too large/);
    const downloader = new MediaDownloader({ logger: createLogger({ level: 'silent' }), maxBytes: 50, retryBaseMs: 1 });
    downloader.schedule(big);
    await downloader.idle();
    expect(downloader.stats).toMatchObject({ failed: 1, stored: 0 });
    expect(await bucket().find({ _id: new mongoose.Types.ObjectId(mediaIdFor('whatsapp', 'too-big')) }).toArray()).toHaveLength(0);
  });
});
