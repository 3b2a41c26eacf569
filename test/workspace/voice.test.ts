/**
 * A report's voice notes in the workspace: streamed from GridFS with Range (206) under the
 * village check, shown as an <audio> player, transcribed (saved, audited) and exported with a link.
 */
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditLogModel, SubmissionModel } from '../../src/db/models.js';
import { mediaIdFor, storeMedia } from '../../src/media/store.js';
import { useTestDatabase } from '../helpers/db.js';
import { oggOpus } from '../helpers/ogg.js';
import { VILLAGE_A, VILLAGE_B, binary, buildHarness, makeMember, makeReport, signIn, type Harness, type Session } from './harness.js';

useTestDatabase();

let h: Harness;
let facA: Session;
let facB: Session;
let reportId: string;
const note = oggOpus(23);

beforeAll(async () => {
  h = await buildHarness({ publicBaseUrl: 'https://suaradesa.example.org' });
  facA = await signIn(h, (await makeMember('fasilitator', VILLAGE_A)).id);
  facB = await signIn(h, (await makeMember('fasilitator', VILLAGE_B)).id);
  const reporter = await makeMember('warga', VILLAGE_A, 'Mama Ina');
  const fileId = 'AwACAgUAAxkBAAIB-help-note';
  await storeMedia({ channel: 'telegram', fileId, fetch: async () => ({ data: note, contentType: 'audio/ogg' }) }, 1024 * 1024);
  const help = { kind: 'voice', fileId, mediaId: mediaIdFor('telegram', fileId), seconds: 23, mimeType: 'audio/ogg' };
  reportId = await makeReport(reporter.id, VILLAGE_A, { help });
});

const audioPath = () => `/app/laporan/${reportId}/suara/help`;

describe('voice notes in the workspace', () => {
  it('streams the whole note (200), a part of it (206 with Content-Range), and refuses a range past the end (416)', async () => {
    const whole = await request(h.app).get(audioPath()).set('cookie', facA.cookie).buffer(true).parse(binary).expect(200);
    expect(whole.headers['content-type']).toBe('audio/ogg');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(Buffer.compare(whole.body as Buffer, note)).toBe(0);
    const part = await request(h.app).get(audioPath()).set('cookie', facA.cookie).set('range', 'bytes=4-13').buffer(true).parse(binary).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 4-13/${note.length}`);
    expect(Buffer.compare(part.body as Buffer, note.subarray(4, 14))).toBe(0);
    const tail = await request(h.app).get(audioPath()).set('cookie', facA.cookie).set('range', 'bytes=-5').buffer(true).parse(binary).expect(206);
    expect(Buffer.compare(tail.body as Buffer, note.subarray(note.length - 5))).toBe(0);
    const past = await request(h.app).get(audioPath()).set('cookie', facA.cookie).set('range', `bytes=${note.length}-`).expect(416);
    expect(past.headers['content-range']).toBe(`bytes */${note.length}`);
  });

  it("another village's facilitator gets 404, as does a question without a voice note; no session, no sound", async () => {
    await request(h.app).get(audioPath()).set('cookie', facB.cookie).expect(404);
    await request(h.app).get(`/app/laporan/${reportId}/suara/place`).set('cookie', facA.cookie).expect(404);
    const anonymous = await request(h.app).get(audioPath());
    expect(anonymous.status).not.toBe(200);
    expect(anonymous.headers['content-type'] ?? '').not.toContain('audio');
  });

  it('the report page plays it and a facilitator types what was said: saved, audited, shown, exported with a link', async () => {
    const page = await request(h.app).get(`/app/laporan/${reportId}`).set('cookie', facA.cookie).expect(200);
    expect(page.text).toContain(`<audio controls preload="metadata" src="${audioPath()}"`);
    expect(page.text).toContain('[pesan suara 0:23]');

    const tooLong = await request(h.app).post(`${audioPath()}/transkrip`).set('cookie', facA.cookie).type('form').send({ _csrf: facA.csrf, transcript: 'x'.repeat(4001) });
    expect(tooLong.status).toBe(400);
    await request(h.app).post(`${audioPath()}/transkrip`).set('cookie', facB.cookie).type('form').send({ _csrf: facB.csrf, transcript: 'bukan desa saya' }).expect(404);
    await request(h.app).post(`${audioPath()}/transkrip`).set('cookie', facA.cookie).type('form').send({ _csrf: facA.csrf, transcript: 'Air bersih dan beras untuk 12 KK' }).expect(303);

    const saved = await SubmissionModel.findById(reportId).lean();
    expect(saved?.answers.help).toMatchObject({ kind: 'voice', transcript: 'Air bersih dan beras untuk 12 KK', seconds: 23 });
    expect(await AuditLogModel.countDocuments({ action: 'report.transcript', targetId: reportId })).toBe(1);
    const after = await request(h.app).get(`/app/laporan/${reportId}`).set('cookie', facA.cookie).expect(200);
    expect(after.text).toContain('[pesan suara 0:23] Air bersih dan beras untuk 12 KK');

    const csv = await request(h.app).get('/api/exports/csv').query({ flow: 'laporan-risiko' }).set('cookie', facA.cookie).expect(200);
    const rows = parse(csv.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    const row = rows.find((r) => Object.values(r).includes(reportId))!;
    expect(row['Bantuan perlu']).toBe('[pesan suara 0:23] Air bersih dan beras untuk 12 KK');
    expect(row['Bantuan perlu (tautan pesan suara)']).toBe(`https://suaradesa.example.org${audioPath()}`);
    expect(row['Tempat (tautan pesan suara)']).toBe('');
  });
});
