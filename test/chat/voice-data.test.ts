/** Voice notes are personal data: `datasaya` lists them, `hapusdata` deletes them from GridFS, even from the reports that stay. */
import mongoose from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { mediaBucket, mediaIdFor, storeMedia } from '../../src/media/store.js';
import { ChatUser, createService, registerAsWarga, TestClock } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';
import { oggOpus } from '../helpers/ogg.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

/** A voice note as the Telegram channel hands it on, its file already in GridFS. */
async function voiceNote(fileId: string, seconds: number) {
  const data = oggOpus(seconds);
  await storeMedia({ channel: 'telegram', fileId, fetch: async () => ({ data, contentType: 'audio/ogg' }) }, 1024 * 1024);
  return { kind: 'audio' as const, fileId, mediaId: mediaIdFor('telegram', fileId), seconds, bytes: data.length, mimeType: 'audio/ogg' };
}

const stored = async (mediaId: string) => (await mediaBucket().find({ _id: new mongoose.Types.ObjectId(mediaId) }).toArray()).length;

describe('voice notes and personal data', () => {
  it('datasaya lists them; hapusdata deletes the files and keeps the report without them', async () => {
    const user = new ChatUser(await createService(new TestClock()), undefined, 'id', 'telegram');
    await registerAsWarga(user, 'Ibu Nona');
    await user.pressId('laporan-risiko');
    await user.pressId('rob');
    await user.say('kemarin');
    const place = await voiceNote('AwACAgUAAxkBAAIB-place', 23);
    await user.send(place);
    await user.say('lewati');
    await user.pressId('ringan');
    await user.say('lewati');
    await user.say('lewati');
    const help = await voiceNote('AwACAgUAAxkBAAIB-help', 75);
    await user.send(help);
    await user.say('lewati');
    expect(user.lastText).toContain('Pesan suara 1:15 ✓');
    await user.pressId('send');
    const member = (await user.member())!;

    await user.say('datasaya');
    expect(user.lastText).toContain('Pesan suara Anda (disimpan bersama laporan):\n• Laporan risiko (0:23)\n• Laporan risiko (1:15)');

    expect(await stored(place.mediaId)).toBe(1);
    await user.say('hapusdata');
    await user.yes();
    expect(user.lastText).toContain('rekaman pesan suara Anda');
    expect(await stored(place.mediaId)).toBe(0);
    expect(await stored(help.mediaId)).toBe(0);
    const report = await SubmissionModel.findOne({ flowId: 'laporan-risiko', reporterRemovedAt: { $ne: null } }).lean();
    expect(report?.memberId).toBeNull();
    expect(report?.answers.place).toEqual({ kind: 'voice', seconds: 23, mimeType: 'audio/ogg', removed: true });
    expect(JSON.stringify(report)).not.toContain(place.fileId);
    expect(String(member._id)).not.toBe(String(report?.memberId));
  });
});
