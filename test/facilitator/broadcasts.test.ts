/**
 * Broadcasts: preview and confirm in chat, sent by the real dispatcher through the local Bot API,
 * progress and the report, cancelling while it runs, a dispatcher killed half way, two dispatchers.
 */
import { Types } from 'mongoose';
import { afterEach, describe, expect, it } from 'vitest';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { broadcastProgress, createBroadcastDraft, confirmBroadcast, runBroadcasts } from '../../src/facilitator/broadcasts.js';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import { type HookContext } from '../../src/conversation/extensions.js';
import { BroadcastModel, MemberModel, OutboxModel } from '../../src/db/models.js';
import { translatorFor } from '../../src/i18n.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { useTestDatabase } from '../helpers/db.js';
import { captureLogger, telegramSetup, type TelegramSetup } from '../pipeline/helpers.js';
import { useFacilitatorFixture, KOTA_SIRIH, makeMember, memberIds, ids, snapshot, SOLANG, wit } from './helpers.js';

useTestDatabase();

const fx = useFacilitatorFixture('2026-09-10 10:00', [OutboxModel, BroadcastModel, MemberModel]);
const clock = fx.clock;
let tg: TelegramSetup | null = null;
const dispatchers: Dispatcher[] = [];
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.stop();
  await tg?.close();
  tg = null;
});

function dispatcher(setup: TelegramSetup, leaseMs = 30_000): Dispatcher {
  const d = new Dispatcher({ channels: setup.channels, logger: captureLogger().logger, pollIntervalMs: 25, leaseMs, backoff: { baseMs: 40, maxMs: 200 } });
  dispatchers.push(d);
  return d;
}

function ctxOf(m: Awaited<ReturnType<typeof makeMember>>): HookContext {
  return { member: snapshot(m), t: translatorFor(fx.deps.i18n, m.language ?? 'id'), now: clock.now(), inboundId: new Types.ObjectId().toHexString() };
}

let chatSeq = 5000;
async function telegramMembers(n: number, village = SOLANG, setup?: TelegramSetup) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const chat = ++chatSeq;
    setup?.fake.addChat(chat);
    out.push(await makeMember({ village, platformUserId: String(chat), name: `Warga ${chat}` }));
  }
  return out;
}

