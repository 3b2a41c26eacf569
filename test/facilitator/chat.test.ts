/** The facilitator's voice through the real conversation service and flows: jadwal and siaran typed in chat, answers by buttons. */
import { describe, expect, it } from 'vitest';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import { ConversationService } from '../../src/conversation/service.js';
import { AccessCodeModel, MemberModel, OutboxModel } from '../../src/db/models.js';
import { assignVillages } from '../../src/db/repositories/recipients.js';
import { createLogger } from '../../src/logging/logger.js';
import { useTestDatabase } from '../helpers/db.js';
import { ChatUser, loadRealFlows, register } from '../helpers/chat.js';
import { makeMember, SOLANG, useFacilitatorFixture } from './helpers.js';

useTestDatabase();
const fx = useFacilitatorFixture('2026-11-27 11:00', [OutboxModel, MemberModel, AccessCodeModel]);

async function service() {
  const { flows, i18n } = await loadRealFlows();
  return new ConversationService({
    flows, i18n, logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours: 168, now: fx.clock.now,
    extensions: createFacilitatorExtensions(fx.deps),
  });
}

const WARU = '81.05.15.2001'; // Teluk Waru, beside Solang

/** The labels of the last prompt's buttons that name answers (not ways out). */
const answerLabels = (fac: ChatUser) => fac.prompt.choices!.map((c) => c.label).filter((l) => !/^(Selesai|Kembali|Batal|Lewati)$/.test(l));

