/**
 * Incidents: three flood reports from one village within two hours are one incident, one alert
 * naming 3 reports, and one review that reaches all three reporters.
 */
import { Types } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertModel, FacilitatorAssignmentModel, IncidentModel, MemberModel, OutboxModel, SubmissionModel } from '../../src/db/models.js';
import { attachReport } from '../../src/db/repositories/incidents.js';
import { loadFlows, type Flow } from '../../src/engine/index.js';
import { runAlertDigests } from '../../src/facilitator/alerts.js';
import { createFacilitatorExtensions } from '../../src/facilitator/extensions.js';
import { translatorFor } from '../../src/i18n.js';
import { flowsDir } from '../../src/paths.js';
import type { Actor } from '../../src/workspace/access.js';
import { outboxNotifier } from '../../src/workspace/chat.js';
import { getIncident, listIncidents, mergeIncident, setIncidentStatus, splitIncident } from '../../src/workspace/incidents.js';
import type { Ctx } from '../../src/workspace/service.js';
import { useTestDatabase } from '../helpers/db.js';
import { KOTA_SIRIH, makeMember, snapshot, SOLANG, useFacilitatorFixture, wit } from './helpers.js';

useTestDatabase();

const fx = useFacilitatorFixture('2026-09-10 10:00', [OutboxModel, AlertModel, MemberModel, FacilitatorAssignmentModel, SubmissionModel, IncidentModel]);
const clock = fx.clock;
let flows: Map<string, Flow>;
beforeAll(async () => {
  flows = await loadFlows(flowsDir);
});

/** A risk report stored as chat stores it, then its onSubmit hook (the alert), at the clock's time. */
async function report(reporter: Awaited<ReturnType<typeof makeMember>>, answers: Record<string, unknown> = {}, village = SOLANG) {
  const full = { type: 'banjir', date: '2026-09-10', place: `Dusun ${reporter.name}`, severity: 'sedang', households: 5, ...answers };
  const sub = await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: reporter._id, villageCode: village, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram',
    submittedAt: clock.now(), answers: full,
  });
  const ext = createFacilitatorExtensions(fx.deps);
  const ctx = { member: { ...snapshot(reporter), villageCode: village }, t: translatorFor(fx.deps.i18n, 'id'), now: clock.now(), inboundId: `in-${String(sub._id)}` };
  const extra = await ext.onSubmit!(ctx, { id: sub._id, flowId: 'laporan-risiko', flowVersion: 1, villageCode: village, answers: full });
  return { id: sub._id, told: (extra ?? []).map((m) => m.text) };
}

const alertTexts = async (memberId: Types.ObjectId) =>
  (await OutboxModel.find({ kind: 'alert', memberId }).sort({ createdAt: 1 }).lean()).map((o) => (o.messages[0] as { text: string }).text);

function workspaceCtx(): Ctx {
  return { flows, i18n: fx.deps.i18n, now: clock.now, timeZone: 'Asia/Jayapura', notifyMember: outboxNotifier(fx.deps), logger: { warn: () => {} } };
}
const actorOf = (m: { _id: Types.ObjectId; name?: string | null }): Actor => ({ memberId: String(m._id), name: m.name ?? '', role: 'fasilitator', villages: [SOLANG], language: 'id', via: 'page' });

