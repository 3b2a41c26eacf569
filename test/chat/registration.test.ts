/** Registration through the real service, flows, translations and database; access codes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessCodeModel, MemberModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { SEND_ID } from '../../src/engine/index.js';
import { ChatUser, createService, register, registerAsWarga, registerUntilSummary, TestClock, translator } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
  await AccessCodeModel.create({ code: 'POKJA-SOLANG', role: 'pokja', villageCode: SOLANG, maxUses: 10 });
});

const SOLANG = '81.05.15.2004';
const WARU = '81.05.15.2001';

/** The flow's "that code doesn't match" text, as the person reads it. */
async function codeInvalid() {
  return (await translator())('daftar:role_code.invalid');
}

describe('registration (daftar)', () => {
  it('explains the data use, asks consent, and registers a resident', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    expect(user.lastText).toContain('UU 27/2022');
    expect(user.lastText).toContain('HAPUSDATA');
    expect(user.prompt.choices?.map((c) => c.id)).toEqual(['yes', 'no']);
    expect(await user.at()).toBe('consent');
    expect(await MemberModel.findOne({ platformUserId: user.id }).lean()).toMatchObject({ consent: null, name: null });

    await user.yes();
    await user.no();
    await user.say('Ibu Siti');
    await user.press('Teluk Waru');
    expect(user.prompt.choices?.map((c) => c.label)).toContain('Solang');
    expect(user.prompt.choices?.filter((c) => /^81\./.test(c.id))).toHaveLength(11); // the villages of Teluk Waru
    await user.say('Solan'); // a field spelling
    await user.pressId('warga');
    expect(user.lastText).toContain('Ibu Siti');
    expect(user.lastText).toContain('Solang');
    await user.pressId(SEND_ID);
    expect(user.lastText).toContain('Ibu Siti');
    // Straight to the main menu, with the flows a resident may start.
    const menu = user.prompt.choices?.map((c) => c.id) ?? [];
    expect(menu).toEqual(expect.arrayContaining(['laporan-risiko', 'profil-desa', 'daftar']));
    expect(menu).not.toContain('kemajuan-kegiatan');

    const member = await user.member();
    expect(member).toMatchObject({ name: 'Ibu Siti', villageCode: SOLANG, role: 'warga', language: 'id', run: null });
    expect(member?.consent?.version).toBe('daftar v1');
    expect(member?.consent?.givenAt).toBeInstanceOf(Date);
    expect(member?.registeredAt).toBeInstanceOf(Date);
    const registration = await SubmissionModel.find({ memberId: member?._id, flowId: 'daftar' }).lean();
    expect(registration).toHaveLength(1);
    expect(registration[0]?.answers).toMatchObject({ name: 'Ibu Siti', village: SOLANG, role: 'warga' });
    expect(registration[0]?.villageName).toBe('Solang');
  });

  it('keeps nothing when consent is refused, and the answer still goes out', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    await user.no();
    expect(user.lastText).toContain('Tidak ada data Anda yang disimpan');
    expect(await MemberModel.countDocuments({ platformUserId: user.id })).toBe(0);
    expect(await RunModel.countDocuments({})).toBe(0);
    expect((await user.outbox()).map((o) => o._id)).toEqual([`reply:web:${user.lastMessageId}`]);
    // And they can come back later.
    await user.say('mulai');
    expect(await user.at()).toBe('consent');
  });

  it('asks a guardian for people under 17 and keeps nothing without one', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    await user.yes();
    await user.yes(); // under 17
    expect(await user.at()).toBe('guardian_consent');
    await user.no();
    expect(await MemberModel.countDocuments({ platformUserId: user.id })).toBe(0);
  });

  it('needs a valid code for the pokja role; the code itself is never stored', async () => {
    const user = new ChatUser(await createService());
    await registerUntilSummary(user, { name: 'Pak Amir', role: 'pokja', code: 'SALAH-123' });
    expect(user.lastText).toContain(await codeInvalid());
    await user.say('pokja-solang'); // case does not matter
    expect(await user.at()).toBe('summary');
    expect(user.prompt.text).not.toMatch(/POKJA-SOLANG/i);
    await user.pressId(SEND_ID);
    const member = await user.member();
    expect(member?.role).toBe('pokja');
    const code = await AccessCodeModel.findOne({ code: 'POKJA-SOLANG' }).lean();
    expect(member?.roleCodeId).toEqual(code?._id);
    expect(user.prompt.choices?.some((c) => c.id === 'kemajuan-kegiatan')).toBe(true);
    const stored = JSON.stringify(await SubmissionModel.find({ memberId: member?._id }).lean());
    expect(stored).not.toMatch(/POKJA-SOLANG/i);
  });

  it('refuses simulator codes outside the simulator', async () => {
    await AccessCodeModel.create({ code: 'SIM-FASILITATOR', role: 'fasilitator', simulatorOnly: true });
    for (const [channel, accepted] of [['telegram', false], ['web', true]] as const) {
      const user = new ChatUser(await createService(), undefined, 'id', channel);
      await registerUntilSummary(user, { name: 'Pak Tes', village: 'Waru', role: 'fasilitator', code: 'SIM-FASILITATOR' });
      if (accepted) expect(await user.at()).toBe('summary');
      else expect(user.lastText).toContain(await codeInvalid());
    }
  });

  it('starts with the village chosen from a poster deep link', async () => {
    const user = new ChatUser(await createService());
    await user.say('/start 81_05_11_2003');
    await user.yes();
    await user.no();
    await user.say('Ibu Nur');
    // Kecamatan and village are not asked: the next question is the role.
    expect(await user.at()).toBe('role');
    await user.pressId('warga');
    await user.pressId(SEND_ID);
    expect((await user.member())?.villageCode).toBe('81.05.11.2003');
  });
});