describe('in chat', () => {
  it('JADWAL BARU offers only the facilitator\'s villages; the review counts who is told; one KIRIM announces, once', async () => {
    const svc = await service();
    const fac = new ChatUser(svc, 'fac-1');
    const warga = new ChatUser(svc, 'warga-1');
    await makeMember({ channel: 'web', platformUserId: fac.id, role: 'fasilitator', name: 'Bu Rina' });
    const resident = await makeMember({ channel: 'web', platformUserId: warga.id, name: 'Ibu Siti' });
    await makeMember({ channel: 'web', village: WARU, role: 'pokja' }); // Waru is not hers

    await warga.say('jadwal');
    expect(warga.lastText).not.toContain('Lokakarya yang akan datang');

    await fac.say('jadwal');
    expect(fac.lastText).toContain('Belum ada lokakarya yang akan datang.');
    await fac.say('jadwal baru');
    expect(fac.lastText).toContain('Apa nama acaranya?');
    await fac.say('Lokakarya gelombang 1');
    await fac.press('satu per satu');
    expect(answerLabels(fac)).toEqual(['Teluk Waru']);
    await fac.press('Teluk Waru');
    expect(answerLabels(fac)).toEqual(['Solang']);
    await fac.say('Waru');
    expect(fac.lastText).toContain('Pilihan "Waru" tidak ada');
    await fac.say('Solang');
    await fac.say('15-12-2026');
    await fac.say('9');
    await fac.say('16-12-2026');
    await fac.say('15.30');
    await fac.say('Balai Desa Solang');
    await fac.say('lewati');
    expect(fac.lastText).toContain('Desa: Solang');
    expect(fac.lastText).toContain('Akan dikirim ke 2 orang (Web 2).');
    expect(fac.lastText).toContain('KIRIM langsung mengumumkan lokakarya ini.');
    await fac.press('Kirim');
    expect(fac.last[0]!.text).toContain('Lokakarya "Lokakarya gelombang 1" sudah diumumkan ke 2 orang.');
    expect(fac.lastText).not.toContain('tersimpan');
    expect(fac.last.flatMap((m) => m.choices ?? []).map((c) => c.label)).not.toContain('Umumkan');
    expect(await OutboxModel.countDocuments({ kind: 'workshop' })).toBe(2);

    const invitation = await OutboxModel.findOne({ memberId: resident._id, kind: 'workshop' }).lean();
    const msg = invitation!.messages[0] as { text: string; choices: { id: string; label: string }[] };
    expect(msg.text).toContain('Undangan lokakarya');
    expect(msg.text).toContain('Waktu: Selasa, 15 Desember 2026, 09.00 WIT - Rabu, 16 Desember 2026, 15.30 WIT');
    await warga.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: msg.choices.find((c) => c.label === 'Hadir')!.id });
    expect(warga.lastText).toContain('Anda tercatat hadir di "Lokakarya gelombang 1"');

    await fac.say('jadwal');
    expect(fac.lastText).toContain('Jawaban: 1 hadir, 0 mungkin, 0 tidak hadir, 1 belum menjawab (dari 2 orang).');
  });

  it('a village an admin assigned is offered too; a whole kecamatan names its villages at the review', async () => {
    const svc = await service();
    const fac = new ChatUser(svc, 'fac-3');
    const me = await makeMember({ channel: 'web', platformUserId: fac.id, role: 'fasilitator' });
    await makeMember({ channel: 'web', village: WARU });
    await assignVillages(String(me._id), [WARU]);
    await fac.say('jadwal baru');
    await fac.say('Lokakarya gelombang 2');
    await fac.press('satu per satu');
    await fac.press('Teluk Waru');
    expect(answerLabels(fac)).toEqual(['Solang', 'Waru']);
    await fac.say('kembali');
    await fac.say('kembali');
    await fac.press('di kecamatan');
    expect(answerLabels(fac)).toEqual(['Teluk Waru']);
    await fac.say('1');
    for (const answer of ['15-12-2026', '9', 'lewati', '12', 'Balai Desa Waru', 'lewati']) await fac.say(answer);
    expect(fac.lastText).toContain('Untuk desa dampingan Anda: Solang, Waru.');
    expect(fac.lastText).toContain('Akan dikirim ke 2 orang (Web 2).');
  });

  it('a facilitator who registered with a code and a village reaches that village; one without a village is told how to get one', async () => {
    const svc = await service();
    await AccessCodeModel.create({ code: 'FAS-WARU', role: 'fasilitator', villageCode: WARU });
    const fac = new ChatUser(svc, 'fac-4');
    await register(fac, { name: 'Pak Yusuf', village: 'Waru', role: 'fasilitator', code: 'FAS-WARU' });
    await fac.say('siaran');
    await fac.press('Desa tertentu');
    await fac.press('Teluk Waru');
    expect(answerLabels(fac)).toEqual(['Waru']);

    const lost = new ChatUser(svc, 'fac-5');
    await makeMember({ channel: 'web', platformUserId: lost.id, role: 'fasilitator', village: null });
    for (const command of ['jadwal baru', 'siaran']) {
      await lost.say(command);
      expect(lost.lastText).toContain('Anda belum punya desa dampingan');
      expect(lost.lastText).toContain('Desa di luar daftar');
      expect(await lost.run()).toBeNull();
    }
  });

  it('SIARAN: the review counts recipients, one KIRIM sends, and no menu pushes the stop button away', async () => {
    const svc = await service();
    const fac = new ChatUser(svc, 'fac-2');
    await makeMember({ channel: 'web', platformUserId: fac.id, role: 'fasilitator', name: 'Bu Rina' });
    await makeMember({ village: SOLANG });
    await makeMember({ village: SOLANG, role: 'pokja' });
    await fac.say('siaran');
    await fac.press('Peran tertentu');
    await fac.say('pokja');
    await fac.say('Rapat Pokja Sabtu jam 10 di balai desa.');
    expect(fac.lastText).toContain('Untuk desa dampingan Anda: Solang.');
    expect(fac.lastText).toContain('Akan dikirim ke 1 orang (Telegram 1).');
    expect(fac.lastText).toContain('KIRIM langsung mengirim siaran ini.');
    expect(await OutboxModel.countDocuments({ kind: 'broadcast' })).toBe(0);
    await fac.press('Kirim');
    expect(fac.last).toHaveLength(1);
    expect(fac.lastText).toContain('Siaran sedang dikirim ke 1 orang.');
    expect(fac.prompt.choices!.map((c) => c.label)).toEqual(['Hentikan siaran']);
    expect(await OutboxModel.countDocuments({ kind: 'broadcast' })).toBe(1);
  });
});