describe('incidents', () => {
  it('three flood reports in two hours: one incident, one alert naming 3, one review reaching all three reporters', async () => {
    const fac = await makeMember({ role: 'fasilitator', name: 'Pak Umar' });
    const [siti, ali, rosa] = [await makeMember({ name: 'Siti' }), await makeMember({ name: 'Ali' }), await makeMember({ name: 'Rosa' })];

    const first = await report(siti);
    expect(first.told).toEqual(['Fasilitator desa Anda akan diberi tahu pukul 12.00 WIT.']);
    clock.set(wit('2026-09-10 10:50'));
    await report(ali);
    await runAlertDigests(fx.deps);
    clock.set(wit('2026-09-10 11:55'));
    await report(rosa, { severity: 'ringan' });
    await runAlertDigests(fx.deps);
    expect(await alertTexts(fac._id)).toEqual([]);

    clock.set(wit('2026-09-10 12:00'));
    await runAlertDigests(fx.deps);
    await runAlertDigests(fx.deps);
    const texts = await alertTexts(fac._id);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^3 laporan banjir atau banjir bandang dari Solang \(Teluk Waru\) dalam 2 jam\./);
    expect(texts[0]).toContain('Paling parah: Sedang');
    for (const who of ['Siti', 'Ali', 'Rosa']) expect(texts[0]).toContain(`Pelapor: ${who}`);

    const [incident] = (await listIncidents(workspaceCtx(), actorOf(fac), { page: 1, limit: 10 })).items;
    expect(incident).toMatchObject({ villageCode: SOLANG, hazard: 'banjir', reports: 3, reporters: 3, worstSeverity: 'sedang', status: 'baru' });

    await setIncidentStatus(workspaceCtx(), actorOf(fac), incident!.id, 'ditindaklanjuti', 'Tim BPBD sudah berangkat.');
    const notices = await OutboxModel.find({ kind: 'notice' }).lean();
    expect(notices.map((n) => String(n.memberId)).sort()).toEqual([siti, ali, rosa].map((m) => String(m._id)).sort());
    for (const n of notices) expect((n.messages[0] as { text: string }).text).toBe('Laporan Anda tanggal 10/09/2026 sedang ditindaklanjuti. Tim BPBD sudah berangkat.');
    expect(await SubmissionModel.countDocuments({ 'review.status': 'ditindaklanjuti' })).toBe(3);
    expect((await getIncident(actorOf(fac), incident!.id)).status).toBe('ditindaklanjuti');
    // The same status again tells nobody twice.
    await setIncidentStatus(workspaceCtx(), actorOf(fac), incident!.id, 'ditindaklanjuti');
    expect(await OutboxModel.countDocuments({ kind: 'notice' })).toBe(3);
  });

  it('a severe report sends the incident at once, with the reports held before it', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    await report(await makeMember({ name: 'Siti' }));
    clock.set(wit('2026-09-10 10:20'));
    const severe = await report(await makeMember({ name: 'Ali' }), { severity: 'berat' });
    expect(severe.told).toEqual(['Fasilitator desa Anda sudah diberi tahu.']);
    const texts = await alertTexts(fac._id);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^PENTING - 2 laporan banjir atau banjir bandang dari Solang \(Teluk Waru\) dalam 20 menit, ada yang berat\./);
    clock.set(wit('2026-09-10 12:30'));
    await runAlertDigests(fx.deps);
    expect(await alertTexts(fac._id)).toHaveLength(1);
  });

  it('another hazard, another village or after 48 hours is another incident', async () => {
    const siti = await makeMember({ name: 'Siti' });
    const a = await report(siti);
    const b = await report(siti, { type: 'longsor' });
    const c = await report(siti, {}, KOTA_SIRIH);
    clock.set(wit('2026-09-12 10:01'));
    const d = await report(siti);
    const inc = async (id: Types.ObjectId) => String((await IncidentModel.findOne({ reportIds: id }).lean())!._id);
    const all = await Promise.all([a, b, c, d].map((r) => inc(r.id)));
    expect(new Set(all).size).toBe(4);
  });

  it('reports opening the same incident at once end in one, whatever order they interleave in', async () => {
    // Eight rounds of six reports at once (same time, or minutes apart): each round one incident.
    const hazards = ['banjir', 'longsor', 'rob', 'kekeringan', 'gempa', 'angin', 'kebakaran', 'hama'];
    await Promise.all(hazards.map(async (hazard, round) => {
      const ids = Array.from({ length: 6 }, () => new Types.ObjectId());
      await Promise.all(ids.map((id, i) => attachReport({
        id, villageCode: SOLANG, hazard, severity: 'sedang', simulator: false,
        at: new Date(clock.now().getTime() + (round % 2 === 0 ? 0 : i * 60_000)),
      })));
      const rows = await IncidentModel.find({ hazard }).lean();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.reportIds.map(String).sort()).toEqual(ids.map(String).sort());
    }));
  });

  it('a reviewer merges two incidents and splits a report out again; bad requests are refused with a reason', async () => {
    const fac = await makeMember({ role: 'fasilitator' });
    const siti = await makeMember({ name: 'Siti' });
    const flood = await report(siti);
    const rob = await report(siti, { type: 'rob', severity: 'berat' });
    const ctx = workspaceCtx();
    const [floodInc, robInc] = await Promise.all([flood, rob].map(async (r) => String((await IncidentModel.findOne({ reportIds: r.id }).lean())!._id)));
    const merged = await mergeIncident(ctx, actorOf(fac), floodInc!, robInc!);
    expect(merged).toMatchObject({ reports: 2, reporters: 1, worstSeverity: 'berat', hazard: 'banjir' });
    expect(await IncidentModel.countDocuments({})).toBe(1);

    const split = await splitIncident(ctx, actorOf(fac), floodInc!, String(rob.id));
    expect(split).toMatchObject({ reports: 1, worstSeverity: 'berat' });
    expect(await getIncident(actorOf(fac), floodInc!)).toMatchObject({ reports: 1, worstSeverity: 'sedang' });
    await expect(splitIncident(ctx, actorOf(fac), floodInc!, String(flood.id))).rejects.toThrow('An incident of one report cannot be split.');
    await expect(mergeIncident(ctx, actorOf(fac), floodInc!, floodInc!)).rejects.toThrow('cannot be merged with itself');
    const stranger: Actor = { ...actorOf(fac), villages: [KOTA_SIRIH] };
    await expect(getIncident(stranger, floodInc!)).rejects.toThrow('No such incident.');
  });
});
