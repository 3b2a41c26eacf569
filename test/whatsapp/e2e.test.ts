/**
 * The whole product over WhatsApp: the real service (flows, engine, MongoDB) behind the signed
 * webhook, sending through the dispatcher to the local Graph API, which enforces WhatsApp's limits.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { DeliveryStatusModel, InboxModel, MemberModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { MEDIA_BUCKET } from '../../src/media/store.js';
import { enqueue } from '../../src/pipeline/outbox.js';
import { startService, type RunningService } from '../../src/service.js';
import { startFakeWhatsApp, type FakeWhatsApp, type SeenMessage } from '../fakes/whatsapp-graph-api.js';
import { messagePayload, metaJson, sign } from '../fakes/whatsapp-payloads.js';
import { replyKept, uniqueDatabaseUri } from '../helpers/db.js';

const TOKEN = 'EAAG-e2e-token';
const SECRET = 'e2e-app-secret';
const VERIFY = 'verify-me-42';
const PHONE_ID = '106540352242922';

const kindOf = (m: SeenMessage) => (m.payload.type === 'interactive' ? String((m.payload.interactive as { type: string }).type) : String(m.payload.type));

describe('WhatsApp end to end', () => {
  let wa: FakeWhatsApp;
  let service: RunningService;
  let appUrl: string;
  let config: ReturnType<typeof loadConfig>;
  /** The webhook test's signed bytes, delivered again after a restart. */
  let delivered: { raw: string; id: string; phone: string } | undefined;

  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    wa = await startFakeWhatsApp({ token: TOKEN, appSecret: SECRET, phoneNumberId: PHONE_ID, webhookUrl: `${appUrl}/whatsapp/webhook`, statusWebhooks: true });
    config = loadConfig({
      MONGODB_URI: uniqueDatabaseUri(),
      PORT: String(port),
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY,
      WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_API_BASE_URL: wa.baseUrl,
      WHATSAPP_TEMPLATE_REMINDER: 'pengingat_isian:id',
    });
    service = await startService(config, createLogger({ level: 'silent' }));
  });

  afterAll(async () => {
    await service?.stop();
    await wa?.close();
  });

  it('a new number registers with consent and completes profil-desa with buttons, lists and a numbered text list', async () => {
    const user = { phone: '6281234560001', name: 'Pak Hasan' };
    expect((await wa.sendText(user, 'halo')).status).toBe(200);
    await wa.expect(user, /UU 27\/2022/);
    const consent = await wa.expect(user, /Apakah Anda setuju/);
    expect(kindOf(consent)).toBe('button');
    await wa.press(user, 'Ya');
    await wa.press(user, 'Tidak'); // under 17?
    await wa.expect(user, /Siapa nama/);
    await wa.sendText(user, 'Pak Hasan');
    const kecamatan = await wa.expect(user, /kecamatan mana/);
    expect(['button', 'list']).toContain(kindOf(kecamatan));
    await wa.press(user, 'Teluk Waru');
    // 11 villages and "Desa lain": more than a list holds, so the numbered text, answered by name.
    const villages = await wa.expect(user, /nama desa Anda/);
    expect(kindOf(villages)).toBe('text');
    expect(wa.textOf(villages)).toMatch(/\n9\. Solang\n/);
    await wa.sendText(user, 'Solang');
    await wa.press(user, 'Warga desa');
    await wa.expect(user, /Periksa jawaban/);
    await wa.press(user, 'Kirim');
    const menu = await wa.expect(user, /Mau melakukan apa/);
    // Three flows for a villager: reply buttons, the long label shortened and said whole in the body.
    expect(kindOf(menu)).toBe('button');
    expect(wa.optionsOf(menu).every((t) => [...t].length <= 20)).toBe(true);
    await wa.press(user, 'Profil desa');

    await wa.expect(user, /kepala keluarga/);
    await wa.sendText(user, '1.250');
    const school = await wa.expect(user, /sekolah/i);
    expect(kindOf(school)).toBe('list');
    await wa.press(user, 'SMP');
    await wa.press(user, 'Posyandu saja');
    await wa.expect(user, /ke-1/);
    await wa.press(user, 'Ikan (nelayan)');
    await wa.press(user, 'Musim teduh');
    await wa.press(user, 'Banyak');
    await wa.press(user, 'Ya');
    await wa.expect(user, /ke-2/);
    await wa.press(user, 'Cengkeh');
    await wa.press(user, 'Hanya musim panen');
    await wa.press(user, 'Kira-kira setengah');
    await wa.press(user, 'Tidak');
    await wa.press(user, 'Sedikit');
    await wa.expect(user, /perahu/);
    await wa.sendText(user, '40');
    await wa.press(user, 'Hanya lewat laut');
    // A multiple choice: the list comes again with the chosen rows marked, and "Selesai".
    await wa.press(user, 'Listrik');
    const again = await wa.waitFor(() => wa.botMessages(user).findLast((m) => wa.optionsOf(m).includes('✅ Listrik')));
    expect(wa.optionsOf(again)).toContain('Selesai');
    await wa.press(user, 'Sinyal HP');
    await wa.waitFor(() => wa.botMessages(user).findLast((m) => wa.optionsOf(m).includes('✅ Sinyal HP')));
    await wa.press(user, 'Selesai');
    await wa.press(user, 'Ya');
    await wa.press(user, 'Pedagang pengumpul di desa');
    await wa.expect(user, /kelompok/i);
    await wa.sendText(user, 'lewati');
    await wa.press(user, 'Kadang-kadang');
    await wa.press(user, 'Musim angin dan ombak');
    await wa.sendText(user, 'Budidaya rumput laut di teluk');
    await wa.expect(user, /Periksa jawaban/);
    await wa.press(user, 'Kirim');
    await wa.expect(user, /Terima kasih/);

    const member = await MemberModel.findOne({ channel: 'whatsapp', platformUserId: user.phone }).lean();
    expect(member).toMatchObject({ name: 'Pak Hasan', villageCode: '81.05.15.2004', role: 'warga' });
    const profile = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'profil-desa' }).lean();
    expect(profile?.channel).toBe('whatsapp');
    expect(profile?.answers).toMatchObject({
      households: 1250, school: 'smp', health: 'posyandu', land: 'sedikit', boats: 40, road: 'laut', services: ['listrik', 'sinyal'],
      savings_group: true, buyer: 'pengumpul_desa', mutual_help: 'kadang', hard_season: 'musim_angin', opportunity: 'Budidaya rumput laut di teluk',
    });
    const kinds = new Set(wa.botMessages(user).map(kindOf));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['button', 'list', 'text']));
  }, 60_000);

  it('a person known only by a business-scoped id registers from a poster link and files laporan-risiko with a photo', async () => {
    const user = { bsuid: 'ID.1349120865530274', name: 'Mama Ina' };
    await wa.sendText(user, 'DAFTAR 81_05_15_2004');
    await wa.press(user, 'Ya'); // consent
    await wa.press(user, 'Tidak');
    await wa.expect(user, /Siapa nama/);
    await wa.sendText(user, 'Mama Ina');
    // The village came with the link: no kecamatan or village question.
    await wa.expect(user, /ikut sebagai apa/);
    await wa.press(user, 'Warga desa');
    await wa.press(user, 'Kirim');
    await wa.expect(user, /Mau melakukan apa/);
    expect(wa.calls.filter((c) => c.body.recipient === user.bsuid).length).toBeGreaterThan(0);
    expect(wa.calls.some((c) => c.body.to === user.bsuid)).toBe(false);

    await wa.press(user, 'Laporan risiko');
    // More than ten kinds of event: the numbered text, answered by number.
    const what = await wa.expect(user, /Apa yang terjadi/);
    expect(kindOf(what)).toBe('text');
    await wa.sendText(user, '2');
    await wa.sendText(user, 'kemarin');
    await wa.expect(user, /Di mana/);
    await wa.sendText(user, 'Dusun Pantai');
    const askLocation = await wa.expect(user, /lokasi/i);
    expect(kindOf(askLocation)).toBe('location_request_message');
    await wa.sendLocation(user, -3.5167, 130.6667);
    await wa.press(user, 'Sedang');
    await wa.sendText(user, '12');
    await wa.press(user, 'Ikan (nelayan)');
    await wa.waitFor(() => wa.botMessages(user).findLast((m) => wa.optionsOf(m).includes('✅ Ikan (nelayan)')));
    await wa.press(user, 'Selesai');
    await wa.expect(user, /bantuan/i);
    await wa.sendText(user, 'lewati');
    await wa.expect(user, /foto/i);
    const photo = Buffer.from('\xff\xd8\xff\xe0 not really a jpeg but bytes all the same', 'latin1');
    const sent = await wa.sendImage(user, photo, 'air masuk rumah');
    await wa.expect(user, /Periksa jawaban/);
    await wa.press(user, 'Kirim');
    await wa.expect(user, /laporan Anda sudah tersimpan/);

    const member = await MemberModel.findOne({ channel: 'whatsapp', platformUserId: user.bsuid }).lean();
    expect(member).toMatchObject({ name: 'Mama Ina', villageCode: '81.05.15.2004' });
    const report = await SubmissionModel.findOne({ memberId: member?._id, flowId: 'laporan-risiko' }).lean();
    expect(report?.answers).toMatchObject({ type: 'rob', place: 'Dusun Pantai', location: { latitude: -3.5167, longitude: 130.6667 }, severity: 'sedang', households: 12, livelihoods: ['perikanan'] });
    const answer = report?.answers.photo as { fileId: string; caption: string; mediaId: string };
    expect(answer).toMatchObject({ fileId: sent.mediaId, caption: 'air masuk rumah' });
    expect(answer.mediaId).toMatch(/^[0-9a-f]{24}$/);
    await service.whatsapp!.media.idle();
    const bucket = new mongoose.mongo.GridFSBucket(mongoose.connection.db!, { bucketName: MEDIA_BUCKET });
    const chunks: Buffer[] = [];
    for await (const c of bucket.openDownloadStream(new mongoose.Types.ObjectId(answer.mediaId))) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(photo)).toBe(true);
    expect(wa.mediaDownloads).toBe(1);
  }, 60_000);

  it('delivery statuses arrive (in any order) and are recorded once each, never answered', async () => {
    const user = { phone: '6281234560001' };
    // The replies of the earlier test have all gone out: the count below is this test's own.
    await service.inbox.drained();
    await service.dispatcher.drained();
    const out = wa.botMessages(user).at(-1)!;
    await wa.waitFor(async () => (await DeliveryStatusModel.countDocuments({ platformMessageId: out.id })) === 2);
    const before = wa.botMessages(user).length;
    expect(await wa.postStatus(user, { id: out.id, status: 'read' })).toBe(200);
    expect(await wa.postStatus(user, { id: out.id, status: 'read' })).toBe(200);
    expect((await DeliveryStatusModel.find({ platformMessageId: out.id }).lean()).map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    await service.inbox.drained();
    await service.dispatcher.drained();
    expect(wa.botMessages(user)).toHaveLength(before);
  });

  it('verifies the webhook: the handshake, signatures over the raw bytes, bad bodies', async () => {
    const hub = (token: string) => fetch(`${appUrl}/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    const good = await hub(VERIFY);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('1158201444');
    expect((await hub('wrong')).status).toBe(403);

    // Meta's bytes: emoji and "/" escaped. Signed over those bytes, the message is taken; the
    // same content re-serialised by JSON.stringify has another signature and is refused.
    const user = { phone: '6281234560099', name: 'Ibu Ani' };
    const payload = messagePayload(PHONE_ID, user, { type: 'text', text: { body: 'Halo 👋 rumah/dapur' } });
    const raw = metaJson(payload);
    expect(raw).toContain('\\ud83d\\udc4b');
    expect(raw).toContain('rumah\\/dapur');
    expect(await wa.post(JSON.stringify(payload), sign(raw, SECRET))).toBe(401);
    expect(await wa.post(raw, null)).toBe(401);
    expect(await wa.post(raw, sign(raw, 'another-secret'))).toBe(401);
    expect(await InboxModel.countDocuments({ 'message.platformUserId': user.phone })).toBe(0);
    expect(await MemberModel.countDocuments({ platformUserId: user.phone })).toBe(0);

    expect(await wa.post(raw)).toBe(200);
    const id = ((payload.entry as { changes: { value: { messages: { id: string }[] } }[] }[])[0]!.changes[0]!.value.messages[0]!).id;
    const inbound = await InboxModel.findById(`whatsapp:${id}`).lean();
    expect(inbound).not.toBeNull();
    await wa.expect(user, /Apakah Anda setuju/);

    // A duplicated delivery: 200 again, handled once.
    expect(await wa.post(raw)).toBe(200);
    await wa.waitFor(async () => (await InboxModel.findById(`whatsapp:${id}`).lean())?.status === 'done');
    await service.inbox.drained();
    await service.dispatcher.drained();
    expect(wa.botMessages(user).filter((m) => /Apakah Anda setuju/.test(wa.textOf(m)))).toHaveLength(1);
    expect(await replyKept(`reply:whatsapp:${id}`)).toEqual({ kept: true, outboxEntries: expect.any(Number) });
    expect((await replyKept(`reply:whatsapp:${id}`)).outboxEntries).toBeLessThanOrEqual(1);
    delivered = { raw, id, phone: user.phone };

    expect(await wa.post('{"object":"whatsapp_business_account","entry":[')).toBe(400);
    const emptyEntry = metaJson({ object: 'whatsapp_business_account', entry: [] });
    const inboxBefore = await InboxModel.countDocuments();
    expect(await wa.post(emptyEntry)).toBe(200);
    expect(await wa.post(metaJson({ hello: 'world' }))).toBe(400);
    expect(await InboxModel.countDocuments()).toBe(inboxBefore);
  });

  it('a delivery repeated six days later, after a restart, is answered 200 and handled once', async () => {
    const { raw, id, phone } = delivered!;
    const replies = wa.botMessages(phone).length;
    await service.stop();
    const later = () => new Date(Date.now() + 6 * 24 * 3600_000);
    service = await startService(config, createLogger({ level: 'silent' }), { now: later });
    await service.sweep(later()); // the nightly clean-up keeps dedupe marks longer than Meta retries
    expect(await wa.post(raw)).toBe(200);
    await service.inbox.drained();
    await service.dispatcher.drained();
    expect(await InboxModel.countDocuments({ _id: `whatsapp:${id}` })).toBe(1);
    // No second answer. What did go out is the sweep's reminder of the unfinished registration
    // (a day before it expires), outside the window by then: as the reminder template.
    const since = wa.botMessages(phone).slice(replies);
    expect(since.map((m) => m.payload.type)).toEqual(['template']);
    expect(wa.textOf(since[0]!)).toMatch(/^\[template pengingat_isian\]/);
    // The restarted service runs on the real clock again for the tests after this one.
    await service.stop();
    service = await startService(config, createLogger({ level: 'silent' }));
  }, 30_000);

  it('answers "belum bisa dibaca" to what it cannot read', async () => {
    const user = { phone: '6281234560001' };
    await wa.sendMessage(user, { type: 'sticker', sticker: { id: '5551', mime_type: 'image/webp' } });
    await wa.expect(user, /belum bisa dibaca/);
    await service.inbox.drained();
    await service.dispatcher.drained();
  });

  it('outside the 24-hour window a reminder goes as its template, and a broadcast without one is skipped', async () => {
    const user = { phone: '6281234560001' };
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    await MemberModel.updateOne({ channel: 'whatsapp', platformUserId: user.phone }, { $set: { lastInboundAt: twoDaysAgo, 'seenAt.whatsapp': twoDaysAgo } });
    wa.setLastInbound(user, twoDaysAgo.getTime());
    service.dispatcher.wake(
      await enqueue([
        { id: 'wa-reminder-1', kind: 'reminder', channel: 'whatsapp', to: user.phone, messages: [{ text: 'Isian profil desa belum selesai.\nKetik MENU untuk lanjut.' }] },
        { id: 'wa-broadcast-1', kind: 'broadcast', channel: 'whatsapp', to: user.phone, messages: [{ text: 'Rapat desa hari Sabtu.' }] },
      ]),
    );
    await wa.waitFor(async () => (await OutboxModel.findById('wa-broadcast-1').lean())?.status === 'skipped');
    const reminder = await OutboxModel.findById('wa-reminder-1').lean();
    expect(reminder?.status).toBe('sent');
    const last = wa.botMessages(user).at(-1)!;
    expect(last.payload).toMatchObject({ type: 'template', template: { name: 'pengingat_isian', language: { code: 'id' } } });
    expect(wa.textOf(last)).toContain('Isian profil desa belum selesai. · Ketik MENU untuk lanjut.');
    expect((await OutboxModel.findById('wa-broadcast-1').lean())?.lastError).toMatch(/window-closed/);
    expect(wa.botMessages(user).some((m) => wa.textOf(m).includes('Rapat desa'))).toBe(false);
  });
});