describe('making a broadcast in chat', () => {
  it('only facilitators and admins may; the review counts recipients per channel and who is left out; its KIRIM queues one entry each', async () => {
    const ext = createFacilitatorExtensions(fx.deps);
    const siaran = ext.commands!.find((c) => c.words.includes('siaran'))!;
    expect(siaran.roles).toEqual(['fasilitator', 'admin']);
    expect(siaran.roles).not.toContain('warga');

    const fac = await makeMember({ role: 'fasilitator', name: 'Bu Rina' });
    const tgWarga = await telegramMembers(3);
    const waWarga = await makeMember({ channel: 'whatsapp', language: 'en' });
    const pokja = await makeMember({ role: 'pokja' });
    await makeMember({ optedOut: true });
    await makeMember({ blocked: true });
    await makeMember({ consent: false });
    await makeMember({ village: KOTA_SIRIH }); // not the facilitator's village

    const run = await siaran.run({ ...ctxOf(fac), args: '' });
    expect(run).toEqual({ startFlow: 'siaran' });

    const answers = { target: 'semua', message: 'Rapat Pokja hari Sabtu jam 10.' };
    const scope = (await ext.flowScope!(snapshot(fac), 'siaran', ctxOf(fac).t, clock.now()))!;
    expect(scope.villageCodes).toEqual([SOLANG]);
    const note = scope.reviewNote!(answers)!;
    expect(note).toContain('Untuk desa dampingan Anda: Solang.');
    expect(note).toContain('Akan dikirim ke 6 orang (Telegram 5, WhatsApp 1).'); // fac + 3 + pokja on Telegram
    expect(note).toContain('Tidak menerima: 1 berhenti berlangganan, 1 memblokir bot, 1 belum setuju.');
    expect(note).toContain('KIRIM langsung mengirim siaran ini.');
    expect(await OutboxModel.countDocuments({})).toBe(0);

    const submission = { id: new Types.ObjectId(), flowId: 'siaran', flowVersion: 1, villageCode: SOLANG, answers };
    const [sending] = (await ext.onSubmit!(ctxOf(fac), submission))!;
    expect(sending!.text).toMatch(/sedang dikirim ke 6 orang/);
    expect(sending!.promptSeq).toBe(PROMPT_SEQ.action);
    expect(sending!.choices![0]!.id).toBe(`bc:${String(submission.id)}:stop`);
    const queued = await OutboxModel.find({ broadcastId: submission.id }).lean();
    expect(memberIds(queued)).toEqual(ids(fac, ...tgWarga, waWarga, pokja));
    expect(queued.every((e) => e._id === `bc:${String(submission.id)}:${String(e.memberId)}`)).toBe(true);
    expect((queued.find((e) => String(e.memberId) === String(waWarga._id))!.messages[0] as { text: string }).text).toMatch(/^Message from facilitator Bu Rina:/);

    // A replayed submission, or an old draft's send button, queues nothing more.
    const [again] = (await ext.onSubmit!(ctxOf(fac), submission))!;
    expect(again!.text).toMatch(/sudah dikirim/);
    expect((await ext.actions!.bc!(ctxOf(fac), `${String(submission.id)}:send`))[0]!.text).toMatch(/sudah dikirim/);
    expect(await BroadcastModel.countDocuments({})).toBe(1);
    expect(await OutboxModel.countDocuments({})).toBe(6);

    // Someone else's broadcast buttons do nothing.
    const other = await makeMember({ role: 'fasilitator' });
    expect((await ext.actions!.bc!(ctxOf(other), `${String(submission.id)}:stop`))[0]!.text).toBe('Tombol itu sudah tidak berlaku.');
  });

  it('targets by role and by kecamatan stay within the facilitator\'s villages', async () => {
    const ext = createFacilitatorExtensions(fx.deps);
    const fac = await makeMember({ role: 'fasilitator' });
    const warga = await makeMember();
    const pokja = await makeMember({ role: 'pokja' });
    await makeMember({ village: '81.05.15.2001' }); // another Teluk Waru village, not the facilitator's
    const byRole = { id: new Types.ObjectId(), flowId: 'siaran', flowVersion: 1, villageCode: SOLANG, answers: { target: 'peran', roles: ['pokja'], message: 'Laporan kegiatan' } };
    await ext.onSubmit!(ctxOf(fac), byRole);
    expect(memberIds(await OutboxModel.find({ broadcastId: byRole.id }).lean())).toEqual(ids(pokja));

    const byKec = { id: new Types.ObjectId(), flowId: 'siaran', flowVersion: 1, villageCode: SOLANG, answers: { target: 'kecamatan', kecamatan: ['Teluk Waru'], message: 'Halo' } };
    await ext.onSubmit!(ctxOf(fac), byKec);
    expect(memberIds(await OutboxModel.find({ broadcastId: byKec.id }).lean())).toEqual(ids(fac, warga, pokja));
  });

  it('in quiet hours the review says when it will go, and entries wait for 06:00', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    await makeMember();
    clock.set(wit('2026-09-10 21:30'));
    const ext = createFacilitatorExtensions(fx.deps);
    const sub = { id: new Types.ObjectId(), flowId: 'siaran', flowVersion: 1, villageCode: SOLANG, answers: { target: 'semua', message: 'Besok kerja bakti' } };
    const scope = (await ext.flowScope!(snapshot(fac), 'siaran', ctxOf(fac).t, clock.now()))!;
    expect(scope.reviewNote!(sub.answers)).toContain('Sekarang jam tenang: pesan mulai dikirim pukul 06.00 WIT.');
    await ext.onSubmit!(ctxOf(fac), sub);
    const all = await OutboxModel.find({ broadcastId: sub.id }).lean();
    expect(all).toHaveLength(2);
    for (const e of all) expect(e.availableAt.toISOString()).toBe(wit('2026-09-11 06:00').toISOString());
  });
});

