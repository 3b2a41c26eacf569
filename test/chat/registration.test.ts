/** Registration through the real service, flows, translations and database. */
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessCodeModel, MemberModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { ChatUser, createService } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
  await AccessCodeModel.create({ code: 'POKJA-SOLANG', role: 'pokja', villageCode: '81.05.15.2004' });
});

describe('registration (daftar)', () => {
  it('explains the data use, asks consent, and registers a resident', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    expect(user.lastText).toContain('UU 27/2022');
    expect(user.lastText).toContain('HAPUSDATA');
    expect(user.prompt.text).toContain('setuju');
    expect(await MemberModel.findOne({ platformUserId: user.id }).lean()).toMatchObject({ consent: null, name: null });

    await user.press('Ya');
    await user.press('Tidak');
    await user.say('Ibu Siti');
    await user.press('Teluk Waru');
    expect(user.prompt.choices?.map((c) => c.label)).toContain('Solang');
    expect(user.prompt.choices).toHaveLength(11);
    await user.say('Solan');
    await user.press('Warga desa');
    expect(user.lastText).toContain('Ibu Siti');
    expect(user.lastText).toContain('Solang');
    await user.press('Kirim');
    expect(user.lastText).toContain('Terima kasih, Ibu Siti');
    // Straight to the main menu, with the flows a resident may start.
    const menu = user.prompt.choices?.map((c) => c.label) ?? [];
    expect(menu).toEqual(expect.arrayContaining(['Laporan risiko']));
    expect(menu.some((l) => /kemajuan/i.test(l))).toBe(false);

    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    expect(member).toMatchObject({ name: 'Ibu Siti', villageCode: '81.05.15.2004', role: 'warga', language: 'id' });
    expect(member?.consent?.version).toBe('daftar v1');
    expect(member?.consent?.givenAt).toBeInstanceOf(Date);
    expect(await SubmissionModel.countDocuments({ memberId: member?._id, flowId: 'daftar' })).toBe(1);
  });

  it('keeps nothing when consent is refused', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    await user.press('Tidak');
    expect(user.lastText).toContain('Tidak ada data Anda yang disimpan');
    expect(await MemberModel.countDocuments({ platformUserId: user.id })).toBe(0);
    expect(await RunModel.countDocuments({})).toBeGreaterThanOrEqual(0);
    // And they can come back later.
    await user.say('mulai');
    expect(user.prompt.text).toContain('setuju');
  });

  it('asks a guardian for people under 17 and keeps nothing without one', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    await user.press('Ya');
    await user.press('Ya'); // under 17
    expect(user.prompt.text).toMatch(/orang tua atau wali/i);
    await user.press('Tidak');
    expect(await MemberModel.countDocuments({ platformUserId: user.id })).toBe(0);
  });

  it('needs a valid code for the pokja role', async () => {
    const user = new ChatUser(await createService());
    await user.say('halo');
    await user.press('Ya');
    await user.press('Tidak');
    await user.say('Pak Amir');
    await user.press('Teluk Waru');
    await user.say('solang');
    await user.press('Pokja');
    await user.say('SALAH-123');
    expect(user.lastText).toContain('Kode itu tidak cocok');
    await user.say('pokja-solang'); // case does not matter
    await user.press('Kirim');
    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    expect(member?.role).toBe('pokja');
    expect(user.prompt.choices?.some((c) => /kemajuan/i.test(c.label))).toBe(true);
  });

  it('refuses simulator codes outside the simulator', async () => {
    await AccessCodeModel.create({ code: 'SIM-FASILITATOR', role: 'fasilitator', simulatorOnly: true });
    for (const [channel, accepted] of [['telegram', false], ['web', true]] as const) {
      const user = new ChatUser(await createService(), undefined, 'id', channel);
      await user.say('halo');
      await user.press('Ya');
      await user.press('Tidak');
      await user.say('Pak Tes');
      await user.press('Teluk Waru');
      await user.say('Waru');
      await user.press('Fasilitator');
      await user.say('SIM-FASILITATOR');
      if (accepted) expect(user.prompt.text).toContain('Periksa jawaban');
      else expect(user.lastText).toContain('Kode itu tidak cocok');
    }
  });

  it('starts with the village chosen from a poster deep link', async () => {
    const user = new ChatUser(await createService());
    await user.say('/start 81_05_11_2003');
    await user.press('Ya');
    await user.press('Tidak');
    await user.say('Ibu Nur');
    // Kecamatan and village are not asked: the next question is the role.
    expect(user.prompt.choices?.map((c) => c.label)).toContain('Warga desa');
    await user.press('Warga desa');
    await user.press('Kirim');
    expect((await MemberModel.findOne({ platformUserId: user.id }).lean())?.villageCode).toBe('81.05.11.2003');
  });
});