describe('correcting a registration', () => {
  it('a registered person who reopens Daftar and refuses consent keeps everything', async () => {
    const t = await translator();
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Ibu Siti');
    const before = await user.member();
    const registrations = await SubmissionModel.countDocuments({ memberId: before?._id });
    await user.pressId('daftar');
    expect(await user.at()).toBe('consent');
    await user.no();
    expect(user.lastText).toContain(t('bot:reregister.cancelled'));
    expect(user.prompt.choices?.map((c) => c.id)).toContain('laporan-risiko'); // the menu follows

    const after = await user.member();
    expect(after).toMatchObject({ name: 'Ibu Siti', villageCode: SOLANG, role: 'warga', run: null });
    expect(after?.consent).toEqual(before?.consent);
    expect(after?.registeredAt).toEqual(before?.registeredAt);
    expect(await SubmissionModel.countDocuments({ memberId: before?._id })).toBe(registrations);
    await user.say('datasaya');
    expect(user.lastText).toContain('Nama: Ibu Siti');
  });

  it('a correction changes the details and keeps the first consent', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Ibu Siti');
    const before = await user.member();
    await user.pressId('daftar');
    await user.yes();
    await user.no();
    await user.say('Siti Rumalutur');
    await user.press('Teluk Waru');
    await user.say('Waru');
    await user.pressId('warga');
    await user.pressId(SEND_ID);
    const after = await user.member();
    expect(after).toMatchObject({ name: 'Siti Rumalutur', villageCode: WARU, role: 'warga' });
    expect(after?.consent).toEqual(before?.consent);
    expect(await SubmissionModel.countDocuments({ memberId: before?._id, flowId: 'daftar' })).toBe(2);
  });
});

