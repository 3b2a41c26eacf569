/**
 * The shipped flows from first message to stored submission, through the conversation
 * service, the engine and MongoDB: repeat groups, skip logic, notes, invalid answers,
 * choices drawn from the database, the summary with a change, and what a submission changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessCodeModel, MemberModel, SubmissionModel, VillagePlanModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { SEND_ID } from '../../src/engine/index.js';
import { ChatUser, createService, register, registerAsWarga } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

async function submissionsOf(user: ChatUser, flowId: string) {
  const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
  return SubmissionModel.find({ memberId: member?._id, flowId }).lean();
}

describe('profil-desa', () => {
  it('walks the five assets with a repeat group and skip logic, and stores the profile', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Pak Hasan');
    await user.pressId('profil-desa');
    // The note is shown and the first question follows without waiting.
    expect(user.last[0]?.text).toContain('15 pertanyaan pendek');
    expect(user.prompt.text).toContain('kepala keluarga');

    // Invalid answers are re-asked; the third failure in a row offers a way out.
    await user.say('banyak sekali');
    expect(user.lastText).toContain('Tulis angkanya saja, contoh: 25.');
    await user.say('entah');
    await user.say('tidak jelas');
    expect(await user.at()).toBe('households');
    expect(user.lastText).toMatch(/LEWATI.*BANTUAN.*BATAL/s);
    await user.say('1.250'); // Indonesian thousands separator
    await user.press('SMP');
    await user.press('Posyandu saja');

    // Repeat group: two livelihood sources, each with the same follow-up questions.
    expect(user.prompt.text).toContain('ke-1');
    await user.press('Ikan (nelayan)');
    await user.press('Musim teduh');
    await user.press('Banyak');
    await user.press('Ya'); // add another
    expect(user.prompt.text).toContain('ke-2');
    await user.press('Cengkeh');
    await user.press('Hanya musim panen');
    await user.press('Kira-kira setengah');
    await user.press('Tidak');

    await user.press('Sedikit'); // land
    // Boats are asked only because fishing is one of the sources.
    expect(user.prompt.text).toContain('perahu');
    await user.say('40');
    await user.press('Hanya lewat laut');
    await user.press('Listrik');
    await user.press('Sinyal HP');
    await user.press('Selesai');
    await user.press('Ya'); // savings group
    await user.press('Pedagang pengumpul di desa');
    await user.say('lewati'); // groups: optional
    await user.press('Kadang-kadang');
    await user.press('Musim angin dan ombak');
    await user.say('Budidaya rumput laut di teluk');
    expect(user.prompt.text).toContain('Periksa jawaban');
    await user.pressId(SEND_ID);
    expect(user.lastText).toContain('Terima kasih');

    const [profile] = await submissionsOf(user, 'profil-desa');
    expect(profile?.villageCode).toBe('81.05.15.2004');
    expect(profile?.flowVersion).toBe(1);
    expect(profile?.answers).toMatchObject({
      households: 1250,
      school: 'smp',
      health: 'posyandu',
      sources: [
        { source: 'perikanan', season: 'musim_teduh', share: 'banyak' },
        { source: 'cengkeh', season: 'musim_panen', share: 'setengah' },
      ],
      land: 'sedikit',
      boats: 40,
      road: 'laut',
      services: ['listrik', 'sinyal'],
      savings_group: true,
      buyer: 'pengumpul_desa',
      mutual_help: 'kadang',
      hard_season: 'musim_angin',
      opportunity: 'Budidaya rumput laut di teluk',
    });
  }, 30_000);

  it('does not ask about boats when nobody fishes', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Ibu Wa');
    await user.pressId('profil-desa');
    await user.say('lewati');
    await user.press('SD');
    await user.press('Tidak ada');
    await user.press('Pala');
    await user.press('Sepanjang tahun');
    await user.press('Hampir semua');
    await user.press('Tidak');
    await user.press('Masih banyak');
    expect(await user.at()).toBe('road');
    expect((await user.run())?.state.answers.boats).toBeUndefined();
  });
});

describe('laporan-risiko', () => {
  it('stores a report without a location, after changing one answer', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Ibu Fatima');
    await user.pressId('laporan-risiko');
    await user.pressId('lainnya');
    expect(user.prompt.text).toContain('Tulis singkat');
    await user.say('Kapal tidak datang dua minggu');
    await user.say('entah kapan');
    expect(await user.at()).toBe('date'); // not a date: asked again
    expect((await user.run())?.state.answers.date).toBeUndefined();
    await user.say('17 September 2024');
    await user.say('Dusun Kilbat');
    expect(await user.at()).toBe('location');
    await user.say('lewati'); // the optional location: only a shared location counts
    await user.pressId('ringan');
    await user.say('lewati');
    await user.say('lewati');
    await user.say('Beras dan BBM');
    await user.say('lewati'); // no photo
    expect(user.prompt.text).toContain('Periksa jawaban');
    expect(user.prompt.text).toContain('Tanggal: 17 September 2024');
    await user.pressId('change');
    await user.pressId('severity');
    expect(await user.at()).toBe('severity');
    await user.pressId('sedang');
    expect(user.prompt.text).toContain('Periksa jawaban');
    await user.pressId(SEND_ID);

    const [report] = await submissionsOf(user, 'laporan-risiko');
    expect(report?.answers).toMatchObject({
      type: 'lainnya',
      type_other: 'Kapal tidak datang dua minggu',
      date: '2024-09-17',
      place: 'Dusun Kilbat',
      severity: 'sedang',
      help: 'Beras dan BBM',
    });
    expect(report?.answers.households ?? null).toBeNull();
    expect(report?.answers.location ?? null).toBeNull();
  }, 30_000);
});

describe('kemajuan-kegiatan', () => {
  it('offers the activities of the member\'s village plan from the database and updates the plan', async () => {
    const plan = await VillagePlanModel.create({
      villageCode: '81.05.15.2004',
      year: 2026,
      goals: [{ title: 'Pendapatan dari kacang tanah naik' }],
      activities: [{ title: 'Pelatihan pengolahan kacang tanah', owner: 'Pokja' }, { title: 'Bibit kacang unggul', owner: 'Kelompok tani' }],
    });
    await AccessCodeModel.create({ code: 'POKJA-E2E', role: 'pokja' });
    const user = new ChatUser(await createService());
    await register(user, { name: 'Pak Yusuf', role: 'pokja', code: 'POKJA-E2E' });
    expect((await user.member())?.role).toBe('pokja');

    await user.pressId('kemajuan-kegiatan');
    // The plan's activities, in order (an "other activity" way out may follow them).
    expect(user.prompt.choices?.map((c) => c.label).slice(0, 2)).toEqual(['Pelatihan pengolahan kacang tanah', 'Bibit kacang unggul']);
    expect(user.prompt.choices?.slice(0, 2).map((c) => c.id)).toEqual(plan.activities.map((a) => String(a._id)));
    await user.press('Bibit kacang');
    await user.press('Terhambat');
    expect(await user.at()).toBe('percent');
    await user.say('150'); // out of 0-100: refused
    expect(await user.at()).toBe('percent');
    await user.say('60');
    expect(await user.at()).toBe('obstacles');
    await user.say('Bibit terlambat datang dari Bula');
    await user.say('Minta jadwal kapal ke dinas');
    await user.send({ kind: 'photo', fileId: 'photo-file-1' });
    await user.pressId(SEND_ID);

    const [report] = await submissionsOf(user, 'kemajuan-kegiatan');
    const activityId = String(plan.activities[1]!._id);
    expect(report?.answers).toMatchObject({ activity: activityId, status: 'terhambat', percent: 60, photo: { fileId: 'photo-file-1' } });
    const updated = await VillagePlanModel.findById(plan._id).lean();
    expect(updated?.activities[1]).toMatchObject({ status: 'terhambat', percentDone: 60 });
    expect(updated?.activities[1]?.lastReportAt).toBeInstanceOf(Date);
    expect(updated?.activities[0]).toMatchObject({ status: 'belum', percentDone: 0 });
  }, 30_000);

  it('is not offered to residents', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user);
    expect(user.prompt.choices?.some((c) => c.id === 'kemajuan-kegiatan')).toBe(false);
    await user.say('kemajuan-kegiatan');
    expect(user.lastText).toContain('belum mengerti');
  });
});

describe('isi-untuk-warga (answering for a resident who cannot type)', () => {
  it('a Pokja member reads the notice aloud, then files a risk report that is the resident\'s, entered by them', async () => {
    await AccessCodeModel.create({ code: 'POKJA-PROXY', role: 'pokja', maxUses: 1 });
    const user = new ChatUser(await createService());
    await register(user, { name: 'Pak Yusuf', role: 'pokja', code: 'POKJA-PROXY' });
    await user.pressId('isi-untuk-warga');
    expect(user.prompt.text).toContain('Siapa nama warga');
    await user.say('🙂');
    expect(user.lastText).toContain('Tulis nama warga dengan huruf');
    await user.say('Ibu Maria');
    expect(user.prompt.text).toContain('Bacakan ini kepada warga itu');
    await user.press('Ya');
    await user.press('Teluk Waru');
    await user.say('Solang');
    await user.press('Laporan risiko');
    expect(user.prompt.text).toContain('Periksa jawaban');
    await user.pressId(SEND_ID);
    // The chosen form starts at once.
    expect(user.lastText).toContain('Bacakan setiap pertanyaan');
    expect(user.prompt.text).toContain('Apa yang terjadi');
    await user.pressId('kekeringan');
    await user.say('kemarin');
    await user.say('Kebun atas');
    await user.say('lewati');
    await user.pressId('ringan');
    await user.say('lewati');
    await user.say('lewati');
    await user.say('lewati');
    await user.say('lewati');
    await user.pressId(SEND_ID);

    const pokja = await user.member();
    const report = await SubmissionModel.findOne({ flowId: 'laporan-risiko', 'proxy.forName': 'Ibu Maria' }).lean();
    expect(report).toMatchObject({
      memberId: null, villageCode: '81.05.15.2004', villageName: 'Solang',
      proxy: { enteredBy: pokja!._id, forName: 'Ibu Maria', consentAloud: true },
      answers: { type: 'kekeringan', place: 'Kebun atas', severity: 'ringan' },
    });
    // The consent given aloud is on record, by whom and when.
    const consent = await SubmissionModel.findOne({ flowId: 'isi-untuk-warga', memberId: pokja!._id }).lean();
    expect(consent?.answers).toMatchObject({ resident_name: 'Ibu Maria', consent_aloud: true, village: '81.05.15.2004', form: 'laporan-risiko' });
    // The Pokja member's own history does not count it as theirs.
    expect(await SubmissionModel.countDocuments({ memberId: pokja!._id, flowId: 'laporan-risiko' })).toBe(0);
  });

  it('a resident who does not agree aloud: nothing is recorded for them', async () => {
    await AccessCodeModel.create({ code: 'POKJA-PROXY-2', role: 'pokja', maxUses: 1 });
    const user = new ChatUser(await createService());
    await register(user, { name: 'Ibu Nona', role: 'pokja', code: 'POKJA-PROXY-2' });
    await user.pressId('isi-untuk-warga');
    await user.say('Bapak Daud');
    await user.press('Tidak');
    expect(user.lastText).toContain('tidak ada yang dicatat');
    expect(await SubmissionModel.countDocuments({ $or: [{ 'proxy.forName': 'Bapak Daud' }, { 'answers.resident_name': 'Bapak Daud' }] })).toBe(0);
    expect((await user.member())?.run).toBeNull();
  });

  it('is not offered to residents', async () => {
    const user = new ChatUser(await createService());
    await registerAsWarga(user, 'Ibu Ani');
    expect(user.prompt.choices?.map((c) => c.id)).not.toContain('isi-untuk-warga');
  });
});
