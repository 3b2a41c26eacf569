/** Global commands in the middle of a flow, resume, expiry, duplicates and the data-protection rights. */
import { beforeAll, describe, expect, it } from 'vitest';
import { DataRequestModel, MemberModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import type { Address, ChannelSender, OutboundMessage } from '../../src/chat/types.js';
import { sweepRuns } from '../../src/schedule/run-reminders.js';
import { createLogger } from '../../src/logging/logger.js';
import { ChatUser, createService, loadRealFlows, registerAsWarga, TestClock } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

const database = useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

/** A registered resident half-way through a risk report (type and date answered). */
async function midReport(clock = new TestClock()) {
  const user = new ChatUser(await createService(clock));
  await registerAsWarga(user);
  await user.press('Laporan risiko');
  await user.press('Banjir rob');
  await user.say('kemarin');
  expect(user.prompt.text).toContain('Di mana?');
  return user;
}

async function activeRun(user: ChatUser) {
  const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
  return RunModel.findOne({ memberId: member?._id, status: 'active' }).lean();
}

describe('global commands mid-flow', () => {
  it('bantuan shows help, then the same question again, with answers kept', async () => {
    const user = await midReport();
    await user.say('Bantuan');
    expect(user.lastText).toContain('KEMBALI - ke pertanyaan sebelumnya');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    expect((await activeRun(user))?.state.answers).toMatchObject({ type: 'rob' });
  });

  it('kembali goes back to the previous question', async () => {
    const user = await midReport();
    await user.say('/kembali');
    expect(user.lastText).toContain('Kapan terjadinya?');
    await user.say('hari ini');
    expect(user.lastText).toContain('Di mana?');
  });

  it('batal cancels the report and shows the menu; nothing is submitted', async () => {
    const user = await midReport();
    await user.say('BATAL');
    expect(user.lastText).toContain('dibatalkan');
    expect(user.prompt.choices?.map((c) => c.label)).toContain('Laporan risiko');
    expect(await activeRun(user)).toBeNull();
    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    const cancelled = await RunModel.findOne({ memberId: member?._id, status: 'cancelled' }).lean();
    expect(cancelled?.state.answers).toEqual({}); // a cancelled report keeps nothing
    expect(await SubmissionModel.countDocuments({ memberId: member?._id, flowId: 'laporan-risiko' })).toBe(0);
  });

  it('menu pauses the flow; picking it again continues where it was', async () => {
    const user = await midReport();
    await user.say('menu');
    expect(user.lastText).toContain('masih tersimpan');
    await user.press('Profil desa');
    expect(user.lastText).toContain('Selesaikan dulu "Laporan risiko"');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    await user.say('menu');
    await user.press('Laporan risiko');
    expect(user.lastText).not.toContain('Selesaikan dulu');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
  });

  it('bahasa switches to English and repeats the question in English', async () => {
    const user = await midReport();
    await user.say('bahasa');
    expect(user.lastText).toContain('Language switched to English');
    expect(user.last.at(-1)?.text).toMatch(/where/i);
    expect((await MemberModel.findOne({ platformUserId: user.id }).lean())?.language).toBe('en');
    await user.say('/language');
    expect(user.lastText).toContain('Bahasa diganti');
  });

  it('berhenti opts out of announcements, mulai opts back in and continues the flow', async () => {
    const user = await midReport();
    await user.say('berhenti');
    expect(user.lastText).toContain('tidak akan menerima pengumuman');
    expect((await MemberModel.findOne({ platformUserId: user.id }).lean())?.optedOut).toBe(true);
    await user.say('Mulai');
    expect(user.lastText).toContain('Anda akan menerima pengumuman');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    expect((await MemberModel.findOne({ platformUserId: user.id }).lean())?.optedOut).toBe(false);
  });

  it('datasaya shows what is stored and records the request, then goes on with the flow', async () => {
    const user = await midReport();
    await user.say('datasaya');
    expect(user.lastText).toContain('Nama: Ibu Siti');
    expect(user.lastText).toContain('Desa: Solang (Teluk Waru)');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    expect(await DataRequestModel.countDocuments({ kind: 'access' })).toBeGreaterThan(0);
  });

  it('hapusdata asks to confirm, then deletes the member, runs and submissions', async () => {
    const user = await midReport();
    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    await user.say('hapusdata');
    expect(user.lastText).toContain('tidak bisa dibatalkan');
    await user.press('Tidak');
    expect(user.lastText).toContain('tidak dihapus');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    await user.say('/hapusdata');
    await user.press('Ya, hapus');
    expect(user.lastText).toContain('sudah dihapus');
    expect(await MemberModel.countDocuments({ _id: member?._id })).toBe(0);
    expect(await RunModel.countDocuments({ memberId: member?._id })).toBe(0);
    expect(await SubmissionModel.countDocuments({ memberId: member?._id })).toBe(0);
    const request = await DataRequestModel.findOne({ kind: 'delete', memberRef: String(member?._id) }).lean();
    expect(request?.completedAt).toBeInstanceOf(Date);
  });

  it('a word inside an answer is an answer, not a command', async () => {
    const user = await midReport();
    await user.say('Dusun batal, dekat pantai');
    expect(user.lastText).not.toContain('dibatalkan');
    expect((await activeRun(user))?.state.answers).toMatchObject({ place: 'Dusun batal, dekat pantai' });
  });
});

describe('long pauses and restarts', () => {
  it('continues after a restart with a new service instance on the same database', async () => {
    const clock = new TestClock();
    const user = await midReport(clock);
    user.service = await createService(clock); // a new process would build exactly this
    clock.advanceHours(48); // two days later, weak signal
    await user.say('Dusun Air Besar');
    expect(user.lastText).toMatch(/lokasi/i);
    expect((await activeRun(user))?.state.answers).toMatchObject({ type: 'rob', place: 'Dusun Air Besar' });
  });

  it('reminds once a day before expiry, then expires the run keeping its answers as a draft', async () => {
    const clock = new TestClock();
    const user = await midReport(clock);
    const sent: { to: Address; messages: OutboundMessage[] }[] = [];
    const sender: ChannelSender = { channel: 'web', send: async (to, messages) => (sent.push({ to, messages }), { ok: true }) };
    const { flows, i18n } = await loadRealFlows();
    const deps = { senders: new Map([['web' as const, sender]]), i18n, flows, timeZone: 'Asia/Jayapura', logger: createLogger({ level: 'silent' }) };

    clock.advanceHours(100);
    expect(await sweepRuns(clock.now(), deps)).toMatchObject({ reminded: 0 });
    clock.advanceHours(50); // 150 h: within a day of the 168 h expiry
    await sweepRuns(clock.now(), deps);
    await sweepRuns(clock.now(), deps); // a second sweep (or instance) does not remind twice
    const mine = sent.filter((s) => s.to.platformUserId === user.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.messages[0]?.text).toContain('Laporan risiko');
    expect(mine[0]?.messages[0]?.text).toContain('belum selesai');

    clock.advanceHours(20);
    await sweepRuns(clock.now(), deps);
    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    const draft = await RunModel.findOne({ memberId: member?._id }).sort({ createdAt: -1 }).lean();
    expect(draft?.status).toBe('expired');
    expect(draft?.state.answers).toMatchObject({ type: 'rob' });
  });

  it('tells the person when their next message finds the run expired', async () => {
    const clock = new TestClock();
    const user = await midReport(clock);
    clock.advanceHours(169);
    await user.say('Dusun Air Besar');
    expect(user.lastText).toContain('disimpan sebagai draf');
    expect(user.prompt.choices?.map((c) => c.label)).toContain('Laporan risiko');
  });
});

describe('duplicates', () => {
  it('handles a repeated message id once: one reply, one stored answer', async () => {
    const user = await midReport();
    const first = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'same-id-1');
    const again = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'same-id-1');
    expect(first?.length).toBeGreaterThan(0);
    expect(again).toBeNull();
    const run = await activeRun(user);
    expect(run?.state.answers).toMatchObject({ place: 'Dusun Air Besar' });
    expect(run?.state.history.filter((p: { id?: string }) => p.id === 'place')).toHaveLength(1);
  });

  it('handles two messages of one person sent at once in order', async () => {
    const user = await midReport();
    const [a, b] = await Promise.all([user.say('Dusun Air Besar'), user.say('lewati')]);
    expect(a?.at(-1)?.text).toMatch(/lokasi/i);
    expect(b?.at(-1)?.text).toMatch(/parah/i);
  });
});

describe('failures', () => {
  it('answers kindly when the database fails, and nothing is lost: the same message works once it is back', async () => {
    const { default: mongoose } = await import('mongoose');
    const user = await midReport();
    await mongoose.connection.close();
    const replies = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'retry-me');
    expect(replies?.[0]?.text).toContain('Jawaban Anda tidak hilang');
    await mongoose.connection.openUri(database.uri());
    const again = await user.send({ kind: 'text', text: 'Dusun Air Besar' }, 'retry-me');
    expect(again?.at(-1)?.text).toMatch(/lokasi/i);
    expect((await activeRun(user))?.state.answers).toMatchObject({ type: 'rob', place: 'Dusun Air Besar' });
  });
});

describe('unreadable messages', () => {
  it('a voice note gets a kind answer and the same question again, with nothing lost', async () => {
    const user = await midReport();
    await user.send({ kind: 'unsupported', what: 'voice' });
    expect(user.last[0]?.text).toContain('pesan suara');
    expect(user.last.at(-1)?.text).toContain('Di mana?');
    expect((await activeRun(user))?.state.answers).toMatchObject({ type: 'rob' });
  });
});
