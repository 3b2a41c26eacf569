/**
 * Issue 18, point 10: a photo chosen in the chat simulator is uploaded, kept in GridFS like a
 * Telegram photo (the inbound message carries its media id), and the report page shows it as
 * an <img> served to a facilitator of the village only. Not a photo: a 415 with a reason.
 */
import { Types } from 'mongoose';
import sharp from 'sharp';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorRouter } from '../../src/channels/web/simulator.js';
import { SubmissionModel } from '../../src/db/models.js';
import { mediaBucket, mediaIdFor } from '../../src/media/store.js';
import type { InboundHandler, InboundMessage } from '../../src/messages/index.js';
import { useTestDatabase } from '../helpers/db.js';
import { VILLAGE_A, VILLAGE_B, binary, buildHarness, makeMember, signIn, type Harness } from './harness.js';

useTestDatabase();

/** Keeps what reached the conversation side; answers with a short text. */
function recordingHandler(): InboundHandler & { seen: InboundMessage[] } {
  const seen: InboundMessage[] = [];
  return {
    seen,
    async handle(message) {
      seen.push(message);
      return [{ text: 'Terima kasih', language: 'id' }];
    },
    async setBlocked() {},
  };
}

let h: Harness;
let handler: ReturnType<typeof recordingHandler>;
let jpeg: Buffer;

beforeAll(async () => {
  handler = recordingHandler();
  h = await buildHarness({ mount: (app, i18n) => app.use(createSimulatorRouter({ handler, i18n, roleCodes: false })) });
  jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
});

const newSession = async () => (await request(h.app).post('/simulator/api/session').expect(201)).body.sessionId as string;
const upload = (sessionId: string, body: Buffer, type = 'image/jpeg') =>
  request(h.app).post(`/simulator/api/photo?sessionId=${sessionId}`).set('content-type', type).send(body);
let n = 0;
const sendPhoto = (sessionId: string, fileId: string) =>
  request(h.app).post('/simulator/api/send').send({ sessionId, messageId: `photo-${String(++n).padStart(6, '0')}`, content: { kind: 'photo', fileId } }).expect(200);

describe('photos sent in the simulator', () => {
  it('are stored in GridFS as Telegram photos are, and the answer carries the media id', async () => {
    const session = await newSession();
    const res = await upload(session, jpeg).expect(201);
    const fileId = res.body.fileId as string;
    await sendPhoto(session, fileId);
    const content = handler.seen.at(-1)!.content;
    expect(content).toEqual({ kind: 'photo', fileId, mediaId: mediaIdFor('web', fileId) });
    const [file] = await mediaBucket().find({ _id: new Types.ObjectId(mediaIdFor('web', fileId)) }).toArray();
    expect(file).toMatchObject({ length: jpeg.length, metadata: { channel: 'web', contentType: 'image/jpeg' } });
  });

  it('another session cannot send a photo it did not upload; a file that is no photo is refused with a reason', async () => {
    const owner = await newSession();
    const fileId = (await upload(owner, jpeg).expect(201)).body.fileId as string;
    const other = await newSession();
    await sendPhoto(other, fileId);
    expect(handler.seen.at(-1)!.content).toEqual({ kind: 'photo', fileId });

    const refused = await upload(other, Buffer.from('%PDF-1.4 not a photo'), 'application/pdf').expect(415);
    expect(refused.body).toEqual({ error: 'not_a_photo', message: 'Itu bukan foto. Pilih foto JPEG, PNG atau WebP, paling besar 10 MB.' });
    await upload(other, Buffer.alloc(0)).expect(415);
  });

  it('the report page shows the photo; only a facilitator of the village gets the image', async () => {
    const session = await newSession();
    const fileId = (await upload(session, jpeg).expect(201)).body.fileId as string;
    await sendPhoto(session, fileId);
    const photo = handler.seen.at(-1)!.content as { fileId: string; mediaId: string };
    // The submission as the engine stores a photo answer (src/engine/questions/photo.ts).
    const reporter = await makeMember('warga', VILLAGE_A, 'Pelapor simulator');
    const report = await SubmissionModel.create({
      runId: new Types.ObjectId(), memberId: reporter.id, villageCode: VILLAGE_A, flowId: 'laporan-risiko', flowVersion: 1, channel: 'web', submittedAt: h.clock.now,
      answers: { type: 'banjir', severity: 'berat', photo: { fileId: photo.fileId, mediaId: photo.mediaId } },
    });
    const mine = await signIn(h, (await makeMember('fasilitator', VILLAGE_A, 'Fasilitator Solang')).id);
    const page = await request(h.app).get(`/app/laporan/${report._id}`).set('cookie', mine.cookie).expect(200);
    expect(page.text).toContain(`<img src="/app/laporan/${report._id}/foto/photo"`);
    expect(page.text).not.toContain('[foto]');
    const image = await request(h.app).get(`/app/laporan/${report._id}/foto/photo`).set('cookie', mine.cookie).buffer(true).parse(binary).expect(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect((await sharp(image.body as Buffer).metadata()).width).toBe(800);

    const elsewhere = await signIn(h, (await makeMember('fasilitator', VILLAGE_B, 'Fasilitator lain')).id);
    await request(h.app).get(`/app/laporan/${report._id}/foto/photo`).set('cookie', elsewhere.cookie).expect(404);
    await request(h.app).get(`/app/laporan/${report._id}/foto/photo`).expect(303);
  });
});