describe('access codes', () => {
  it('a fasilitator code with one use registers one person; the next gets warga and is told', async () => {
    const t = await translator();
    const code = await AccessCodeModel.create({ code: 'FAS-ONCE', role: 'fasilitator', maxUses: 1 });
    const service = await createService();
    const first = new ChatUser(service);
    const second = new ChatUser(service);
    // Both type the code while it is still unused...
    await registerUntilSummary(first, { name: 'Pak Satu', role: 'fasilitator', code: 'FAS-ONCE' });
    await registerUntilSummary(second, { name: 'Ibu Dua', role: 'fasilitator', code: 'FAS-ONCE' });
    expect(await first.at()).toBe('summary');
    expect(await second.at()).toBe('summary');
    // ...and send one after the other.
    await first.pressId(SEND_ID);
    await second.pressId(SEND_ID);
    expect((await first.member())).toMatchObject({ role: 'fasilitator', roleCodeId: code._id });
    expect((await second.member())).toMatchObject({ role: 'warga', roleCodeId: null, name: 'Ibu Dua' });
    expect(second.lastText).toContain(t('bot:codes.usedUp', { role: t('bot:roles.fasilitator') }));
    expect(first.lastText).not.toContain(t('bot:codes.usedUp', { role: t('bot:roles.fasilitator') }));
    const used = await AccessCodeModel.findById(code._id).lean();
    expect(used?.uses).toBe(1);
    expect(used?.usedBy.map(String)).toEqual([String((await first.member())?._id)]);

    // A third person is refused at the question already.
    const third = new ChatUser(service);
    await registerUntilSummary(third, { name: 'Pak Tiga', role: 'fasilitator', code: 'FAS-ONCE' });
    expect(third.lastText).toContain(await codeInvalid());
  });

  it('an expired code is refused, and a code that expires before "Kirim" gives warga', async () => {
    const t = await translator();
    const clock = new TestClock();
    await AccessCodeModel.create({ code: 'POKJA-OLD', role: 'pokja', expiresAt: new Date(clock.now().getTime() - 60_000) });
    const late = await AccessCodeModel.create({ code: 'POKJA-SOON', role: 'pokja', expiresAt: new Date(clock.now().getTime() + 3600_000) });
    const user = new ChatUser(await createService(clock));
    await registerUntilSummary(user, { name: 'Pak Lama', role: 'pokja', code: 'POKJA-OLD' });
    expect(user.lastText).toContain(await codeInvalid());
    expect(await user.at()).toBe('role_code');

    const slow = new ChatUser(await createService(clock));
    await registerUntilSummary(slow, { name: 'Ibu Lambat', role: 'pokja', code: 'POKJA-SOON' });
    expect(await slow.at()).toBe('summary');
    clock.advanceHours(2);
    await slow.pressId(SEND_ID);
    expect(await slow.member()).toMatchObject({ role: 'warga', roleCodeId: null });
    expect(slow.lastText).toContain(t('bot:codes.usedUp', { role: t('bot:roles.pokja') }));
    expect((await AccessCodeModel.findById(late._id).lean())?.uses).toBe(0);
  });

  it('a code bound to a village works only in that village', async () => {
    const service = await createService();
    const elsewhere = new ChatUser(service);
    await registerUntilSummary(elsewhere, { name: 'Pak Waru', village: 'Waru', role: 'pokja', code: 'POKJA-SOLANG' });
    expect(elsewhere.lastText).toContain(await codeInvalid());
    expect(await elsewhere.at()).toBe('role_code');

    const local = new ChatUser(service);
    await register(local, { name: 'Ibu Solang', village: 'Solang', role: 'pokja', code: 'POKJA-SOLANG' });
    expect(await local.member()).toMatchObject({ role: 'pokja', villageCode: SOLANG });
  });

  it('after 5 wrong codes in an hour, the 6th is not checked and gets a kind answer; an hour later it is', async () => {
    const t = await translator();
    const clock = new TestClock();
    const user = new ChatUser(await createService(clock));
    await registerUntilSummary(user, { name: 'Pak Tebak', role: 'pokja' });
    for (let i = 1; i <= 5; i++) {
      await user.say(`SALAH-${i}`);
      expect(user.lastText, `wrong code ${i}`).toContain(await codeInvalid());
    }
    expect((await user.member())?.codeFailures?.count).toBe(5);
    await user.say('POKJA-SOLANG'); // even the right code is not checked now
    expect(user.lastText).toContain(t('bot:codes.tooMany'));
    expect(user.lastText).not.toContain(await codeInvalid());
    expect(await user.at()).toBe('role_code');
    expect((await user.run())?.state.answers.role_code).toBeUndefined();

    clock.advanceHours(1.01);
    await user.say('POKJA-SOLANG');
    expect(await user.at()).toBe('summary');
    await user.pressId(SEND_ID);
    expect((await user.member())?.role).toBe('pokja');
  });
});
