/** Alerts: a risk report or a help request reaches the village's facilitators; severe at any hour, the rest in daylight, bursts as one digest. */
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { runAlertDigests } from '../../src/facilitator/alerts.js';
import { AlertModel, FacilitatorAssignmentModel, IncidentModel, MemberModel, OutboxModel } from '../../src/db/models.js';
import { translatorFor } from '../../src/i18n.js';
import { useTestDatabase } from '../helpers/db.js';
import { useFacilitatorFixture, KOTA_SIRIH, makeMember, memberIds, ids, snapshot, SOLANG, wit } from './helpers.js';

useTestDatabase();

const fx = useFacilitatorFixture('2026-09-10 10:00', [OutboxModel, AlertModel, MemberModel, FacilitatorAssignmentModel, IncidentModel]);
const clock = fx.clock;
// Each report alone, as with ALERT_INCIDENT_HOLD_MINUTES=0 (incidents.test.ts holds them).
beforeAll(() => {
  fx.deps = { ...fx.deps, reminders: { ...fx.deps.reminders, incidentHoldMinutes: 0 } };
});

function report(answers: Record<string, unknown>) {
  return {
    id: new Types.ObjectId(), flowId: 'laporan-risiko', flowVersion: 1, villageCode: SOLANG,
    answers: { type: 'banjir', date: '2026-09-09', place: 'Dusun Kampung Baru', severity: 'sedang', households: 12, help: 'Terpal dan air bersih', ...answers },
  };
}

async function submit(reporter: Awaited<ReturnType<typeof makeMember>>, answers: Record<string, unknown> = {}) {
  const ext = createFacilitatorExtensions(fx.deps);
  const ctx = { member: snapshot(reporter), t: translatorFor(fx.deps.i18n, reporter.language ?? 'id'), now: clock.now(), inboundId: new Types.ObjectId().toHexString() };
  const sub = report(answers);
  const extra = await ext.onSubmit!(ctx, sub);
  return { sub, extra: extra ?? [] };
}

