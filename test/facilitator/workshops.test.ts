/** Workshops: who is told, in which language and when; reminders once across instances; changes to exactly the people told. */
import { describe, expect, it } from 'vitest';
import { PROMPT_SEQ } from '../../src/messages/flows.js';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { cancelWorkshop, createWorkshop, updateWorkshop } from '../../src/facilitator/workshops.js';
import { JobRunModel, MemberModel, OutboxModel, WorkshopInviteModel, WorkshopModel } from '../../src/db/models.js';
import { translatorFor } from '../../src/i18n.js';
import { startSchedules } from '../../src/schedule/index.js';
import { facilitatorJobs } from '../../src/facilitator/jobs.js';
import { MongoRunCoordinator } from '../../src/schedule/coordinator.js';
import { useTestDatabase } from '../helpers/db.js';
import { useFacilitatorFixture, entries, ids, KOTA_SIRIH, makeMember, memberIds, snapshot, SOLANG, wit } from './helpers.js';

useTestDatabase();

const fx = useFacilitatorFixture('2026-09-10 10:00', [OutboxModel, WorkshopModel, WorkshopInviteModel, MemberModel, JobRunModel]);
const clock = fx.clock;

const workshop = (over: Partial<Parameters<typeof createWorkshop>[0]> = {}) => ({
  title: 'Lokakarya gelombang 1',
  villageCodes: [SOLANG],
  startsAt: wit('2026-09-15 09:00'),
  endsAt: wit('2026-09-16 16:00'),
  place: 'Balai Desa Solang',
  ...over,
});

describe('announcing a workshop', () => {
  it('tells each reachable member of its villages once, in their language, and nobody else', async () => {
    const siti = await makeMember({ name: 'Siti' });
    const john = await makeMember({ name: 'John', language: 'en', channel: 'whatsapp' });
    const stopped = await makeMember({ optedOut: true });
    const blocked = await makeMember({ blocked: true });
    const noConsent = await makeMember({ consent: false });
    const unfinished = await makeMember({ registered: false });
    const deleted = await makeMember();
    await MemberModel.deleteOne({ _id: deleted._id }); // hapusdata: the member is gone
    const elsewhere = await makeMember({ village: KOTA_SIRIH });

    const w = await createWorkshop(workshop(), fx.deps);
    const sent = await entries(`ws:${String(w._id)}:`);
    expect(memberIds(sent)).toEqual(ids(siti, john));
    for (const nobody of [stopped, blocked, noConsent, unfinished, deleted, elsewhere]) {
      expect(sent.some((e) => String(e.memberId) === String(nobody._id))).toBe(false);
    }

    const toSiti = sent.find((e) => String(e.memberId) === String(siti._id))!;
    expect(toSiti._id).toBe(`ws:${String(w._id)}:${String(siti._id)}:announce`);
    expect(toSiti.channel).toBe('telegram');
    expect(toSiti.to).toBe(siti.platformUserId);
    expect(toSiti.availableAt.toISOString()).toBe(clock.now().toISOString());
    const msg = toSiti.messages[0] as { text: string; choices: { id: string; label: string }[]; promptSeq: number; language: string };
    expect(msg.text).toContain('Selasa, 15 September 2026, 09.00 WIT');
    expect(msg.text).toContain('Balai Desa Solang');
    expect(msg.text).toContain('Solang');
    expect(msg.language).toBe('id');
    expect(msg.promptSeq).toBe(PROMPT_SEQ.action);
    expect(msg.choices.map((c) => c.id)).toEqual(['hadir', 'tidak', 'mungkin'].map((a) => `rsvp:${String(w._id)}:${a}`));
    expect(msg.choices.map((c) => c.label)).toEqual(['Hadir', 'Tidak hadir', 'Mungkin']);

    const toJohn = sent.find((e) => String(e.memberId) === String(john._id))!;
    const en = toJohn.messages[0] as { text: string; language: string; choices: { label: string }[] };
    expect(toJohn.channel).toBe('whatsapp');
    expect(en.language).toBe('en');
    expect(en.text).toContain('Tuesday, 15 September 2026, 09:00 WIT');
    expect(en.choices.map((c) => c.label)).toEqual(['Coming', 'Not coming', 'Maybe']);

    // Announcing again (a double tap, a replay) tells nobody twice.
    const { announceWorkshop } = await import('../../src/facilitator/workshops.js');
    await announceWorkshop(w._id, fx.deps);
    expect(await OutboxModel.countDocuments({ _id: { $regex: `^ws:${String(w._id)}:` } })).toBe(2);
  });

  it('holds messages made in quiet hours until 06:00 WIT', async () => {
    await makeMember();
    clock.set(wit('2026-09-10 22:30'));
    const w = await createWorkshop(workshop(), fx.deps);
    const [entry] = await entries(`ws:${String(w._id)}:`);
    expect(entry!.availableAt.toISOString()).toBe(wit('2026-09-11 06:00').toISOString());
    clock.set(wit('2026-09-11 05:59'));
    const w2 = await createWorkshop(workshop({ title: 'Kedua' }), fx.deps);
    expect((await entries(`ws:${String(w2._id)}:`))[0]!.availableAt.toISOString()).toBe(wit('2026-09-11 06:00').toISOString());
    clock.set(wit('2026-09-11 06:00'));
    const w3 = await createWorkshop(workshop({ title: 'Ketiga' }), fx.deps);
    expect((await entries(`ws:${String(w3._id)}:`))[0]!.availableAt.toISOString()).toBe(wit('2026-09-11 06:00').toISOString());
  });
});

