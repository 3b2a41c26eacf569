/**
 * The "done when": an Indonesian XLSForm with groups, a repeat, a cascading select,
 * constraints and skip logic is imported (files written, loaded like flows/), appears in the
 * menu of a registered villager, is completed in chat through the conversation service, and the
 * stored submission holds every answer under the form's own names.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemberModel, SubmissionModel } from '../../src/db/models.js';
import { seedVillages } from '../../src/db/seed.js';
import { SURVEI_RUMAH_TANGGA } from '../fixtures/xlsform/forms.js';
import { ChatUser, registerAsWarga } from '../helpers/chat.js';
import { useTestDatabase } from '../helpers/db.js';
import { importSpec, serviceWith } from './helpers.js';

useTestDatabase();
beforeAll(async () => {
  await seedVillages();
});

describe('an imported XLSForm in chat', () => {
  it('is offered in the menu and completed, and the submission keeps the form’s names', async () => {
    const user = new ChatUser(await serviceWith(await importSpec(SURVEI_RUMAH_TANGGA, 'survei-rumah-tangga.xlsx', { roles: ['warga', 'pokja'] })));
    await registerAsWarga(user, 'Pak Abdul');
    await user.press('Survei Rumah Tangga Nelayan');
    expect(user.lastText).toContain('Survei rumah tangga nelayan. Jawab singkat saja.');
    await user.press('Teluk Waru');
    expect(user.prompt.choices?.map((c) => c.label)).toEqual(['Waru', 'Solang']);
    await user.press('Solang');
    await user.say('Abdul Rahman');
    await user.say('0');
    expect(user.lastText).toContain('Tulis angka 1 sampai 20.');
    await user.say('1');
    expect(user.prompt.text).toContain('Anggota rumah tangga ke-1:');
    await user.say('Abdul Rahman');
    await user.say('52');
    await user.say('kebun pala');
    expect(user.prompt.text).toContain('Kapan terakhir melaut atau panen?'); // no fishing group
    await user.say('kemarin');
    await user.say('lewati');
    await user.say('lewati');
    await user.say('lewati');
    await user.press('OK');
    expect(user.prompt.text).toContain('Periksa jawaban');
    await user.press('Kirim');
    expect(user.lastText).toContain('Terima kasih, jawaban Anda sudah kami terima.');

    const member = await MemberModel.findOne({ platformUserId: user.id }).lean();
    const [submission] = await SubmissionModel.find({ memberId: member?._id, flowId: 'survei-rumah-tangga' }).lean();
    expect(submission?.flowVersion).toBe(1);
    expect(submission?.answers).toMatchObject({
      kecamatan: 'teluk_waru',
      desa: 'solang',
      nama_kk: 'Abdul Rahman',
      jumlah_anggota: 1,
      anggota: [{ nama_anggota: 'Abdul Rahman', umur: 52 }],
      total_umur: 52,
      keluarga_besar: 'tidak',
      sumber_penghasilan: ['pala'],
      tanggal_melaut: '2026-11-26',
      setuju: 'OK',
      hari_ini: '2026-11-27',
      mulai: expect.stringMatching(/^2026-11-27T/),
      selesai: expect.stringMatching(/^2026-11-27T/),
    });
    expect(Object.keys(submission!.answers as object)).not.toContain('perahu');
  }, 60_000);
});