describe('risk report alerts', () => {
  it('reach the facilitators of the village (own and assigned) at once, with the summary, and the reporter is told', async () => {
    const local = await makeMember({ role: 'fasilitator', name: 'Pak Umar' });
    const assigned = await makeMember({ role: 'fasilitator', village: KOTA_SIRIH, language: 'en' });
    await FacilitatorAssignmentModel.create({ memberId: assigned._id, villageCodes: [SOLANG] });
    const otherVillage = await makeMember({ role: 'fasilitator', village: KOTA_SIRIH });
    const stopped = await makeMember({ role: 'fasilitator', optedOut: true });
    const reporter = await makeMember({ name: 'Ibu Siti' });

    const { sub, extra } = await submit(reporter);
    expect(extra.map((m) => m.text)).toEqual(['Fasilitator desa Anda sudah diberi tahu.']);
    const alerts = await OutboxModel.find({ kind: 'alert' }).lean();
    expect(memberIds(alerts)).toEqual(ids(local, assigned));
    expect(alerts.map((a) => a._id).sort()).toEqual([local, assigned].map((f) => `alert:${String(sub.id)}:${String(f._id)}`).sort());
    const id = (alerts.find((a) => String(a.memberId) === String(local._id))!.messages[0] as { text: string }).text;
    expect(id.split('\n')[0]).toBe('Laporan risiko dari desa Solang (Teluk Waru): Banjir atau banjir bandang – SEDANG.');
    expect(id).toContain('Dusun Kampung Baru');
    expect(id).toContain('KK terdampak: 12');
    expect(id).toContain('Terpal dan air bersih');
    expect(id).toContain(`Pelapor: Ibu Siti (tg://user?id=${reporter.platformUserId})`);
    const en = alerts.find((a) => String(a.memberId) === String(assigned._id))!.messages[0] as { text: string; language: string };
    expect(en.language).toBe('en');
    expect(en.text).toMatch(/^Risk report from Solang \(Teluk Waru\)/);
    for (const nobody of [otherVillage, stopped, reporter]) expect(alerts.some((a) => String(a.memberId) === String(nobody._id))).toBe(false);
    expect(alerts[0]!.availableAt.toISOString()).toBe(clock.now().toISOString());
    // Kept with who it is about, so deleting their data (hapusdata) can find it.
    expect((await AlertModel.find({}).lean()).map((a) => String(a.fromMemberId))).toEqual([String(reporter._id), String(reporter._id)]);
  });

  it('a replayed submission alerts nobody twice', async () => {
    await makeMember({ role: 'fasilitator' });
    const reporter = await makeMember();
    const ext = createFacilitatorExtensions(fx.deps);
    const ctx = { member: snapshot(reporter), t: translatorFor(fx.deps.i18n, 'id'), now: clock.now(), inboundId: 'in-1' };
    const sub = report({});
    await ext.onSubmit!(ctx, sub);
    await ext.onSubmit!(ctx, sub);
    await runAlertDigests(fx.deps);
    expect(await OutboxModel.countDocuments({ kind: 'alert' })).toBe(1);
  });

  it('severe reports go at any hour; others wait for 06:00 and then go as one digest', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    const reporter = await makeMember();
    clock.set(wit('2026-09-10 23:00'));
    const severe = await submit(reporter, { severity: 'berat', type: 'cuaca' });
    expect(severe.extra[0]!.text).toBe('Fasilitator desa Anda sudah diberi tahu.');
    const urgent = await OutboxModel.findById(`alert:${String(severe.sub.id)}:${String(fac._id)}`).lean();
    expect(urgent!.availableAt.toISOString()).toBe(wit('2026-09-10 23:00').toISOString());
    expect((urgent!.messages[0] as { text: string }).text).toMatch(/^PENTING - laporan risiko berat/);
    // No brackets in brackets: "Cuaca buruk – BERAT", not "Cuaca buruk (angin kencang) (Berat / parah (...))".
    expect((urgent!.messages[0] as { text: string }).text.split('\n')[0]).toBe('PENTING - laporan risiko berat dari desa Solang (Teluk Waru): Cuaca buruk – BERAT.');

    const light1 = await submit(reporter);
    expect(light1.extra[0]!.text).toBe('Fasilitator desa Anda akan diberi tahu pukul 06.00 WIT.');
    clock.set(wit('2026-09-11 02:00'));
    await submit(reporter, { type: 'rob' });
    await runAlertDigests(fx.deps);
    expect(await OutboxModel.countDocuments({ kind: 'alert' })).toBe(1);

    clock.set(wit('2026-09-11 06:00'));
    await runAlertDigests(fx.deps);
    await runAlertDigests(fx.deps);
    const digests = await OutboxModel.find({ kind: 'alert', _id: /^digest:/ }).lean();
    expect(digests).toHaveLength(1);
    expect(String(digests[0]!.memberId)).toBe(String(fac._id));
    const text = (digests[0]!.messages[0] as { text: string }).text;
    expect(text).toMatch(/^Ada 2 kabar baru/);
    expect(text).toContain('Banjir rob');
    expect(await AlertModel.countDocuments({ status: 'pending' })).toBe(0);
  });

  it('in daylight a burst is batched: the first at once, the next ones in one digest after the window', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    const reporter = await makeMember();
    await submit(reporter);
    clock.set(wit('2026-09-10 10:03'));
    const second = await submit(reporter, { type: 'longsor' });
    expect(second.extra[0]!.text).toMatch(/akan diberi tahu pukul 10\.18 WIT/);
    clock.set(wit('2026-09-10 10:05'));
    await submit(reporter, { type: 'hama' });
    await runAlertDigests(fx.deps);
    expect(await OutboxModel.countDocuments({ memberId: fac._id })).toBe(1);
    clock.set(wit('2026-09-10 10:16'));
    await runAlertDigests(fx.deps);
    const all = await OutboxModel.find({ memberId: fac._id }).sort({ createdAt: 1 }).lean();
    expect(all).toHaveLength(2);
    expect((all[1]!.messages[0] as { text: string }).text).toMatch(/^Ada 2 kabar baru/);
  });
});

describe('help requests', () => {
  it('alert the facilitators with how to reach the person', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    const person = await makeMember({ name: 'Pak Ali', channel: 'whatsapp' });
    await person.updateOne({ platformUserId: '6281234567890' });
    const fresh = await MemberModel.findById(person._id);
    const ext = createFacilitatorExtensions(fx.deps);
    const extra = await ext.onHelpRequest!(
      { member: snapshot(fresh!), t: translatorFor(fx.deps.i18n, 'id'), now: clock.now(), inboundId: 'w-1' },
      { id: 'help:whatsapp:w-1', context: 'profil-desa/households' },
    );
    expect(extra?.map((m) => m.text)).toEqual(['Fasilitator desa Anda sudah diberi tahu.']);
    const [alert] = await OutboxModel.find({ kind: 'alert' }).lean();
    expect(alert!._id).toBe(`alert:help:whatsapp:w-1:${String(fac._id)}`);
    const text = (alert!.messages[0] as { text: string }).text;
    expect(text).toContain('Pak Ali dari desa Solang (Teluk Waru) minta dihubungi.');
    expect(text).toContain('https://wa.me/6281234567890');
    expect(text).toContain('profil-desa/households');
  });

  it('say nothing extra when the village has no facilitator', async () => {
    const person = await makeMember();
    const ext = createFacilitatorExtensions(fx.deps);
    const extra = await ext.onHelpRequest!({ member: snapshot(person), t: translatorFor(fx.deps.i18n, 'id'), now: clock.now(), inboundId: 'w-2' }, { id: 'help:web:w-2', context: null });
    expect(extra).toEqual([]);
    expect(await OutboxModel.countDocuments({})).toBe(0);
  });
});
