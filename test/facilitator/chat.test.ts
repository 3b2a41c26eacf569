/** The facilitator's voice through the real conversation service and flows: jadwal and siaran typed in chat, answers by buttons. */
import { describe, expect, it } from 'vitest';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import { ConversationService } from '../../src/conversation/service.js';
import { MemberModel, OutboxModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { useTestDatabase } from '../helpers/db.js';
import { ChatUser, loadRealFlows } from '../helpers/chat.js';
import { makeMember, SOLANG, useFacilitatorFixture } from './helpers.js';

useTestDatabase();
const fx = useFacilitatorFixture('2026-11-27 11:00', [OutboxModel, MemberModel]);

async function service() {
  const { flows, i18n } = await loadRealFlows();
  return new ConversationService({
    flows, i18n, logger: createLogger({ level: 'silent' }), timeZone: 'Asia/Jayapura', runExpiryHours: 168, now: fx.clock.now,
    extensions: createFacilitatorExtensions(fx.deps),
  });
}

describe('in chat', () => {
  it('a facilitator makes a workshop with JADWAL BARU, announces it, a resident answers hadir, JADWAL shows the count', async () => {
    const svc = await service();
    const fac = new ChatUser(svc, 'fac-1');
    const warga = new ChatUser(svc, 'warga-1');
    await makeMember({ channel: 'web', platformUserId: fac.id, role: 'fasilitator', name: 'Bu Rina' });
    const resident = await makeMember({ channel: 'web', platformUserId: warga.id, name: 'Ibu Siti' });

    await warga.say('jadwal');
    expect(warga.lastText).not.toContain('Lokakarya yang akan datang');

    await fac.say('jadwal');
    expect(fac.lastText).toContain('Belum ada lokakarya yang akan datang.');
    await fac.say('jadwal baru');
    expect(fac.lastText).toContain('Apa nama acaranya?');
    await fac.say('Lokakarya gelombang 1');
    await fac.press('satu per satu');
    await fac.press('Teluk Waru');
    await fac.say('Solang');
    await fac.say('15-12-2026');
    await fac.say('9');
    await fac.say('16-12-2026');
    await fac.say('15.30');
    await fac.say('Balai Desa Solang');
    await fac.say('lewati');
    await fac.press('Kirim');
    expect(fac.lastText).toContain('Periksa pengumuman ini:');
    expect(fac.lastText).toContain('Waktu: Selasa, 15 Desember 2026, 09.00 WIT - Rabu, 16 Desember 2026, 15.30 WIT');
    expect(fac.lastText).toContain('Akan dikirim ke 2 orang (Web 2).');
    expect(await OutboxModel.countDocuments({ kind: 'workshop' })).toBe(0);
    const preview = fac.last.find((m) => m.promptSeq === PROMPT_SEQ.action)!;
    await fac.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: preview.choices!.find((c) => c.label === 'Umumkan')!.id });
    expect(fac.lastText).toContain('sudah diumumkan ke 2 orang');

    const invitation = await OutboxModel.findOne({ memberId: resident._id, kind: 'workshop' }).lean();
    const msg = invitation!.messages[0] as { text: string; choices: { id: string; label: string }[] };
    expect(msg.text).toContain('Undangan lokakarya');
    await warga.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: msg.choices.find((c) => c.label === 'Hadir')!.id });
    expect(warga.lastText).toContain('Anda tercatat hadir di "Lokakarya gelombang 1"');

    await fac.say('jadwal');
    expect(fac.lastText).toContain('Jawaban: 1 hadir, 0 mungkin, 0 tidak hadir, 1 belum menjawab (dari 2 orang).');
  });

  it('a facilitator broadcasts with SIARAN: preview, confirm, one outbox entry per person', async () => {
    const svc = await service();
    const fac = new ChatUser(svc, 'fac-2');
    await makeMember({ channel: 'web', platformUserId: fac.id, role: 'fasilitator', name: 'Bu Rina' });
    await makeMember({ village: SOLANG });
    await makeMember({ village: SOLANG, role: 'pokja' });
    await fac.say('siaran');
    await fac.press('Peran tertentu');
    await fac.say('pokja');
    await fac.say('Rapat Pokja Sabtu jam 10 di balai desa.');
    await fac.press('Kirim');
    expect(fac.lastText).toContain('Akan dikirim ke 1 orang (Telegram 1).');
    const preview = fac.last.find((m) => m.promptSeq === PROMPT_SEQ.action)!;
    await fac.send({ kind: 'choice', promptSeq: PROMPT_SEQ.action, choiceId: preview.choices!.find((c) => c.label === 'Kirim siaran')!.id });
    expect(fac.lastText).toContain('Siaran sedang dikirim ke 1 orang.');
    expect(await OutboxModel.countDocuments({ kind: 'broadcast' })).toBe(1);
  });
});