describe('sending through the dispatcher', () => {
  it('delivers once to each, counts sent / blocked / skipped, and reports to the author when done', async () => {
    tg = await telegramSetup();
    const fac = (await telegramMembers(1, SOLANG, tg))[0]!;
    await fac.updateOne({ role: 'fasilitator', name: 'Bu Rina' });
    const people = await telegramMembers(20, SOLANG, tg);
    const blockedChat = people[3]!;
    tg.fake.blockUser(Number(blockedChat.platformUserId));
    await makeMember({ optedOut: true });
    await makeMember({ consent: false });

    const { id } = await createBroadcastDraft({ text: { id: 'Lokakarya diundur ke minggu depan.' }, villageCodes: [SOLANG], createdBy: fac._id, createdByName: 'Bu Rina' }, fx.deps);
    const d = dispatcher(tg);
    d.start();
    const local = { ...fx.deps, wake: () => d.wake() };
    await confirmBroadcast(id, local);
    await d.drained();
    for (const p of people) expect(tg.fake.received(Number(p.platformUserId))).toBe(p === blockedChat ? 0 : 1);
    expect(tg.fake.chat(Number(people[0]!.platformUserId)).botMessages[0]!.text).toBe('Pesan dari fasilitator Bu Rina:\n\nLokakarya diundur ke minggu depan.');

    const progress = await broadcastProgress(id);
    expect(progress).toMatchObject({ status: 'sending', recipients: 21, sent: 20, blocked: 1, skipped: 2, failed: 0, pending: 0 });
    expect(await runBroadcasts(local)).toBe(1);
    expect(await runBroadcasts(local)).toBe(0); // reported once
    await d.drained();
    const report = tg.fake.chat(Number(fac.platformUserId)).botMessages.map((m) => m.text).at(-1)!;
    expect(report).toMatch(/^Siaran selesai: "Lokakarya diundur/);
    expect(report).toContain('Terkirim: 20');
    expect(report).toContain('Memblokir bot: 1');
    expect(report).toContain('Dilewati (berhenti berlangganan, belum setuju, atau di luar 24 jam WhatsApp tanpa template): 2');
    expect((await BroadcastModel.findById(id).lean())!.status).toBe('done');
  });

  it('can be stopped while it runs: nothing waiting goes out afterwards', async () => {
    // 10/s: the dispatcher claims about 3 s ahead (30), so most of the 121 are still waiting at the stop.
    tg = await telegramSetup({ rateLimits: { perSecond: 10 } });
    const fac = (await telegramMembers(1, SOLANG, tg))[0]!;
    await fac.updateOne({ role: 'fasilitator' });
    const people = await telegramMembers(120, SOLANG, tg);
    const d = dispatcher(tg);
    d.start();
    const local = { ...fx.deps, wake: () => d.wake() };
    const { id } = await createBroadcastDraft({ text: { id: 'Pesan panjang' }, villageCodes: [SOLANG], createdBy: fac._id }, local);
    await confirmBroadcast(id, local);
    await tg.fake.waitFor(() => [...tg!.fake.receivedCounts().values()].reduce((a, b) => a + b, 0) >= 10, 15_000);
    // The sends stall while the facilitator stops it (on a loaded machine the stop can take
    // seconds, and a broadcast that runs on meanwhile would leave little to stop).
    const release = tg.fake.hold('sendMessage');
    const facNow = await MemberModel.findById(fac._id);
    const [stopped] = await createFacilitatorExtensions(local).actions!.bc!(ctxOf(facNow!), `${String(id)}:stop`);
    expect(stopped!.text).toMatch(/^Siaran dihentikan\./);
    release();
    await d.drained();
    const delivered = people.filter((p) => tg!.fake.received(Number(p.platformUserId)) === 1).length;
    const progress = await broadcastProgress(id);
    expect(progress.status).toBe('cancelled');
    expect(progress.sent).toBe(delivered + (tg.fake.received(Number(fac.platformUserId)) ? 1 : 0));
    expect(progress.cancelled).toBeGreaterThan(50);
    expect(progress.sent + progress.cancelled).toBe(121);
    for (const p of people) expect(tg.fake.received(Number(p.platformUserId))).toBeLessThanOrEqual(1);
    await runBroadcasts(local);
    await d.drained();
    expect(tg.fake.chat(Number(fac.platformUserId)).botMessages.map((m) => m.text).at(-1)).toMatch(/^Siaran dihentikan: "Pesan panjang"[\s\S]*Dibatalkan: \d+/);
  });

  it('a dispatcher killed half way: a new one sends every remaining message, none lost, none twice beyond the sends on the wire', async () => {
    tg = await telegramSetup({ rateLimits: { perSecond: 25 } });
    const people = await telegramMembers(100, SOLANG, tg);
    const { id } = await createBroadcastDraft({ text: { id: 'Tahan banting' }, villageCodes: [SOLANG] }, fx.deps);
    const first = dispatcher(tg, 400);
    first.start();
    await confirmBroadcast(id, { ...fx.deps, wake: () => first.wake() });
    await tg.fake.waitFor(() => [...tg!.fake.receivedCounts().values()].reduce((a, b) => a + b, 0) >= 40, 15_000);
    // As SIGKILL would: nothing released, no result written after this. Sends already on the wire
    // still reach the platform, and Telegram has no idempotency key: those few (at most the
    // in-flight window) are the only ones that can arrive twice; nothing is lost.
    const window = first.inFlightCount;
    first.abandon();
    const second = dispatcher(tg, 400);
    second.start();
    await second.drained();
    const counts = people.map((p) => tg!.fake.received(Number(p.platformUserId)));
    expect(counts.filter((c) => c === 0)).toEqual([]);
    expect(counts.filter((c) => c > 1).length).toBeLessThanOrEqual(window);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect((await broadcastProgress(id)).sent).toBe(100);
  });

  it('a crash while queueing is finished by the next run; two dispatchers together send each message exactly once', async () => {
    tg = await telegramSetup();
    const people = await telegramMembers(80, SOLANG, tg);
    const { id } = await createBroadcastDraft({ text: { id: 'Dua pengirim' }, villageCodes: [SOLANG] }, fx.deps);
    // As if the process died after marking it sending and queueing only part of it.
    await BroadcastModel.updateOne({ _id: id }, { $set: { status: 'sending' } });
    const { enqueue } = await import('../../src/pipeline/outbox.js');
    await enqueue(people.slice(0, 30).map((p) => ({ id: `bc:${String(id)}:${String(p._id)}`, kind: 'broadcast' as const, channel: 'telegram', to: p.platformUserId, memberId: p._id, messages: [{ text: 'Dua pengirim' }], broadcastId: id })));
    const a = dispatcher(tg);
    const b = dispatcher(tg);
    a.start();
    b.start();
    await runBroadcasts({ ...fx.deps, wake: () => { a.wake(); b.wake(); } });
    expect(await OutboxModel.countDocuments({ broadcastId: id })).toBe(80);
    await Promise.all([a.drained(), b.drained()]);
    for (const p of people) expect(tg.fake.received(Number(p.platformUserId))).toBe(1);
    expect((await broadcastProgress(id)).sent).toBe(80);
  });
});

describe('progress', () => {
  it('counts any failure text as a reason, even "__proto__" or "constructor" (issue 20)', async () => {
    const { id } = await createBroadcastDraft({ text: { id: 'Alasan' }, villageCodes: [SOLANG] }, fx.deps);
    const reasons = ['__proto__', 'constructor', 'constructor', 'Forbidden: bot was blocked'];
    await OutboxModel.insertMany(reasons.map((lastError, i) => ({
      _id: `bc:${String(id)}:${i}`, kind: 'broadcast', channel: 'telegram', to: String(9000 + i), messages: [{ text: 'Alasan' }], broadcastId: id,
      seq: i, availableAt: clock.now(), createdAt: clock.now(), status: 'failed', lastError,
    })));
    const progress = await broadcastProgress(id);
    expect(progress.failed).toBe(4);
    expect(Object.entries(progress.failedReasons).sort()).toEqual([['Forbidden: bot was blocked', 1], ['__proto__', 1], ['constructor', 2]]);
  });
});