describe('workshop reminders', () => {
  it('fire once at 16:00 the day before and 07:00 on the day, across two instances, skipping those who said no', async () => {
    const siti = await makeMember();
    const john = await makeMember({ language: 'en' });
    const no = await makeMember();
    const w = await createWorkshop(workshop(), fx.deps);
    const ext = createFacilitatorExtensions(fx.deps);
    const t = translatorFor(fx.deps.i18n, 'id');
    await ext.actions!.rsvp!({ member: snapshot(no), t, now: clock.now(), inboundId: 'x1' }, `${String(w._id)}:tidak`);
    await ext.actions!.rsvp!({ member: snapshot(siti), t, now: clock.now(), inboundId: 'x2' }, `${String(w._id)}:hadir`);
    const late = await makeMember({ name: 'Baru daftar' }); // registered after the announcement

    const a = startSchedules(facilitatorJobs, fx.deps, { cron: false, coordinator: new MongoRunCoordinator('instance-a', clock.now) });
    const b = startSchedules(facilitatorJobs, fx.deps, { cron: false, coordinator: new MongoRunCoordinator('instance-b', clock.now) });
    const tick = async (at: Date) => {
      clock.set(at);
      const ran = await Promise.all([a.runDue(at), b.runDue(at)]);
      return ran.flat().filter((j) => j === 'workshop-reminders').length;
    };
    try {
      expect(await tick(wit('2026-09-14 15:59'))).toBe(1);
      expect(await OutboxModel.countDocuments({ kind: 'reminder' })).toBe(0);

      expect(await tick(wit('2026-09-14 16:00'))).toBe(1); // one of the two instances ran it
      expect(await JobRunModel.countDocuments({ _id: `workshop-reminders:${wit('2026-09-14 16:00').toISOString()}` })).toBe(1);
      const eve = await entries(`ws:${String(w._id)}:`).then((rows) => rows.filter((r) => r.kind === 'reminder'));
      expect(memberIds(eve)).toEqual(ids(siti, john, late));
      for (const e of eve) {
        expect(e._id).toMatch(new RegExp(`:eve:${wit('2026-09-15 09:00').getTime()}$`));
        expect(e.availableAt.toISOString()).toBe(wit('2026-09-14 16:00').toISOString());
        expect(e.expiresAt!.toISOString()).toBe(wit('2026-09-15 09:00').toISOString());
      }
      const johnText = (eve.find((e) => String(e.memberId) === String(john._id))!.messages[0] as { text: string }).text;
      expect(johnText).toMatch(/^Reminder: there is a workshop tomorrow\./);
      // Who answered gets no buttons again; who did not, does.
      expect((eve.find((e) => String(e.memberId) === String(siti._id))!.messages[0] as { choices?: unknown }).choices).toBeUndefined();
      expect((eve.find((e) => String(e.memberId) === String(john._id))!.messages[0] as { choices?: unknown[] }).choices).toHaveLength(3);

      // Later ticks the same evening and night add nothing.
      for (const at of ['2026-09-14 16:01', '2026-09-14 20:00', '2026-09-15 06:59']) await tick(wit(at));
      expect(await OutboxModel.countDocuments({ kind: 'reminder' })).toBe(3);

      await tick(wit('2026-09-15 07:00'));
      const morning = (await entries(`ws:${String(w._id)}:`)).filter((r) => r._id.includes(':morning:'));
      expect(memberIds(morning)).toEqual(ids(siti, john, late));
      expect((morning.find((e) => String(e.memberId) === String(siti._id))!.messages[0] as { text: string }).text).toMatch(/^Pengingat: hari ini ada lokakarya\./);
      await tick(wit('2026-09-15 08:00'));
      await tick(wit('2026-09-15 09:00'));
      expect(await OutboxModel.countDocuments({ kind: 'reminder' })).toBe(6);
      // node-cron keys: one row per job and fire time, whichever instance won it.
      expect(await JobRunModel.countDocuments({ job: 'workshop-reminders' })).toBe(8);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('does not send the evening reminder of a workshop announced after 16:00 the day before', async () => {
    await makeMember();
    clock.set(wit('2026-09-14 18:00'));
    const w = await createWorkshop(workshop(), fx.deps);
    const s = startSchedules(facilitatorJobs, fx.deps, { cron: false });
    try {
      await s.runDue(wit('2026-09-14 18:01'));
      expect(await OutboxModel.countDocuments({ _id: { $regex: `^ws:${String(w._id)}:.*:eve:` } })).toBe(0);
      await s.runDue(wit('2026-09-15 07:00'));
      expect(await OutboxModel.countDocuments({ _id: { $regex: `^ws:${String(w._id)}:.*:morning:` } })).toBe(1);
    } finally {
      await s.stop();
    }
  });
});

describe('changing and cancelling', () => {
  it('a change reaches exactly the people told before; members of an added village are invited; reminders follow the new time', async () => {
    const told1 = await makeMember();
    const told2 = await makeMember({ language: 'en' });
    const quitter = await makeMember();
    const w = await createWorkshop(workshop(), fx.deps);
    await quitter.updateOne({ optedOut: true }); // typed "berhenti" after being told
    const newcomer = await makeMember({ name: 'Datang belakangan' });
    const gorom = await makeMember({ village: KOTA_SIRIH });

    clock.set(wit('2026-09-11 09:00'));
    const moved = await updateWorkshop(w._id, { startsAt: wit('2026-09-17 09:00'), endsAt: wit('2026-09-18 16:00'), villageCodes: [SOLANG, KOTA_SIRIH] }, fx.deps);
    expect(moved.revision).toBe(1);
    const changes = (await entries(`ws:${String(w._id)}:`)).filter((e) => e._id.endsWith(':change:1'));
    expect(memberIds(changes)).toEqual(ids(told1, told2));
    expect((changes.find((e) => String(e.memberId) === String(told1._id))!.messages[0] as { text: string }).text).toContain('Kamis, 17 September 2026, 09.00 WIT');
    expect((changes.find((e) => String(e.memberId) === String(told2._id))!.messages[0] as { text: string }).text).toMatch(/^The workshop schedule changed/);
    const announced = (await entries(`ws:${String(w._id)}:`)).filter((e) => e._id.endsWith(':announce'));
    expect(memberIds(announced)).toEqual(ids(told1, told2, quitter, newcomer, gorom));

    // Removing a village: its people hear once that they are out, and get no reminders.
    const back = await updateWorkshop(w._id, { villageCodes: [SOLANG] }, fx.deps);
    const second = (await entries(`ws:${String(w._id)}:`)).filter((e) => e._id.endsWith(':change:2'));
    expect(memberIds(second)).toEqual(ids(told1, told2, newcomer, gorom));
    expect((second.find((e) => String(e.memberId) === String(gorom._id))!.messages[0] as { text: string }).text).toMatch(/tidak lagi ikut/);
    expect(back.villageCodes).toEqual([SOLANG]);

    const s = startSchedules(facilitatorJobs, fx.deps, { cron: false });
    try {
      await s.runDue(wit('2026-09-14 16:00')); // the old evening: nothing now
      expect(await OutboxModel.countDocuments({ kind: 'reminder' })).toBe(0);
      await s.runDue(wit('2026-09-16 16:00'));
      const eve = await OutboxModel.find({ kind: 'reminder' }).lean();
      expect(memberIds(eve)).toEqual(ids(told1, told2, newcomer));
    } finally {
      await s.stop();
    }
  });

  it('a cancellation reaches the people invited, and answers to it are refused', async () => {
    const m1 = await makeMember();
    const m2 = await makeMember();
    const w = await createWorkshop(workshop(), fx.deps);
    await m2.updateOne({ blocked: true });
    await cancelWorkshop(w._id, fx.deps);
    const cancels = (await entries(`ws:${String(w._id)}:`)).filter((e) => e._id.endsWith(':cancel'));
    expect(memberIds(cancels)).toEqual(ids(m1));
    expect((cancels[0]!.messages[0] as { text: string }).text).toMatch(/dibatalkan/);
    const ext = createFacilitatorExtensions(fx.deps);
    const replies = await ext.actions!.rsvp!({ member: snapshot(m1), t: translatorFor(fx.deps.i18n, 'id'), now: clock.now(), inboundId: 'y' }, `${String(w._id)}:hadir`);
    expect(replies[0]!.text).toBe('Lokakarya itu sudah dibatalkan.');
    const s = startSchedules(facilitatorJobs, fx.deps, { cron: false });
    try {
      await s.runDue(wit('2026-09-14 16:00'));
      expect(await OutboxModel.countDocuments({ kind: 'reminder' })).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
